// Package gateway is the auth gateway behind "cognitojwt proxy": a
// reverse proxy and a forward-auth endpoint (nginx auth_request, Traefik
// ForwardAuth) that verify Cognito and OpenID Connect tokens per route
// before anything reaches the upstream, and forward the identity as
// request headers that clients cannot spoof.
//
// Data path: request → route match (http.ServeMux pattern) → httpauth
// (extract, verify, requirements, RFC 6750 responses) → identity headers
// → httputil.ReverseProxy → upstream.
package gateway
