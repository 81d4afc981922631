package fiberauth_test

import (
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	fiberauth "github.com/cognitojwt/cognitojwt/contrib/fiber"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/gofiber/fiber/v3"
	"github.com/valyala/fasthttp"
)

// BenchmarkRequest is one GET through a Fiber app's handler (fasthttp's
// in-memory RequestCtx, no network): "bare" is the route alone, "require"
// the same route behind Require with a real verifier and a repeat token.
func BenchmarkRequest(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		b.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		b.Fatal(err)
	}
	tok := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	ok := func(c fiber.Ctx) error { return c.SendString("ok") }
	for _, bc := range []struct {
		name     string
		handlers []fiber.Handler
	}{
		{"bare", []fiber.Handler{ok}},
		{"require", []fiber.Handler{fiberauth.Require(auth), ok}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			app := fiber.New()
			app.Get("/me", bc.handlers[0], toAny(bc.handlers[1:])...)
			h := app.Handler()
			var ctx fasthttp.RequestCtx
			ctx.Request.SetRequestURI("/me")
			ctx.Request.Header.SetMethod("GET")
			ctx.Request.Header.Set("Authorization", "Bearer "+tok)
			h(&ctx)
			if ctx.Response.StatusCode() != 200 {
				b.Fatalf("status %d", ctx.Response.StatusCode())
			}
			b.ReportAllocs()
			for b.Loop() {
				ctx.Response.Reset()
				h(&ctx)
			}
		})
	}
}

func toAny(hs []fiber.Handler) []any {
	out := make([]any, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}
