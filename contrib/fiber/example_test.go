package fiberauth_test

import (
	"log"

	"github.com/cognitojwt/cognitojwt"
	fiberauth "github.com/cognitojwt/cognitojwt/contrib/fiber"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/gofiber/fiber/v3"
)

// Routes of a Fiber app that need a token, a scope and a group; the
// handlers read the typed claims.
func ExampleRequire() {
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}

	app := fiber.New()
	app.Get("/api/orders", fiberauth.Require(auth, httpauth.Scope("orders/read")), func(c fiber.Ctx) error {
		claims, _ := fiberauth.Claims[*cognitojwt.Claims](c)
		return c.JSON(fiber.Map{"user": claims.Username})
	})
	admin := app.Group("/api/admin", fiberauth.Require(auth, httpauth.Group("admin")))
	admin.Get("/stats", func(c fiber.Ctx) error { return c.JSON(fiber.Map{"orders": 0}) })
	_ = app // app.Listen(":8080")
}
