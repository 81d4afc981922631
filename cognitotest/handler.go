package cognitotest

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/cognitojwt/cognitojwt/oidc"
)

// newHandler routes the pool's paths. Only the pool's own id is served:
// another pool id is a 404, as on Cognito.
func (i *Issuer) newHandler() http.Handler {
	mux := http.NewServeMux()
	pool := "/" + i.PoolID
	mux.HandleFunc("GET "+pool+"/.well-known/jwks.json", i.serveJWKS)
	mux.HandleFunc("GET "+pool+"/.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("POST /oauth2/token", i.serveToken)
	// Advertised in the discovery document, as Cognito advertises them,
	// but not implemented: say so rather than 404.
	for _, p := range []string{"/oauth2/authorize", "/oauth2/userInfo", "/oauth2/revoke", "/logout"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "cognitotest: "+p+" is not implemented: mint tokens with the Issuer's methods", http.StatusNotImplemented)
		})
	}
	return mux
}

// serveJWKS serves the key set, or the failure set by SetJWKSStatus or
// SetJWKSBody.
func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.jwksRequests.Add(1)
	i.mu.Lock()
	status, body, doc := i.status, i.body, i.doc
	i.mu.Unlock()
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if body != nil {
		doc = body
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(doc)
}

// serveDiscovery serves the OpenID Provider metadata with the members a
// Cognito pool with a domain publishes (end_session_endpoint since
// February 2024), endpoints at the root as on a Cognito domain. Members
// are in alphabetical order, as Cognito writes them.
func (i *Issuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	base := i.base(r)
	iss := base + "/" + i.PoolID
	i.mu.Lock()
	var algs []string
	for _, k := range i.keys {
		if !slices.Contains(algs, string(k.Algorithm)) {
			algs = append(algs, string(k.Algorithm))
		}
	}
	i.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"authorization_endpoint":                base + "/oauth2/authorize",
		"end_session_endpoint":                  base + "/logout",
		"id_token_signing_alg_values_supported": algs,
		"issuer":                                iss,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"response_types_supported":              []string{"code", "token"},
		"revocation_endpoint":                   base + "/oauth2/revoke",
		"scopes_supported":                      []string{"openid", "email", "phone", "profile"},
		"subject_types_supported":               []string{"public"},
		"token_endpoint":                        base + "/oauth2/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"userinfo_endpoint":                     base + "/oauth2/userInfo",
	})
}

// maxForm bounds the token request body.
const maxForm = 64 << 10

// serveToken implements the client-credentials grant of Cognito's token
// endpoint: client id and secret by HTTP Basic (client_secret_basic) or in
// the form (client_secret_post), optional "scope", an M2M access token in
// return. Errors are 400 with an OAuth error code, as Cognito answers.
func (i *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request")
		return
	}
	form := r.PostForm
	switch form.Get("grant_type") {
	case "client_credentials":
	case "":
		oauthError(w, "invalid_request")
		return
	default:
		oauthError(w, "unsupported_grant_type")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id != i.ClientID || (i.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(i.ClientSecret)) != 1) {
		oauthError(w, "invalid_client")
		return
	}
	scopes := oidc.SplitScope(form.Get("scope")) // U+0020 only, as Cognito's endpoint
	for _, s := range scopes {
		if !slices.Contains(i.Scopes, s) {
			oauthError(w, "invalid_scope")
			return
		}
	}
	token, err := i.mint(m2m, TokenOptions{Scopes: scopes}, i.base(r))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"expires_in":   int(DefaultTTL.Seconds()),
		"token_type":   "Bearer",
	})
}

// base is URL, or the request's own origin when URL is empty.
func (i *Issuer) base(r *http.Request) string {
	i.mu.Lock()
	base := i.URL
	i.mu.Unlock()
	if base != "" {
		return base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func oauthError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}
