package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// envoyCheck sends a request shaped as Envoy's HTTP ext_authz filter
// sends it to an authorization service with path_prefix /_ext_authz: the
// original method, the prefix plus the original path and query, the
// original Host, the headers of its default allow list (Authorization,
// Content-Length: 0, no body), and the x-envoy-* and x-request-id headers
// it adds.
func envoyCheck(t *testing.T, base, method, path, token string, extra map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+"/_ext_authz"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "orders.example.com"
	req.ContentLength = 0
	req.Header.Set("Content-Length", "0")
	req.Header.Set("X-Envoy-Expected-Rq-Timeout-Ms", "250")
	req.Header.Set("X-Envoy-Internal", "true")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Request-Id", "3f1c1a7e-2f5d-4b7e-9a2a-6d1d1c3e9b11")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestEnvoyExtAuthz is the contract with Envoy's ext_authz HTTP service
// (and Istio's envoyExtAuthzHttp provider, which configures the same
// filter): each check answers what the route requires of the original
// request, 200 carries the identity headers Envoy copies upstream, and a
// denial carries the status and WWW-Authenticate Envoy relays.
func TestEnvoyExtAuthz(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	srv := newGateway(t, testConfig(t, iss, up.URL, "ext_authz_prefix: /_ext_authz\n"))
	user := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})
	tests := []struct {
		name, method, path, token string
		extra                     map[string]string
		status                    int
		user                      string // X-Auth-User on 200
		wwwAuth                   string // substring of WWW-Authenticate on 401/403
	}{
		{"valid token, any-token route", "GET", "/api/x", user, nil, 200, "alice", ""},
		{"query kept, not part of the route", "GET", "/api/x?page=2&sort=asc", user, nil, 200, "alice", ""},
		{"no token", "GET", "/api/x", "", nil, 401, "", "Bearer"},
		{"method-scoped route: GET with scope", "GET", "/orders/42", user, nil, 200, "alice", ""},
		{"method-scoped route: admin lacks the scope", "GET", "/orders/42", admin, nil, 403, "", "insufficient_scope"},
		{"group route, not in group", "GET", "/admin/users", user, nil, 403, "", "insufficient_scope"},
		{"group route, in group", "POST", "/admin/users", admin, nil, 200, "root", ""},
		{"anonymous route", "GET", "/public/logo.png", "", nil, 200, "", ""},
		{"traversal in the original path", "GET", "/public/../admin/users", "", nil, 400, "", ""},
		{"encoded slash", "GET", "/public%2f..%2fadmin/users", "", nil, 400, "", ""},
		{"client-set X-Original-URI refused", "GET", "/public/x", "", map[string]string{"X-Original-URI": "/admin/"}, 400, "", ""},
		{"client-set X-Forwarded-Method refused", "GET", "/public/x", "", map[string]string{"X-Forwarded-Method": "POST"}, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := envoyCheck(t, srv.URL, tt.method, tt.path, tt.token, tt.extra)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("X-Auth-User"); got != tt.user {
				t.Errorf("X-Auth-User %q, want %q", got, tt.user)
			}
			if tt.wwwAuth != "" && !strings.Contains(resp.Header.Get("WWW-Authenticate"), tt.wwwAuth) {
				t.Errorf("WWW-Authenticate %q, want %q in it", resp.Header.Get("WWW-Authenticate"), tt.wwwAuth)
			}
		})
	}
	// An allowing answer names every identity header, empty when the
	// token lacks the claim, so Envoy overwrites a client's own copy.
	resp, _ := envoyCheck(t, srv.URL, "GET", "/api/x", user, map[string]string{"X-Auth-Groups": "admin"})
	if v, ok := resp.Header["X-Auth-Groups"]; resp.StatusCode != 200 || !ok || len(v) != 1 || v[0] != "" {
		t.Errorf("X-Auth-Groups of a user without groups: %q (present %v)", v, ok)
	}
	if _, hits := up.seen(); hits != 0 {
		t.Errorf("a check reached the upstream %d times", hits)
	}
	// Control: outside the prefix the gateway still proxies.
	if resp, body := get(t, srv.URL+"/api/x", map[string]string{"Authorization": "Bearer " + user}); resp.StatusCode != 200 || body != "upstream:/api/x" {
		t.Errorf("proxying beside ext_authz: %d %s", resp.StatusCode, body)
	}
}

func TestExtAuthzPrefixConfig(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	for _, bad := range []string{"ext_authz_prefix: _ext\n", "ext_authz_prefix: /_ext/\n", "ext_authz_prefix: /_auth\n"} {
		doc := strings.Replace(configDoc(iss, "http://127.0.0.1:1"), "EXTRA", bad, 1)
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), "ext_authz_prefix") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := Parse([]byte(strings.Replace(configDoc(iss, "http://127.0.0.1:1"), "EXTRA", "ext_authz_prefix: /_ext\n", 1))); err != nil {
		t.Errorf("control: %v", err)
	}
}

func configDoc(iss *cognitotest.Issuer, up string) string {
	return "upstream: " + up + "\nforward_auth_path: /_auth\npools:\n  - user_pool_id: " + iss.PoolID + "\n    issuer: " + iss.IssuerURL() +
		"\n    client_ids: [" + iss.ClientID + "]\nEXTRA"
}
