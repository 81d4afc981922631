package gateway

import (
	"fmt"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// Scopes are granted to access tokens only (issue 10): with token_use: any
// and a route that requires a scope, an ID token that carries a custom
// "scope" or "scp" claim never meets the requirement. The access token of
// the same user with the same scope is the control.
func TestRouteScopesNeedAnAccessToken(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	doc := fmt.Sprintf(`
upstream: %q
pools:
  - user_pool_id: %s
    issuer: %s
    client_ids: [%s]
    token_use: any
routes:
  - pattern: "/orders/"
    scopes: [orders/read]
`, up.URL, iss.PoolID, iss.IssuerURL(), iss.ClientID)
	cfg, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	gw := newGateway(t, cfg)
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"access token with the scope", iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read"}}), 200},
		{"access token without it", iss.AccessToken(), 403},
		{"ID token with a scope claim", iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": "orders/read"}}), 403},
		{"ID token with an scp claim", iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"scp": "orders/read"}}), 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, before := up.seen()
			resp, body := get(t, gw.URL+"/orders/1", bearer(tc.token))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if _, after := up.seen(); (after > before) != (tc.status == 200) {
				t.Fatalf("upstream reached = %v", after > before)
			}
		})
	}
}

// The scope forwarded upstream reads the same to every splitter: a scope
// string with a TAB or a Unicode space (one scope to the gateway, two to
// an upstream that splits on any white space) is not forwarded; a plain
// U+0020 list is (the control).
func TestScopeHeaderOneReading(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	cfg := testConfig(t, iss, up.URL, "")
	cfg.Headers["scope"] = "X-Auth-Scope"
	gw := newGateway(t, cfg)
	cases := []struct {
		name  string
		scope string
		want  string // "" = header absent
	}{
		{"plain list", "orders/read orders/write", "orders/read orders/write"},
		{"tab", "orders/read\torders/write", ""},
		{"no-break space", "orders/read\u00a0orders/write", ""},
		{"ideographic space", "orders/read\u3000orders/write", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": tc.scope}})
			resp, body := get(t, gw.URL+"/api/x", map[string]string{"Authorization": "Bearer " + tok})
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			hdr, _ := up.seen()
			if got, ok := hdr["X-Auth-Scope"]; (tc.want == "") == ok || (ok && got[0] != tc.want) {
				t.Fatalf("X-Auth-Scope = %q (present %v), want %q", got, ok, tc.want)
			}
		})
	}
}
