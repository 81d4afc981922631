package gateway

import (
	"net/http"
	"net/url"
	"strings"
)

// withExtAuthz serves Envoy ext_authz HTTP-service checks under prefix and
// everything else with next.
//
// Envoy's HTTP authorization service gets the original request's method,
// its path behind path_prefix, its Host and (by default) its
// Authorization header, with no body. The answer: 2xx allows (Envoy
// copies allowed_upstream_headers, here the identity headers, to the
// upstream request); anything else is sent to the client as is (status,
// WWW-Authenticate, body). So the check names the original request only
// through its own method and path: headers that name another request
// (X-Original-URI and friends, which nginx and Traefik send) are refused,
// because a client could set them and Envoy would pass them on with
// allowed_headers wide open: one reading of every check.
//
// Envoy copies a header of allowed_upstream_headers only when the answer
// has it, so a client's own X-Auth-Groups would reach the upstream when
// the token has no groups: an allowing answer names every identity
// header, empty when the token has no such claim, and Envoy overwrites
// the client's copy with it.
func withExtAuthz(next http.Handler, prefix string, routes http.Handler, overrides headerSet, bad func(http.ResponseWriter, error), identity []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.URL.EscapedPath()
		rest, ok := strings.CutPrefix(raw, prefix)
		if !ok || !strings.HasPrefix(rest, "/") {
			next.ServeHTTP(w, r)
			return
		}
		for _, h := range []string{"X-Original-Method", "X-Forwarded-Method", "X-Original-URI", "X-Forwarded-Uri", "X-Original-Host"} {
			if len(r.Header.Values(h)) > 0 {
				bad(w, requestError("bad ext_authz check: "+h+" names another request"))
				return
			}
		}
		if name, ok := overrides.in(r.Header); ok {
			bad(w, requestError("the request carries the method-override header "+name))
			return
		}
		// The rest of the path, still escaped, is the original request's:
		// the routes judge it exactly as they judge a proxied request.
		uri := rest
		if r.URL.RawQuery != "" {
			uri += "?" + r.URL.RawQuery
		}
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			bad(w, requestError("bad ext_authz check: the URI does not parse"))
			return
		}
		orig := r.Clone(r.Context())
		orig.URL = u
		orig.RequestURI = uri
		orig.Pattern = ""
		routes.ServeHTTP(&blankIdentity{ResponseWriter: w, names: identity}, orig)
	})
}

// blankIdentity adds the identity headers the answer lacks, empty, to an
// allowing (2xx) answer.
type blankIdentity struct {
	http.ResponseWriter
	names []string
	wrote bool
}

func (b *blankIdentity) WriteHeader(code int) {
	if !b.wrote && code >= 200 && code < 300 {
		h := b.Header()
		for _, n := range b.names {
			if n != "" && len(h.Values(n)) == 0 {
				h[http.CanonicalHeaderKey(n)] = []string{""}
			}
		}
	}
	b.wrote = true
	b.ResponseWriter.WriteHeader(code)
}

func (b *blankIdentity) Write(p []byte) (int, error) {
	if !b.wrote {
		b.WriteHeader(http.StatusOK)
	}
	return b.ResponseWriter.Write(p)
}

func (b *blankIdentity) Unwrap() http.ResponseWriter { return b.ResponseWriter }
