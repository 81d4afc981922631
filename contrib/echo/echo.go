// Package echoauth adapts package httpauth's middleware to the Echo web
// framework (github.com/labstack/echo/v4), in a module of its own so that
// the core never depends on Echo. Import it under its own name:
//
//	import echoauth "github.com/cognitojwt/cognitojwt/contrib/echo"
//
//	auth, err := httpauth.New(verifier, nil)
//	e := echo.New()
//	e.GET("/orders", listOrders, echoauth.Require(auth, httpauth.Scope("orders/read")))
//
//	func listOrders(c echo.Context) error {
//		claims, _ := echoauth.Claims[*cognitojwt.Claims](c)
//		…
//	}
//
// Refusals are exactly those of httpauth (status, WWW-Authenticate,
// problem+json body, Options.ErrorHandler), written to c.Response(); the
// next handler is not called and the middleware returns nil, so Echo's
// HTTPErrorHandler does not write a second response.
package echoauth

import (
	"net/http"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/labstack/echo/v4"
)

// Require returns Echo middleware that calls the next handler only when
// a.Require(reqs...) would; see [httpauth.Auth.Require]. It panics, at
// route set-up, on a requirement the claims type cannot answer.
func Require[C any](a *httpauth.Auth[C], reqs ...httpauth.Requirement) echo.MiddlewareFunc {
	return Wrap(a.Require(reqs...))
}

// Optional returns Echo middleware that admits a request without a token
// as anonymous and refuses a bad token; see [httpauth.Auth.Optional].
func Optional[C any](a *httpauth.Auth[C]) echo.MiddlewareFunc {
	return Wrap(a.Optional())
}

// Claims returns the verified claims of the request, put there by Require
// or Optional, and false when there are none. C is the claims type of the
// Auth (*cognitojwt.Claims, *oidc.Claims…).
func Claims[C any](c echo.Context) (C, bool) {
	return httpauth.ClaimsFrom[C](c.Request().Context())
}

// Wrap adapts any net/http middleware to Echo: the next handler runs
// inside it, with the request it passes on, and its error is returned.
func Wrap(mw func(http.Handler) http.Handler) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var err error
			mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				c.SetRequest(r)
				err = next(c)
			})).ServeHTTP(c.Response(), c.Request())
			return err
		}
	}
}
