package gateway

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// upstream records what reached it.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	last http.Header
	hits int
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.last, u.hits = r.Header.Clone(), u.hits+1
		u.mu.Unlock()
		io.WriteString(w, "upstream:"+r.URL.Path)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) seen() (http.Header, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last, u.hits
}

func testConfig(t *testing.T, iss *cognitotest.Issuer, up string, extra string) *Config {
	t.Helper()
	doc := fmt.Sprintf(`
upstream: %q
forward_auth_path: /_auth
pools:
  - user_pool_id: %s
    issuer: %s
    client_ids: [%s]
routes:
  - pattern: "/public/"
    anonymous: true
  - pattern: "/admin/"
    groups: [admin]
  - pattern: "GET /orders/{id}"
    scopes: [orders/read]
  - pattern: "/api/"
headers:
  sub: X-Auth-Sub
  username: X-Auth-User
  cognito:groups: X-Auth-Groups
claims_header: X-Auth-Claims
%s`, up, iss.PoolID, iss.IssuerURL(), iss.ClientID, extra)
	cfg, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newGateway(t *testing.T, cfg *Config) *httptest.Server {
	t.Helper()
	g, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
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

func TestRoutes(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, ""))
	user := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Groups: []string{"users"}, Scopes: []string{"orders/read"}})
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	tests := []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
		chal   string // substring of WWW-Authenticate; "" = header absent
		proxy  bool   // the upstream must see it
	}{
		{"api with token", "/api/x", bearer(user), 200, "", true},
		{"api without token", "/api/x", nil, 401, `Bearer realm="cognitojwt"`, false},
		{"api with expired token", "/api/x", bearer(iss.AccessToken(cognitotest.TokenOptions{Expired: true})), 401, `error="invalid_token"`, false},
		{"api with ID token", "/api/x", bearer(iss.IDToken()), 401, `error="invalid_token"`, false},
		{"api with two tokens", "/api/x", map[string]string{"Authorization": "Bearer " + user + " x"}, 400, `error="invalid_request"`, false},
		{"admin as user", "/admin/", bearer(user), 403, `error="insufficient_scope"`, false},
		{"admin as admin", "/admin/", bearer(admin), 200, "", true},
		{"scope route", "/orders/7", bearer(user), 200, "", true},
		{"scope route, no scope", "/orders/7", bearer(admin), 403, `scope="orders/read"`, false},
		{"public without token", "/public/p", nil, 200, "", true},
		{"public with bad token", "/public/p", bearer("x.y.z"), 401, `error="invalid_token"`, false},
		{"unlisted route denied", "/elsewhere", bearer(admin), 403, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := up.seen()
			resp, body := get(t, gw.URL+tt.path, tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			chal := resp.Header.Get("WWW-Authenticate")
			if (tt.chal == "") != (chal == "") || !strings.Contains(chal, tt.chal) {
				t.Errorf("WWW-Authenticate %q, want %q", chal, tt.chal)
			}
			if _, after := up.seen(); (after > before) != tt.proxy {
				t.Errorf("upstream reached = %v, want %v", after > before, tt.proxy)
			}
			if tt.proxy && body != "upstream:"+strings.SplitN(tt.path, "?", 2)[0] {
				t.Errorf("body %q", body)
			}
		})
	}
}

func TestIdentityHeaders(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, ""))
	tok := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Groups: []string{"a", "b"}})
	spoof := map[string]string{
		"Authorization": "Bearer " + tok,
		"X-Auth-Sub":    "spoofed", "x-auth-user": "spoofed", "X-Auth-Groups": "admin", "X-Auth-Claims": "e30",
		"X-Forwarded-For": "6.6.6.6",
	}
	get(t, gw.URL+"/api/x", spoof)
	h, _ := up.seen()
	if h.Get("X-Auth-Sub") != iss.Subject("alice") || h.Get("X-Auth-User") != "alice" || h.Get("X-Auth-Groups") != `"a", "b"` {
		t.Errorf("identity headers: %v", h)
	}
	if len(h.Values("X-Auth-Sub")) != 1 || len(h.Values("X-Auth-Groups")) != 1 {
		t.Errorf("spoofed values kept beside the real ones: %v", h)
	}
	var claims map[string]any
	raw, _ := decodeB64(h.Get("X-Auth-Claims"))
	if err := json.Unmarshal(raw, &claims); err != nil || claims["username"] != "alice" {
		t.Errorf("claims header %q: %v", h.Get("X-Auth-Claims"), err)
	}
	if xff := h.Get("X-Forwarded-For"); strings.Contains(xff, "6.6.6.6") {
		t.Errorf("client X-Forwarded-For kept: %q", xff)
	}
	if h.Get("Authorization") == "" {
		t.Error("token stripped without strip_token")
	}

	// Anonymous route: spoofed headers are removed, none are set.
	delete(spoof, "Authorization")
	get(t, gw.URL+"/public/", spoof)
	h, _ = up.seen()
	for _, name := range []string{"X-Auth-Sub", "X-Auth-User", "X-Auth-Groups", "X-Auth-Claims"} {
		if v := h.Get(name); v != "" {
			t.Errorf("anonymous request reached upstream with %s: %q", name, v)
		}
	}
}

func TestStripToken(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, "strip_token: true\nsources: [bearer, cookie:session]\n"))
	tok := iss.AccessToken()
	get(t, gw.URL+"/api/", map[string]string{"Authorization": "Bearer " + tok})
	if h, _ := up.seen(); h.Get("Authorization") != "" {
		t.Error("Authorization forwarded with strip_token")
	}
	get(t, gw.URL+"/api/", map[string]string{"Cookie": "session=" + tok + "; theme=dark"})
	if h, _ := up.seen(); strings.Contains(h.Get("Cookie"), "session") || !strings.Contains(h.Get("Cookie"), "theme=dark") {
		t.Errorf("Cookie upstream: %q", h.Get("Cookie"))
	}
}

func TestForwardAuth(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, ""))
	user := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	tests := []struct {
		name, method, uri, token string
		status                   int
	}{
		{"nginx style, allowed", "GET", "/api/x", user, 200},
		{"no token", "GET", "/api/x", "", 401},
		{"group route", "GET", "/admin/x", user, 403},
		{"scope route", "GET", "/orders/1", user, 200},
		{"scope route, other method: default deny", "POST", "/orders/1", user, 403},
		{"anonymous", "GET", "/public/", "", 200},
		{"unlisted", "GET", "/nope", user, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{"X-Original-Method": tt.method, "X-Original-URI": tt.uri}
			if tt.token != "" {
				hdr["Authorization"] = "Bearer " + tt.token
			}
			_, hits := up.seen()
			resp, _ := get(t, gw.URL+"/_auth", hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 200 && tt.token != "" && resp.Header.Get("X-Auth-User") != "alice" {
				t.Errorf("identity headers missing: %v", resp.Header)
			}
			if _, after := up.seen(); after != hits {
				t.Error("forward-auth reached the upstream")
			}
		})
	}
	// Traefik's headers.
	resp, _ := get(t, gw.URL+"/_auth", map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/admin/", "Authorization": "Bearer " + user})
	if resp.StatusCode != 403 {
		t.Errorf("traefik style: %d", resp.StatusCode)
	}
	resp, _ = get(t, gw.URL+"/_auth", map[string]string{"X-Original-Method": "get now", "X-Original-URI": "/api/"})
	if resp.StatusCode != 400 {
		t.Errorf("bad method header: %d", resp.StatusCode)
	}
	// A proxy that names no method or no URI gets no guess: "GET /" is
	// not the request it asks about.
	for _, hdr := range []map[string]string{
		{"X-Original-URI": "/public/x"},
		{"X-Original-Method": "GET"},
		{},
	} {
		hdr["Authorization"] = "Bearer " + user
		if resp, _ := get(t, gw.URL+"/_auth", hdr); resp.StatusCode != 400 {
			t.Errorf("forward-auth without method or URI (%v): %d, want 400", hdr, resp.StatusCode)
		}
	}
}

func TestKeysUnavailableIs503(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	iss.SetJWKSStatus(http.StatusServiceUnavailable)
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, ""))
	resp, _ := get(t, gw.URL+"/api/", map[string]string{"Authorization": "Bearer " + iss.AccessToken()})
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestUpstreamDown(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	url := up.URL
	up.Close()
	gw := newGateway(t, testConfig(t, iss, url, ""))
	resp, _ := get(t, gw.URL+"/api/", map[string]string{"Authorization": "Bearer " + iss.AccessToken()})
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
}

func TestReload(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	cfg := testConfig(t, iss, up.URL, "")
	g, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	tok := iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"ops"}})
	hdr := map[string]string{"Authorization": "Bearer " + tok}
	if resp, _ := get(t, srv.URL+"/admin/", hdr); resp.StatusCode != 403 {
		t.Fatalf("before reload: %d", resp.StatusCode)
	}
	next := testConfig(t, iss, up.URL, "")
	next.Routes[1].Groups = []string{"ops"}
	if err := g.Reload(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, srv.URL+"/admin/", hdr); resp.StatusCode != 200 {
		t.Fatalf("after reload: %d", resp.StatusCode)
	}
	for name, edit := range map[string]func(*Config){
		"listen":           func(c *Config) { c.Listen = "127.0.0.1:1" },
		"max_header_bytes": func(c *Config) { c.MaxHeaderBytes = 1 << 20 },
		"idle timeout":     func(c *Config) { c.Timeouts.Idle = Duration(time.Minute) },
		"tls":              func(c *Config) { c.TLS = &TLSConfig{CertFile: "a", KeyFile: "b"} },
	} {
		moved := testConfig(t, iss, up.URL, "")
		edit(moved)
		if err := g.Reload(context.Background(), moved); err == nil {
			t.Errorf("reload applied a %s change it cannot apply", name)
		}
	}
	upstreamOnly := testConfig(t, iss, up.URL, "")
	upstreamOnly.Timeouts.Upstream = Duration(time.Second)
	if err := g.Reload(context.Background(), upstreamOnly); err != nil {
		t.Errorf("upstream timeout change refused: %v", err)
	}
}

func TestAdmin(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	g, err := New(testConfig(t, iss, up.URL, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	main, admin := httptest.NewServer(g), httptest.NewServer(g.AdminHandler())
	defer main.Close()
	defer admin.Close()
	if resp, _ := get(t, admin.URL+"/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	if resp, _ := get(t, admin.URL+"/readyz", nil); resp.StatusCode != 503 {
		t.Errorf("readyz before hydrate %d", resp.StatusCode)
	}
	if err := g.Hydrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, admin.URL+"/readyz", nil); resp.StatusCode != 200 {
		t.Errorf("readyz after hydrate %d", resp.StatusCode)
	}
	get(t, main.URL+"/api/", map[string]string{"Authorization": "Bearer " + iss.AccessToken()})
	get(t, main.URL+"/api/", nil)
	_, metrics := get(t, admin.URL+"/metrics", nil)
	for _, want := range []string{
		`cognitojwt_requests_total{route="/api/",outcome="ok"} 1`,
		`cognitojwt_requests_total{route="/api/",outcome="missing_token"} 1`,
		`cognitojwt_jwks_events_total{event="fetch_succeeded"} 1`,
		`cognitojwt_verify_duration_seconds_count 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	base := "upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c]}]\n"
	tests := []struct{ name, doc, want string }{
		{"unknown field", base + "grups: [x]\n", "grups"},
		{"no upstream", "pools: [{user_pool_id: us-east-1_X, client_ids: [c]}]\n", "upstream"},
		{"bad upstream", "upstream: ftp://x\npools: [{user_pool_id: us-east-1_X, client_ids: [c]}]\n", "upstream"},
		{"nothing trusted", "upstream: http://127.0.0.1:1\n", "nothing would be trusted"},
		{"bad pool", "upstream: http://127.0.0.1:1\npools: [{user_pool_id: nope, client_ids: [c]}]\n", "pools[0]"},
		{"pool without clients", "upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X}]\n", "client_ids"},
		{"bad pattern", base + "routes: [{pattern: \"GET\"}]\n", "routes[0]"},
		{"conflicting patterns", base + "routes: [{pattern: \"/a/\"}, {pattern: \"/a/\"}]\n", "routes[1]"},
		{"anonymous with groups", base + "routes: [{pattern: \"/a/\", anonymous: true, groups: [x]}]\n", "anonymous"},
		{"bad default", base + "default: allow\n", "default"},
		{"header carrying Authorization", base + "headers: {sub: Authorization}\n", "Authorization"},
		{"two claims one header", base + "headers: {sub: X-A, username: x-a}\n", "X-A"},
		{"bad duration", base + "timeouts: {upstream: soon}\n", "duration"},
		{"bad token_use", base + "routes: [{pattern: \"/a/\", token_use: refresh}]\n", "token_use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
		})
	}
	if _, err := Parse([]byte(base)); err != nil {
		t.Fatalf("base config refused: %v", err)
	}
	for _, extra := range []string{"sources: [bogus]\n", "sources: [\"header:\"]\n", "issuers: [{issuer: \"https://i.example\"}]\n"} {
		if _, err := Parse([]byte(base + extra)); err == nil {
			t.Errorf("accepted %q: it would fail only at start", extra)
		}
	}
}

func TestNonCanonicalPaths(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, ""))
	for _, path := range []string{
		"/public/%2e%2e/admin/x", "/public/%2E%2E/admin/x", "/public/.%2e/admin/x",
		"/public/..%2Fadmin/x", "/public/..;/admin/x", "/public/..%5Cadmin/x", "/public/a%2fb",
	} {
		_, hits := up.seen()
		resp, _ := get(t, gw.URL+path, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", path, resp.StatusCode)
		}
		if _, after := up.seen(); after != hits {
			t.Errorf("%s reached the upstream", path)
		}
		resp, _ = get(t, gw.URL+"/_auth", map[string]string{"X-Original-Method": "GET", "X-Original-URI": path})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("forward-auth %s: status %d, want 400", path, resp.StatusCode)
		}
	}
	if resp, _ := get(t, gw.URL+"/public/a.b/..c/x", nil); resp.StatusCode != 200 {
		t.Errorf("dots inside names refused: %d", resp.StatusCode)
	}
}

func TestForwardAuthHeaderDisagreement(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, ""))
	// Traefik passes the client's headers on: a client-added X-Original-URI
	// must not choose what is checked.
	resp, _ := get(t, gw.URL+"/_auth", map[string]string{"X-Forwarded-Uri": "/admin/secret", "X-Original-URI": "/public/x"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("disagreeing URIs: %d, want 400", resp.StatusCode)
	}
	resp, _ = get(t, gw.URL+"/_auth", map[string]string{"X-Forwarded-Method": "DELETE", "X-Original-Method": "GET", "X-Original-URI": "/public/x"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("disagreeing methods: %d, want 400", resp.StatusCode)
	}
	resp, _ = get(t, gw.URL+"/_auth", map[string]string{"X-Original-Method": "GET", "X-Forwarded-Uri": "/public/x", "X-Original-URI": "/public/x"})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("agreeing URIs: %d, want 200", resp.StatusCode)
	}
}

func TestUnderscoreSpoofing(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	gw := newGateway(t, testConfig(t, iss, up.URL, ""))
	get(t, gw.URL+"/public/", map[string]string{"X_Auth_Sub": "admin", "x_auth_groups": "admin", "X-Auth_User": "root", "X_Other": "kept"})
	h, _ := up.seen()
	for name := range h {
		if strings.Contains(strings.ToLower(name), "auth") {
			t.Errorf("%s reached the upstream", name)
		}
	}
	if h.Get("X_Other") != "kept" {
		t.Errorf("an unrelated underscore header was dropped: %v", h)
	}
}

func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// newUpstreamFunc starts an upstream serving h and returns its URL.
func newUpstreamFunc(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
