// Package fiberauth adapts package httpauth's middleware to the Fiber v3
// web framework (github.com/gofiber/fiber/v3), in a module of its own so
// that the core never depends on Fiber or fasthttp. Import it under its
// own name:
//
//	import fiberauth "github.com/cognitojwt/cognitojwt/contrib/fiber"
//
//	auth, err := httpauth.New(verifier, nil)
//	app := fiber.New()
//	app.Get("/orders", fiberauth.Require(auth, httpauth.Scope("orders/read")), listOrders)
//
//	func listOrders(c fiber.Ctx) error {
//		claims, _ := fiberauth.Claims[*cognitojwt.Claims](c)
//		…
//	}
//
// Fiber runs on fasthttp, not net/http: the middleware reads a
// *http.Request built from the fasthttp request (method, path, query and
// every header field, repeated ones included, so a second Authorization
// field is refused as in net/http). Refusals are exactly those of
// httpauth (status, WWW-Authenticate, problem+json body,
// Options.ErrorHandler), written to the Fiber response, and the next
// handler does not run. Admitted requests carry the claims in
// c.Context().
package fiberauth

import (
	"net/http"
	"net/url"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/gofiber/fiber/v3"
)

// Require returns Fiber middleware that calls the next handler only when
// a.Require(reqs...) would; see [httpauth.Auth.Require]. It panics, at
// route set-up, on a requirement the claims type cannot answer.
func Require[C any](a *httpauth.Auth[C], reqs ...httpauth.Requirement) fiber.Handler {
	return Wrap(a.Require(reqs...))
}

// Optional returns Fiber middleware that admits a request without a token
// as anonymous and refuses a bad token; see [httpauth.Auth.Optional].
func Optional[C any](a *httpauth.Auth[C]) fiber.Handler {
	return Wrap(a.Optional())
}

// Claims returns the verified claims of the request, put there by Require
// or Optional, and false when there are none. C is the claims type of the
// Auth (*cognitojwt.Claims, *oidc.Claims…).
func Claims[C any](c fiber.Ctx) (C, bool) {
	return httpauth.ClaimsFrom[C](c.Context())
}

// Wrap adapts net/http middleware that reads the request's method, URL
// and headers (not its body) to Fiber: when it passes the request on,
// c.Context() becomes the context it passed, the headers it set are kept,
// and the next handler runs; when it answers by itself, its status,
// headers and body are the response.
func Wrap(mw func(http.Handler) http.Handler) fiber.Handler {
	return func(c fiber.Ctx) error {
		w := &writer{c: c, header: make(http.Header)}
		passed := false
		mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			passed = true
			c.SetContext(r.Context())
		})).ServeHTTP(w, request(c))
		w.flushHeader()
		if !passed {
			return nil
		}
		return c.Next()
	}
}

// request is the *http.Request the middleware reads.
func request(c fiber.Ctx) *http.Request {
	fr := c.Request()
	h := make(http.Header, 8)
	for k, v := range fr.Header.All() {
		h.Add(string(k), string(v))
	}
	u := &url.URL{Path: string(fr.URI().PathOriginal()), RawQuery: string(fr.URI().QueryString())}
	r := &http.Request{
		Method:     string(fr.Header.Method()),
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       string(fr.Host()),
		RequestURI: string(fr.RequestURI()),
	}
	return r.WithContext(c.Context())
}

// writer writes what the middleware answers to the Fiber response.
type writer struct {
	c       fiber.Ctx
	header  http.Header
	flushed bool
}

func (w *writer) Header() http.Header { return w.header }

func (w *writer) flushHeader() {
	if w.flushed {
		return
	}
	w.flushed = true
	rh := &w.c.Response().Header
	for k, vs := range w.header {
		rh.Del(k)
		for _, v := range vs {
			rh.Add(k, v)
		}
	}
}

func (w *writer) WriteHeader(status int) {
	if w.flushed {
		return
	}
	w.flushHeader()
	w.c.Status(status)
}

func (w *writer) Write(p []byte) (int, error) {
	if !w.flushed {
		w.WriteHeader(http.StatusOK)
	}
	return w.c.Write(p)
}
