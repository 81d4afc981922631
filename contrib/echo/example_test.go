package echoauth_test

import (
	"log"

	"github.com/cognitojwt/cognitojwt"
	echoauth "github.com/cognitojwt/cognitojwt/contrib/echo"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/labstack/echo/v4"
)

// Routes of an Echo app that need a token, a scope and a group; the
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

	e := echo.New()
	e.GET("/api/orders", func(c echo.Context) error {
		claims, _ := echoauth.Claims[*cognitojwt.Claims](c)
		return c.JSON(200, map[string]string{"user": claims.Username})
	}, echoauth.Require(auth, httpauth.Scope("orders/read")))
	admin := e.Group("/api/admin", echoauth.Require(auth, httpauth.Group("admin")))
	admin.GET("/stats", func(c echo.Context) error { return c.JSON(200, map[string]int{"orders": 0}) })
	_ = e // e.Start(":8080")
}
