// Package ginauth adapts package httpauth's middleware to the gin web
// framework (github.com/gin-gonic/gin), in a module of its own so that the
// core never depends on gin. Import it under its own name:
//
//	import ginauth "github.com/cognitojwt/cognitojwt/contrib/gin"
//
//	auth, err := httpauth.New(verifier, nil)
//	r := gin.New()
//	r.GET("/orders", ginauth.Require(auth, httpauth.Scope("orders/read")), listOrders)
//
//	func listOrders(c *gin.Context) {
//		claims, _ := ginauth.Claims[*cognitojwt.Claims](c)
//		…
//	}
//
// Refusals are exactly those of httpauth (status, WWW-Authenticate,
// problem+json body, Options.ErrorHandler), written to c.Writer, and the
// chain is aborted: no later handler runs.
package ginauth

import (
	"net/http"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/gin-gonic/gin"
)

// Require returns gin middleware that passes the request on only when
// a.Require(reqs...) would; see [httpauth.Auth.Require]. It panics, at
// route set-up, on a requirement the claims type cannot answer.
func Require[C any](a *httpauth.Auth[C], reqs ...httpauth.Requirement) gin.HandlerFunc {
	return Wrap(a.Require(reqs...))
}

// Optional returns gin middleware that admits a request without a token
// as anonymous and refuses a bad token; see [httpauth.Auth.Optional].
func Optional[C any](a *httpauth.Auth[C]) gin.HandlerFunc {
	return Wrap(a.Optional())
}

// Claims returns the verified claims of the request, put there by Require
// or Optional, and false when there are none. C is the claims type of the
// Auth (*cognitojwt.Claims, *oidc.Claims…).
func Claims[C any](c *gin.Context) (C, bool) {
	return httpauth.ClaimsFrom[C](c.Request.Context())
}

// Wrap adapts any net/http middleware to gin: the rest of the chain runs
// inside it, with c.Request replaced by the request it passes on, and the
// chain is aborted when it answers by itself.
func Wrap(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		passed := false
		mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			passed = true
			c.Request = r
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !passed {
			c.Abort()
		}
	}
}
