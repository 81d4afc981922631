// Package httpauth is net/http middleware that admits requests carrying a
// valid bearer token and answers the others as RFC 6750 §3 asks: 401 with
// a WWW-Authenticate challenge, 400 invalid_request, 401 invalid_token,
// 403 insufficient_scope, and 503 with Retry-After when the verifier
// cannot get its keys, with RFC 9457 problem+json bodies that never echo
// the token.
//
// It works with any verifier that has a Verify(ctx, token) (C, error)
// method — *cognitojwt.Verifier, *oidc.Verifier — and hands the handler
// the claims typed as C:
//
//	v, err := cognitojwt.New(cognitojwt.Config{ /* … */ })
//	auth, err := httpauth.New(v, nil) // *httpauth.Auth[*cognitojwt.Claims]
//
//	mux := http.NewServeMux()
//	mux.Handle("GET /me", auth.Require()(http.HandlerFunc(me)))
//	mux.Handle("GET /orders", auth.Require(httpauth.Scope("orders/read"))(listOrders))
//	mux.Handle("DELETE /orders/{id}", auth.Require(httpauth.Group("admin"))(deleteOrder))
//
//	func me(w http.ResponseWriter, r *http.Request) {
//		claims, _ := auth.Claims(r) // *cognitojwt.Claims
//		fmt.Fprintln(w, claims.Username)
//	}
//
// Middleware is func(http.Handler) http.Handler, so it composes with
// http.ServeMux patterns, chi and any other router; nested modules adapt
// it to gin (contrib/gin) and echo (contrib/echo). Tokens are read from
// "Authorization: Bearer" by default, and from a named header, a cookie,
// ALB's x-amzn-oidc-accesstoken or (only when enabled) the query string
// when configured in [Options.Sources]. See docs/HTTPAUTH.md for the full
// response table.
package httpauth
