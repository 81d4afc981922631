package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// gatewayBin is the cognitojwt binary TestMain builds, once per test
// binary.
var gatewayBin string

// signingKey signs every test issuer's tokens (generating RSA keys is slow
// under the race detector); otherKey is published by no issuer, for
// forged tokens.
var signingKey, otherKey *rsa.PrivateKey

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cognitojwt-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildGateway(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	for _, k := range []**rsa.PrivateKey{&signingKey, &otherKey} {
		if *k, err = cognitotest.GenerateKey(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	return m.Run()
}

// buildGateway runs "go build -o DIR/cognitojwt ./cmd/cognitojwt" at the
// module root.
func buildGateway(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	gatewayBin = filepath.Join(dir, "cognitojwt")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", gatewayBin, "./cmd/cognitojwt")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -o %s ./cmd/cognitojwt: %v\n%s", gatewayBin, err, out)
	}
	return nil
}

// ---------------------------------------------------------------------
// The gateway process.

// gwConfig fills testdata/gateway.yaml.tmpl.
type gwConfig struct {
	Listen, Admin            string // set by startGateway
	Upstream                 string // "" for forward-auth only
	PoolID, Issuer, ClientID string
	AdminGroup               string // the group /admin/ requires
	Default                  string // deny or authenticate
	StripToken               bool
	UpstreamTimeout          string
}

var configTemplate = template.Must(template.ParseFiles("testdata/gateway.yaml.tmpl"))

// newConfig is the configuration of a gateway in front of upstream that
// trusts iss.
func newConfig(iss *cognitotest.Issuer, upstream string) gwConfig {
	return gwConfig{
		Upstream:        upstream,
		PoolID:          iss.PoolID,
		Issuer:          iss.IssuerURL(),
		ClientID:        iss.ClientID,
		AdminGroup:      "admin",
		Default:         "deny",
		UpstreamTimeout: "5s",
	}
}

// gatewayProc is a running "cognitojwt proxy --config FILE".
type gatewayProc struct {
	t        testing.TB
	tmpl     *template.Template // the configuration's template
	URL      string             // http://127.0.0.1:port
	AdminURL string
	cfg      gwConfig
	cfgPath  string
	cmd      *exec.Cmd
	logs     *syncBuffer
	done     chan struct{} // closed when the process has exited
	waitErr  error         // cmd.Wait's result, once done is closed
}

// startGateway starts the gateway with cfg on free loopback ports and
// waits until it answers /healthz (keys may not be fetched yet: see
// waitReady). The process is killed when the test ends.
func startGateway(t testing.TB, cfg gwConfig) *gatewayProc {
	t.Helper()
	return startGatewayTemplate(t, configTemplate, cfg)
}

// startGatewayTemplate is startGateway with the configuration tmpl
// filled with cfg instead of testdata/gateway.yaml.tmpl.
func startGatewayTemplate(t testing.TB, tmpl *template.Template, cfg gwConfig) *gatewayProc {
	t.Helper()
	dir := t.TempDir()
	var last error
	for attempt := 1; attempt <= 3; attempt++ {
		cfg.Listen, cfg.Admin = freeAddr(t), freeAddr(t)
		g := &gatewayProc{
			t:        t,
			tmpl:     tmpl,
			URL:      "http://" + cfg.Listen,
			AdminURL: "http://" + cfg.Admin,
			cfgPath:  filepath.Join(dir, "gateway.yaml"),
			logs:     &syncBuffer{},
			done:     make(chan struct{}),
		}
		g.writeConfig(cfg)
		g.cmd = exec.Command(gatewayBin, "proxy", "--config", g.cfgPath, "--log-level", "debug", "--log-format", "json")
		g.cmd.Stdout, g.cmd.Stderr = g.logs, g.logs
		g.cmd.Env = append(os.Environ(), "HTTP_PROXY=", "HTTPS_PROXY=", "http_proxy=", "https_proxy=")
		if err := g.cmd.Start(); err != nil {
			t.Fatalf("start gateway: %v", err)
		}
		go func() { g.waitErr = g.cmd.Wait(); close(g.done) }()
		t.Cleanup(func() {
			g.kill()
			if t.Failed() {
				t.Logf("gateway %s log:\n%s", g.URL, tail(g.logs.String(), 60))
			}
		})
		err := g.waitHealthy(15 * time.Second)
		if err == nil {
			return g
		}
		last = err
		g.kill()
		if !strings.Contains(g.logs.String(), "address already in use") {
			break // not a port race: no point in retrying
		}
	}
	t.Fatalf("gateway did not start: %v", last)
	return nil
}

// writeConfig writes cfg (with the process's addresses) atomically, as a
// configuration manager or a Kubernetes ConfigMap update does.
func (g *gatewayProc) writeConfig(cfg gwConfig) {
	g.t.Helper()
	if g.cfg.Listen != "" {
		cfg.Listen, cfg.Admin = g.cfg.Listen, g.cfg.Admin
	}
	var b bytes.Buffer
	if err := g.tmpl.Execute(&b, cfg); err != nil {
		g.t.Fatal(err)
	}
	g.writeRawConfig(b.Bytes())
	g.cfg = cfg
}

func (g *gatewayProc) writeRawConfig(data []byte) {
	g.t.Helper()
	tmp := g.cfgPath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		g.t.Fatal(err)
	}
	if err := os.Rename(tmp, g.cfgPath); err != nil {
		g.t.Fatal(err)
	}
}

// adminClient polls the admin endpoints: no proxy, no keep-alive, short
// timeout.
var adminClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}

func (g *gatewayProc) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := adminClient
	for {
		select {
		case <-g.done:
			return fmt.Errorf("gateway exited: %v\n%s", g.waitErr, tail(g.logs.String(), 20))
		default:
		}
		resp, err := c.Get(g.AdminURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no healthy /healthz within %v (last error %v)", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitReady waits until /readyz answers 200: the keys are fetched.
func (g *gatewayProc) waitReady(timeout time.Duration) {
	g.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := adminClient.Get(g.AdminURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("gateway not ready within %v (last: %v)", timeout, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (g *gatewayProc) signal(sig os.Signal) {
	g.t.Helper()
	if err := g.cmd.Process.Signal(sig); err != nil {
		g.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns cmd.Wait's error.
func (g *gatewayProc) wait(timeout time.Duration) error {
	g.t.Helper()
	select {
	case <-g.done:
		return g.waitErr
	case <-time.After(timeout):
		g.t.Fatalf("gateway still running %v after the signal", timeout)
		return nil
	}
}

// kill ends the process (by its id) and waits for it.
func (g *gatewayProc) kill() {
	select {
	case <-g.done:
		return
	default:
	}
	g.cmd.Process.Kill()
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
	}
}

// metrics reads /metrics into series → value, the series being the name
// with its labels as written, such as cognitojwt_requests_total{route="/api/",outcome="ok"}.
func (g *gatewayProc) metrics() map[string]float64 {
	g.t.Helper()
	resp, err := adminClient.Get(g.AdminURL + "/metrics")
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("/metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			g.t.Fatalf("/metrics: bad line %q", line)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		g.t.Fatal(err)
	}
	return out
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads. It keeps the last 4 MiB or so (a load run logs a line per
// request).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

const syncBufferMax = 4 << 20

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len()+len(p) > syncBufferMax {
		keep := s.b.Bytes()[s.b.Len()/2:]
		s.b = *bytes.NewBuffer(append([]byte(nil), keep...))
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// ---------------------------------------------------------------------
// The upstream.

// upstream is the application behind the gateway. It answers with what it
// received (echo), and has a few special paths, by suffix:
//
//	…/ping    "ok", nothing else (benchmarks)
//	…/slow    signals arrived, waits ?d= (default 1 s), then echoes
//	…/hang    answers nothing until the request is cancelled
//	…/stream  writes "first\n", flushes, waits for release, writes "second\n"
type upstream struct {
	*httptest.Server
	hits    atomic.Int64
	arrived chan string
	release chan struct{}
}

// echo is the upstream's answer: what reached it.
type echo struct {
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Query      string      `json:"query"`
	Header     http.Header `json:"header"`
	BodyLen    int64       `json:"body_len"`
	BodySHA256 string      `json:"body_sha256"`
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{arrived: make(chan string, 16), release: make(chan struct{})}
	u.Server = httptest.NewServer(u)
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.hits.Add(1)
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/ping"):
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
		return
	case strings.HasSuffix(p, "/slow"):
		select {
		case u.arrived <- p:
		default:
		}
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		if d <= 0 {
			d = time.Second
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	case strings.HasSuffix(p, "/hang"):
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return
	case strings.HasSuffix(p, "/stream"):
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "first\n")
		http.NewResponseController(w).Flush()
		select {
		case <-u.release:
		case <-r.Context().Done():
			return
		case <-time.After(15 * time.Second):
		}
		io.WriteString(w, "second\n")
		return
	}
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(echo{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header,
		BodyLen: n, BodySHA256: hex.EncodeToString(h.Sum(nil)),
	})
}

// ---------------------------------------------------------------------
// The client.

// newClient is a keep-alive client that never uses an HTTP proxy.
func newClient() *http.Client {
	return &http.Client{
		Timeout: 20 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// echo decodes the upstream's echo from the body.
func (r reply) echo(t testing.TB) echo {
	t.Helper()
	var e echo
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("not the upstream's echo (status %d): %v\n%s", r.Status, err, r.Body)
	}
	return e
}

// problem decodes an RFC 9457 problem body.
func (r reply) problem(t testing.TB) map[string]any {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p map[string]any
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("not a problem body: %v\n%s", err, r.Body)
	}
	return p
}

// do sends a request. A token is sent as "Authorization: Bearer"; hdr's
// keys are sent exactly as written (raw case), not canonicalised.
func do(t testing.TB, c *http.Client, method, url, token string, hdr http.Header, body io.Reader) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func get(t testing.TB, c *http.Client, url, token string) reply {
	t.Helper()
	return do(t, c, http.MethodGet, url, token, nil, nil)
}

// wantStatus fails the test unless r has status want.
func wantStatus(t testing.TB, r reply, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; headers %v; body %s", r.Status, want, r.Header, r.Body)
	}
}

// wantHeader fails unless r has exactly one value of name, equal to want.
func wantHeader(t testing.TB, h http.Header, name, want string) {
	t.Helper()
	if got := h.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("%s = %q, want exactly [%q]", name, got, want)
	}
}

// Challenges the gateway (realm e2e) sends.
const (
	challengeNoToken      = `Bearer realm="e2e"`
	challengeExpired      = `Bearer realm="e2e", error="invalid_token", error_description="the access token expired"`
	challengeUnknownKey   = `Bearer realm="e2e", error="invalid_token", error_description="the access token is signed by an unknown key"`
	challengeBadSignature = `Bearer realm="e2e", error="invalid_token", error_description="the access token signature is invalid"`
	challengeBadAlg       = `Bearer realm="e2e", error="invalid_token", error_description="the access token is signed with an algorithm that is not accepted"`
	challengeBadClient    = `Bearer realm="e2e", error="invalid_token", error_description="the access token was issued to another client or audience"`
	challengeNoGroup      = `Bearer realm="e2e", error="insufficient_scope", error_description="the user is not in a required group"`
	challengeNoScope      = `Bearer realm="e2e", error="insufficient_scope", error_description="the access token lacks a required scope", scope="test-api/read"`
)

// identityHeaders are the headers of testdata/gateway.yaml.tmpl that carry
// claims upstream.
var identityHeaders = []string{"X-Auth-Sub", "X-Auth-Username", "X-Auth-Groups", "X-Auth-Scope", "X-Auth-Client-Id", "X-Auth-Claims"}

// spoofed are identity headers as a client might forge them: every one,
// in odd cases, one of them twice.
func spoofed() http.Header {
	return http.Header{
		"X-Auth-Sub":       {"admin", "root"},
		"x-auth-groups":    {"admin"},
		"X-AUTH-USERNAME":  {"root"},
		"X-Auth-Scope":     {"everything"},
		"x-Auth-client-ID": {"evil"},
		"X-Auth-Claims":    {base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","cognito:groups":["admin"]}`))},
	}
}

// claimsHeader decodes the one X-Auth-Claims header of h (base64url
// JSON), failing the test when there is not exactly one valid one.
func claimsHeader(t testing.TB, h http.Header) map[string]any {
	t.Helper()
	v := h.Values("X-Auth-Claims")
	if len(v) != 1 {
		t.Errorf("X-Auth-Claims = %q, want one value", v)
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(v[0])
	var claims map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &claims)
	}
	if err != nil {
		t.Errorf("X-Auth-Claims = %q: %v", v[0], err)
	}
	return claims
}

// tamper returns token with its claims replaced by f(claims) and the
// original signature.
func tamper(t testing.TB, token string, f func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	f(claims)
	raw, err = json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// ---------------------------------------------------------------------
// The tests.

// TestGatewayAuth runs one gateway process (default deny, strip_token
// false) and checks what reaches the client and the upstream.
func TestGatewayAuth(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	gw := startGateway(t, newConfig(iss, up.URL))
	gw.waitReady(15 * time.Second)
	c := newClient()

	sub := iss.Subject(cognitotest.DefaultUsername)
	user := iss.AccessToken()
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin", "ops"}})
	reader := iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"test-api/read"}})
	tokens := []string{user, admin, reader}

	t.Run("valid token: 200 with identity headers", func(t *testing.T) {
		r := get(t, c, gw.URL+"/api/orders/42?page=2&sort=asc", user)
		wantStatus(t, r, http.StatusOK)
		e := r.echo(t)
		if e.Method != http.MethodGet || e.Path != "/api/orders/42" || e.Query != "page=2&sort=asc" {
			t.Errorf("upstream got %s %s?%s, want GET /api/orders/42?page=2&sort=asc", e.Method, e.Path, e.Query)
		}
		wantHeader(t, e.Header, "X-Auth-Sub", sub)
		wantHeader(t, e.Header, "X-Auth-Username", cognitotest.DefaultUsername)
		wantHeader(t, e.Header, "X-Auth-Scope", cognitotest.DefaultUserScope)
		wantHeader(t, e.Header, "X-Auth-Client-Id", iss.ClientID)
		if v := e.Header.Values("X-Auth-Groups"); v != nil {
			t.Errorf("X-Auth-Groups = %q for a user in no group, want none", v)
		}
		// The whole claims, base64url JSON.
		if c := claimsHeader(t, e.Header); c["sub"] != sub || c["token_use"] != "access" || c["iss"] != iss.IssuerURL() {
			t.Errorf("X-Auth-Claims = %v, want the token's claims", c)
		}
		// strip_token is false: the token goes upstream; X-Forwarded-For
		// is the client's address.
		wantHeader(t, e.Header, "Authorization", "Bearer "+user)
		wantHeader(t, e.Header, "X-Forwarded-For", "127.0.0.1")
	})

	t.Run("group: 200 with X-Auth-Groups", func(t *testing.T) {
		r := get(t, c, gw.URL+"/admin/users", admin)
		wantStatus(t, r, http.StatusOK)
		e := r.echo(t)
		wantHeader(t, e.Header, "X-Auth-Groups", `"admin", "ops"`)
		wantHeader(t, e.Header, "X-Auth-Username", "root")
		wantHeader(t, e.Header, "X-Auth-Sub", iss.Subject("root"))
	})

	t.Run("scope: 200", func(t *testing.T) {
		wantStatus(t, get(t, c, gw.URL+"/orders/1", reader), http.StatusOK)
	})

	// Refusals: status, challenge, problem reason, and the upstream is
	// never called.
	refusals := []struct {
		name      string
		method    string
		path      string
		token     string
		status    int
		challenge string // "" means no WWW-Authenticate at all
		reason    string
	}{
		{"no token", "GET", "/api/x", "", 401, challengeNoToken, "missing_token"},
		{"no token on a group route", "GET", "/admin/x", "", 401, challengeNoToken, "missing_token"},
		{"expired", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{Expired: true}), 401, challengeExpired, "expired"},
		{"forged: key not published", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{Signer: otherKey}), 401, challengeUnknownKey, "unknown_key"},
		{"forged: published kid, other key", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{Signer: otherKey, KeyID: iss.KeyIDs()[0]}), 401, challengeBadSignature, "invalid_signature"},
		{"forged: claims changed", "GET", "/api/x", tamper(t, admin, func(c map[string]any) { c["sub"] = "admin" }), 401, challengeBadSignature, "invalid_signature"},
		{"forged: groups added", "GET", "/admin/x", tamper(t, user, func(c map[string]any) { c["cognito:groups"] = []string{"admin"} }), 401, challengeBadSignature, "invalid_signature"},
		{"alg none", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{Header: map[string]any{"alg": "none"}}), 401, challengeBadAlg, "unsupported_algorithm"},
		{"other client", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{ClientID: "otherclient000000000000001"}), 401, challengeBadClient, "invalid_audience"},
		{"invalid token on an anonymous route", "GET", "/public/x", iss.AccessToken(cognitotest.TokenOptions{Expired: true}), 401, challengeExpired, "expired"},
		{"group route without the group", "GET", "/admin/x", user, 403, challengeNoGroup, "missing_group"},
		{"group route with a scope token", "GET", "/admin/x", reader, 403, challengeNoGroup, "missing_group"},
		{"scope route without the scope", "GET", "/orders/1", user, 403, challengeNoScope, "missing_scope"},
		{"default deny, valid token", "GET", "/unlisted", admin, 403, "", ""},
		{"default deny, no token", "GET", "/unlisted", "", 403, "", ""},
		{"default deny, method not routed", "POST", "/docs/x", admin, 403, "", ""},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before := up.hits.Load()
			r := do(t, c, tc.method, gw.URL+tc.path, tc.token, nil, nil)
			wantStatus(t, r, tc.status)
			if got := r.Header.Values("WWW-Authenticate"); tc.challenge == "" && got != nil {
				t.Errorf("WWW-Authenticate = %q, want none", got)
			} else if tc.challenge != "" {
				wantHeader(t, r.Header, "WWW-Authenticate", tc.challenge)
			}
			p := r.problem(t)
			if p["status"] != float64(tc.status) {
				t.Errorf("problem status %v, want %d", p["status"], tc.status)
			}
			if tc.reason != "" && p["reason"] != tc.reason {
				t.Errorf("problem reason %v, want %s", p["reason"], tc.reason)
			}
			if tc.reason == "" && p["detail"] != "no route allows this request" {
				t.Errorf("problem detail %v, want the default deny", p["detail"])
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			if n := up.hits.Load() - before; n != 0 {
				t.Errorf("the upstream was called %d times for a refused request", n)
			}
		})
	}

	t.Run("method route: GET /docs/ is anonymous", func(t *testing.T) {
		r := get(t, c, gw.URL+"/docs/index.html", "")
		wantStatus(t, r, http.StatusOK)
		if e := r.echo(t); e.Path != "/docs/index.html" {
			t.Errorf("upstream path %q", e.Path)
		}
	})

	t.Run("spoofed identity headers never reach the upstream", func(t *testing.T) {
		for _, tc := range []struct {
			name, path, token string
			want              map[string]string // identity header → value; absent ones must not arrive
		}{
			{"authenticated route", "/api/x", user, map[string]string{
				"X-Auth-Sub": sub, "X-Auth-Username": cognitotest.DefaultUsername,
				"X-Auth-Scope": cognitotest.DefaultUserScope, "X-Auth-Client-Id": iss.ClientID,
			}},
			{"group route", "/admin/x", admin, map[string]string{
				"X-Auth-Sub": iss.Subject("root"), "X-Auth-Username": "root", "X-Auth-Groups": `"admin", "ops"`,
				"X-Auth-Scope": cognitotest.DefaultUserScope, "X-Auth-Client-Id": iss.ClientID,
			}},
			{"anonymous route without a token", "/public/x", "", nil},
			{"anonymous method route without a token", "/docs/x", "", nil},
			{"anonymous route with a token", "/public/x", user, map[string]string{
				"X-Auth-Sub": sub, "X-Auth-Username": cognitotest.DefaultUsername,
				"X-Auth-Scope": cognitotest.DefaultUserScope, "X-Auth-Client-Id": iss.ClientID,
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, c, http.MethodGet, gw.URL+tc.path, tc.token, spoofed(), nil)
				wantStatus(t, r, http.StatusOK)
				e := r.echo(t)
				for _, h := range identityHeaders {
					got := e.Header.Values(h)
					want, ok := tc.want[h]
					switch {
					case h == "X-Auth-Claims" && tc.token != "":
						if c := claimsHeader(t, e.Header); c["sub"] != tc.want["X-Auth-Sub"] {
							t.Errorf("%s has sub %v, want %s: not the gateway's own", h, c["sub"], tc.want["X-Auth-Sub"])
						}
					case !ok && got != nil:
						t.Errorf("%s = %q reached the upstream, want none", h, got)
					case ok:
						wantHeader(t, e.Header, h, want)
					}
				}
			})
		}
	})

	t.Run("forward-auth endpoint (Traefik headers)", func(t *testing.T) {
		before := up.hits.Load()
		fa := func(method, uri, token string, extra http.Header) reply {
			h := http.Header{"X-Forwarded-Method": {method}, "X-Forwarded-Uri": {uri}, "X-Forwarded-Host": {"app.example"}}
			for k, v := range extra {
				h[k] = v
			}
			return do(t, c, http.MethodGet, gw.URL+"/_auth", token, h, nil)
		}
		r := fa("GET", "/api/x?y=1", user, spoofed())
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r.Header, "X-Auth-Sub", sub)
		wantHeader(t, r.Header, "X-Auth-Username", cognitotest.DefaultUsername)
		if v := r.Header.Values("X-Auth-Groups"); v != nil {
			t.Errorf("X-Auth-Groups = %q, want none", v)
		}

		r = fa("GET", "/public/x", "", spoofed())
		wantStatus(t, r, http.StatusOK)
		for _, h := range identityHeaders {
			if v := r.Header.Values(h); v != nil {
				t.Errorf("anonymous forward-auth answered %s = %q, want none", h, v)
			}
		}

		r = fa("GET", "/api/x", "", nil)
		wantStatus(t, r, http.StatusUnauthorized)
		wantHeader(t, r.Header, "WWW-Authenticate", challengeNoToken)

		r = fa("DELETE", "/admin/x", user, nil)
		wantStatus(t, r, http.StatusForbidden)
		wantHeader(t, r.Header, "WWW-Authenticate", challengeNoGroup)

		wantStatus(t, fa("GET", "/docs/a", "", nil), http.StatusOK)
		wantStatus(t, fa("POST", "/docs/a", "", nil), http.StatusForbidden)
		wantStatus(t, fa("GET", "/unlisted", admin, nil), http.StatusForbidden)

		// nginx's conventional headers, as nginx_test.go sends them.
		r = do(t, c, http.MethodGet, gw.URL+"/_auth", admin, http.Header{"X-Original-Method": {"POST"}, "X-Original-URI": {"/admin/x"}}, nil)
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r.Header, "X-Auth-Groups", `"admin", "ops"`)

		if n := up.hits.Load() - before; n != 0 {
			t.Errorf("forward-auth checks called the upstream %d times", n)
		}
	})

	t.Run("underscore variants of identity headers", func(t *testing.T) {
		// X_Auth_Sub is not X-Auth-Sub in HTTP, but CGI-style upstreams
		// (PHP, WSGI, Rack) see both as HTTP_X_AUTH_SUB. nginx drops
		// such headers by default (underscores_in_headers off).
		r := do(t, c, http.MethodGet, gw.URL+"/public/x", "", http.Header{"X_Auth_Sub": {"admin"}}, nil)
		wantStatus(t, r, http.StatusOK)
		if v := r.echo(t).Header.Values("X_auth_sub"); v != nil {
			t.Logf("NOTE: X_Auth_Sub: %q reached the upstream: a CGI-style upstream would read it as X-Auth-Sub", v)
		}
	})

	t.Run("no token or claim in the logs", func(t *testing.T) {
		logs := gw.logs.String()
		for _, tok := range tokens {
			if strings.Contains(logs, tok) || strings.Contains(logs, strings.Split(tok, ".")[2]) {
				t.Error("a token appears in the gateway's log")
			}
		}
		if strings.Contains(logs, sub) {
			t.Error("the sub claim appears in the gateway's log")
		}
		if !strings.Contains(logs, `"msg":"request"`) {
			t.Error("no access log line")
		}
	})
}

// TestForwardAuthClientCannotChooseTheURI: behind Traefik, the client's own
// headers reach the forward-auth endpoint (unless authRequestHeaders
// filters them), and Traefik sets only X-Forwarded-Method/-Uri/-Host. A
// client that adds X-Original-URI / X-Original-Method of an anonymous
// route must not get a request to a protected one authorised.
func TestForwardAuthClientCannotChooseTheURI(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	gw := startGateway(t, newConfig(iss, ""))
	gw.waitReady(15 * time.Second)
	c := newClient()
	user := iss.AccessToken()

	for _, tc := range []struct {
		name  string
		token string
		hdr   http.Header
	}{
		{"X-Original-URI of an anonymous route", "", http.Header{
			"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/admin/secret"}, // set by Traefik
			"X-Original-Uri": {"/public/x"}, // added by the client
		}},
		{"X-Original-URI of a route the user may use", user, http.Header{
			"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {"/admin/secret"},
			"X-Original-Uri": {"/api/x"},
		}},
		{"X-Original-Method of an anonymous method route", "", http.Header{
			"X-Forwarded-Method": {"DELETE"}, "X-Forwarded-Uri": {"/docs/x"},
			"X-Original-Method": {"GET"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, c, http.MethodGet, gw.URL+"/_auth", tc.token, tc.hdr, nil)
			if r.Status/100 == 2 {
				t.Errorf("forward-auth answered %d: Traefik would pass %s %s, which needs a token in group admin (or is not routed)",
					r.Status, tc.hdr.Get("X-Forwarded-Method"), tc.hdr.Get("X-Forwarded-Uri"))
			}
		})
	}
}

// nonCanonical are paths that name /admin/x to many upstreams, which
// decode percent-encoded dots and resolve dot segments (Tomcat and the
// WHATWG URL parser do; Tomcat also drops ";" parameters first, and
// Windows servers read "\" as "/"), while they start with /public/.
var nonCanonical = []string{
	"/public/%2e%2e/admin/x",
	"/public/%2E%2E/admin/x",
	"/public/.%2e/admin/x",
	"/public/..%2Fadmin/x",
	"/public/..;/admin/x",
	"/public/..%5Cadmin/x",
	`/public/..\admin/x`,
}

// rawStatus sends "GET target" exactly as written (no client-side
// cleaning or escaping) and returns the status.
func rawStatus(t testing.TB, addr, target string, hdr http.Header) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", target)
	for k, vs := range hdr {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNonCanonicalPaths: a path that an upstream resolves to /admin/x must
// not be routed as the anonymous /public/ and passed on unchecked, by the
// proxy or by the forward-auth endpoint. Refusing it (400), checking it
// as /admin/x (401, 403) or redirecting to the clean path are all fine.
func TestNonCanonicalPaths(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	gw := startGateway(t, newConfig(iss, up.URL))
	gw.waitReady(15 * time.Second)

	for _, p := range nonCanonical {
		t.Run(p, func(t *testing.T) {
			before := up.hits.Load()
			if st := rawStatus(t, gw.cfg.Listen, p, nil); st/100 == 2 || up.hits.Load() != before {
				t.Errorf("proxy: GET %s without a token: %d, upstream called %d times; want it refused or checked as /admin/x",
					p, st, up.hits.Load()-before)
			}
			for _, hdr := range []http.Header{{"X-Forwarded-Method": {"GET"}, "X-Forwarded-Uri": {p}}, {"X-Original-Method": {"GET"}, "X-Original-URI": {p}}} {
				if st := rawStatus(t, gw.cfg.Listen, "/_auth", hdr); st/100 == 2 {
					t.Errorf("forward-auth: %v without a token: %d, want it refused or checked as /admin/x", hdr, st)
				}
			}
		})
	}
	// Clean paths still pass.
	if st := rawStatus(t, gw.cfg.Listen, "/public/a%20b/c", nil); st != http.StatusOK {
		t.Errorf("GET /public/a%%20b/c: %d, want 200", st)
	}
}

// TestProxyCommand: the exit status and messages of "cognitojwt proxy"
// for a valid file (--check), invalid ones and a taken port.
func TestProxyCommand(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	dir := t.TempDir()
	cfg := newConfig(iss, "http://127.0.0.1:1")
	cfg.Listen, cfg.Admin = freeAddr(t), freeAddr(t)
	valid := filepath.Join(dir, "valid.yaml")
	if err := os.WriteFile(valid, []byte(renderConfig(t, cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte(strings.Replace(renderConfig(t, cfg), "groups: [admin]", "grups: [admin]", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	noPools := filepath.Join(dir, "nopools.yaml")
	if err := os.WriteFile(noPools, []byte("upstream: http://127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Files that parse but that the gateway cannot build: --check must
	// say so, as starting would.
	noAudience := filepath.Join(dir, "noaudience.yaml")
	if err := os.WriteFile(noAudience, []byte(renderConfig(t, cfg)+"issuers:\n  - issuer: https://login.example.com/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badSource := filepath.Join(dir, "badsource.yaml")
	if err := os.WriteFile(badSource, []byte(renderConfig(t, cfg)+"sources: [bearer, \"bogus:x\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A listener on the address the file names.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busyCfg := cfg
	busyCfg.Listen = taken.Addr().String()
	busy := filepath.Join(dir, "busy.yaml")
	if err := os.WriteFile(busy, []byte(renderConfig(t, busyCfg)), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{"check a valid file", []string{"proxy", "--config", valid, "--check"}, 0, "configuration is valid"},
		{"unknown field", []string{"proxy", "--config", typo, "--check"}, 2, "grups"},
		{"nothing trusted", []string{"proxy", "--config", noPools}, 2, "nothing would be trusted"},
		{"missing file", []string{"proxy", "--config", filepath.Join(dir, "none.yaml")}, 2, "no such file"},
		{"no --config", []string{"proxy"}, 2, "--config"},
		{"--dev and --config", []string{"proxy", "--dev", "--config", valid}, 2, "exclusive"},
		{"port taken", []string{"proxy", "--config", busy}, 1, "address already in use"},
		{"check: issuer without audiences", []string{"proxy", "--config", noAudience, "--check"}, 2, "audiences"},
		{"check: unknown token source", []string{"proxy", "--config", badSource, "--check"}, 2, "bogus:x"},
		{"start: unknown token source", []string{"proxy", "--config", badSource}, 2, "bogus:x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, gatewayBin, tc.args...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(string(out), tc.out) {
				t.Errorf("cognitojwt %s: exit %d, want %d, with %q in:\n%s", strings.Join(tc.args, " "), code, tc.code, tc.out, out)
			}
		})
	}
}

// TestProxyDev: "cognitojwt proxy --dev" prints working tokens, and its
// gateway answers as the banner says.
func TestProxyDev(t *testing.T) {
	addr, admin := freeAddr(t), freeAddr(t)
	var out syncBuffer
	cmd := exec.Command(gatewayBin, "proxy", "--dev", "--addr", addr, "--admin-addr", admin)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &logs
	cmd.Env = append(os.Environ(), "HTTP_PROXY=", "http_proxy=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	tokens := map[string]string{}
	for deadline := time.Now().Add(15 * time.Second); len(tokens) < 2; time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(out.String(), "\n") {
			if k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "="); ok && (k == "TOKEN" || k == "ADMIN_TOKEN") {
				tokens[k] = v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no tokens in the --dev banner:\n%s", out.String())
		}
	}
	c := newClient()
	r := get(t, c, "http://"+addr+"/hello", tokens["TOKEN"])
	wantStatus(t, r, http.StatusOK)
	var body struct {
		Identity map[string]string `json:"identity_headers"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Identity["X-Auth-Username"] != "alice" || body.Identity["X-Auth-Sub"] == "" {
		t.Errorf("demo upstream answered %s (%v)", r.Body, err)
	}
	wantStatus(t, get(t, c, "http://"+addr+"/hello", ""), http.StatusUnauthorized)
	wantStatus(t, get(t, c, "http://"+addr+"/admin/", tokens["TOKEN"]), http.StatusForbidden)
	wantStatus(t, get(t, c, "http://"+addr+"/admin/", tokens["ADMIN_TOKEN"]), http.StatusOK)
	wantStatus(t, get(t, c, "http://"+admin+"/readyz", ""), http.StatusOK)

	cmd.Process.Signal(syscall.SIGTERM)
	sent := time.Now()
	select {
	case <-done:
		if waitErr != nil {
			t.Errorf("--dev after SIGTERM: %v, want exit 0\n%s", waitErr, logs.String())
		}
		t.Logf("--dev exited 0, %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatal("--dev did not exit after SIGTERM")
	}
}

// TestStripToken: with strip_token: true the upstream never sees the
// token, and still gets the identity.
func TestStripToken(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	cfg := newConfig(iss, up.URL)
	cfg.StripToken = true
	gw := startGateway(t, cfg)
	gw.waitReady(15 * time.Second)
	c := newClient()

	for _, path := range []string{"/api/x", "/public/x"} {
		r := get(t, c, gw.URL+path, iss.AccessToken())
		wantStatus(t, r, http.StatusOK)
		e := r.echo(t)
		if v := e.Header.Values("Authorization"); v != nil {
			t.Errorf("%s: Authorization = %q reached the upstream with strip_token: true", path, v)
		}
		wantHeader(t, e.Header, "X-Auth-Sub", iss.Subject(cognitotest.DefaultUsername))
	}
}

// TestUpstreamFailures: 504 when the upstream hangs past
// timeouts.upstream, 502 when it is down; both counted in /metrics.
func TestUpstreamFailures(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	cfg := newConfig(iss, up.URL)
	cfg.UpstreamTimeout = "500ms"
	gw := startGateway(t, cfg)
	gw.waitReady(15 * time.Second)
	c := newClient()
	tok := iss.AccessToken()

	// A slow upstream within the timeout is fine.
	wantStatus(t, get(t, c, gw.URL+"/api/slow?d=100ms", tok), http.StatusOK)

	start := time.Now()
	r := get(t, c, gw.URL+"/api/hang", tok)
	took := time.Since(start)
	wantStatus(t, r, http.StatusGatewayTimeout)
	if p := r.problem(t); p["status"] != float64(504) {
		t.Errorf("problem %v", p)
	}
	if took < 450*time.Millisecond || took > 5*time.Second {
		t.Errorf("504 after %v, want about timeouts.upstream (500ms)", took)
	}

	up.Close() // now nothing listens on the upstream's port
	r = get(t, c, gw.URL+"/api/x", tok)
	wantStatus(t, r, http.StatusBadGateway)
	if p := r.problem(t); p["status"] != float64(502) {
		t.Errorf("problem %v", p)
	}
	// Refusals are still answered by the gateway itself.
	wantStatus(t, get(t, c, gw.URL+"/api/x", ""), http.StatusUnauthorized)

	if got := gw.metrics()["cognitojwt_upstream_errors_total"]; got != 2 {
		t.Errorf("cognitojwt_upstream_errors_total = %v, want 2", got)
	}
}

// TestAdminEndpoints: /healthz; /readyz 503 while the first key fetch is
// pending, 200 once it is done; /metrics; and 503 keys_unavailable from a
// gateway whose issuer's key set is down.
func TestAdminEndpoints(t *testing.T) {
	// An issuer whose key set answers only once the test opens the gate:
	// the fetch is pending, not failed, so no backoff delays readiness.
	gate := make(chan struct{})
	var openGate sync.Once
	srv := httptest.NewUnstartedServer(nil)
	iss := cognitotest.NewUnstartedIssuer()
	iss.Signers = []crypto.Signer{signingKey}
	iss.URL = "http://" + srv.Listener.Addr().String()
	h, err := iss.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/jwks.json") {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Second):
			}
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { openGate.Do(func() { close(gate) }) }) // runs before srv.Close

	up := newUpstream(t)
	gw := startGateway(t, newConfig(iss, up.URL))
	c := newClient()
	tok, err := iss.MintAccess(cognitotest.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}

	r := get(t, c, gw.AdminURL+"/healthz", "")
	wantStatus(t, r, http.StatusOK)
	if string(r.Body) != "ok\n" {
		t.Errorf("/healthz body %q", r.Body)
	}
	wantStatus(t, get(t, c, gw.AdminURL+"/readyz", ""), http.StatusServiceUnavailable)
	time.Sleep(300 * time.Millisecond)
	wantStatus(t, get(t, c, gw.AdminURL+"/readyz", ""), http.StatusServiceUnavailable)
	// The admin endpoints are not on the main listener.
	wantStatus(t, get(t, c, gw.URL+"/metrics", ""), http.StatusForbidden)

	openGate.Do(func() { close(gate) })
	start := time.Now()
	gw.waitReady(10 * time.Second)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("/readyz turned 200 %v after the key set answered", d)
	}
	r = get(t, c, gw.AdminURL+"/readyz", "")
	wantStatus(t, r, http.StatusOK)
	if string(r.Body) != "ready\n" {
		t.Errorf("/readyz body %q", r.Body)
	}

	wantStatus(t, get(t, c, gw.URL+"/api/x", tok), http.StatusOK)
	wantStatus(t, get(t, c, gw.URL+"/api/y", tok), http.StatusOK)
	wantStatus(t, get(t, c, gw.URL+"/api/x", ""), http.StatusUnauthorized)
	wantStatus(t, get(t, c, gw.URL+"/admin/x", tok), http.StatusForbidden)
	wantStatus(t, get(t, c, gw.URL+"/public/x", ""), http.StatusOK)
	wantStatus(t, get(t, c, gw.URL+"/nowhere", tok), http.StatusForbidden)

	r = get(t, c, gw.AdminURL+"/metrics", "")
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("/metrics Content-Type %q", ct)
	}
	for _, line := range []string{
		"# TYPE cognitojwt_requests_total counter",
		"# TYPE cognitojwt_jwks_events_total counter",
		"# TYPE cognitojwt_verify_duration_seconds histogram",
		"# TYPE cognitojwt_config_reloads_total counter",
		"# TYPE cognitojwt_config_reload_failures_total counter",
		"# TYPE cognitojwt_upstream_errors_total counter",
	} {
		if !bytes.Contains(r.Body, []byte(line+"\n")) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	m := gw.metrics()
	for series, want := range map[string]float64{
		`cognitojwt_requests_total{route="/api/",outcome="ok"}`:              2,
		`cognitojwt_requests_total{route="/api/",outcome="missing_token"}`:   1,
		`cognitojwt_requests_total{route="/admin/",outcome="missing_group"}`: 1,
		`cognitojwt_requests_total{route="/public/",outcome="anonymous"}`:    1,
		`cognitojwt_requests_total{route="(default)",outcome="denied"}`:      2, // /metrics and /nowhere
		`cognitojwt_jwks_events_total{event="fetch_started"}`:                1,
		`cognitojwt_jwks_events_total{event="fetch_succeeded"}`:              1,
		`cognitojwt_jwks_events_total{event="key_added"}`:                    1,
		`cognitojwt_verify_duration_seconds_count`:                           5, // every request a route's middleware saw
		`cognitojwt_verify_duration_seconds_bucket{le="+Inf"}`:               5,
		`cognitojwt_config_reloads_total`:                                    0,
		`cognitojwt_config_reload_failures_total`:                            0,
		`cognitojwt_upstream_errors_total`:                                   0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if n := len(filterSeries(m, "cognitojwt_requests_total")); n != 5 {
		t.Errorf("%d cognitojwt_requests_total series, want 5: %v", n, filterSeries(m, "cognitojwt_requests_total"))
	}

	t.Run("no keys: 503 keys_unavailable", func(t *testing.T) {
		down := cognitotest.NewIssuer(t, signingKey)
		down.SetJWKSStatus(http.StatusServiceUnavailable)
		up := newUpstream(t)
		gw := startGateway(t, newConfig(down, up.URL))
		waitMetric(t, gw, `cognitojwt_jwks_events_total{event="fetch_failed"}`, 1, 10*time.Second)
		wantStatus(t, get(t, c, gw.AdminURL+"/readyz", ""), http.StatusServiceUnavailable)
		// A request with a token is a 503 with Retry-After, not a 401,
		// and never reaches the upstream.
		r := get(t, c, gw.URL+"/api/x", down.AccessToken())
		wantStatus(t, r, http.StatusServiceUnavailable)
		wantHeader(t, r.Header, "Retry-After", "5")
		if p := r.problem(t); p["reason"] != "keys_unavailable" {
			t.Errorf("reason %v, want keys_unavailable", p["reason"])
		}
		if up.hits.Load() != 0 {
			t.Error("the upstream was called without keys")
		}
		if got := gw.metrics()[`cognitojwt_requests_total{route="/api/",outcome="keys_unavailable"}`]; got != 1 {
			t.Errorf("keys_unavailable counted %v times, want 1", got)
		}
	})
}

func filterSeries(m map[string]float64, prefix string) []string {
	var out []string
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, fmt.Sprintf("%s %g", k, v))
		}
	}
	slices.Sort(out)
	return out
}

// TestStreaming: a 5 MB upload and a chunked response pass through
// without being buffered whole.
func TestStreaming(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	gw := startGateway(t, newConfig(iss, up.URL))
	gw.waitReady(15 * time.Second)
	c := newClient()
	tok := iss.AccessToken()

	t.Run("5 MB upload", func(t *testing.T) {
		body := make([]byte, 5<<20)
		rand.Read(body)
		sum := sha256.Sum256(body)
		// Sent chunked (no Content-Length), through a pipe, in pieces.
		pr, pw := io.Pipe()
		go func() {
			for b := body; len(b) > 0; b = b[min(len(b), 64<<10):] {
				if _, err := pw.Write(b[:min(len(b), 64<<10)]); err != nil {
					return
				}
			}
			pw.Close()
		}()
		r := do(t, c, http.MethodPost, gw.URL+"/api/upload", tok, http.Header{"Content-Type": {"application/octet-stream"}}, pr)
		wantStatus(t, r, http.StatusOK)
		e := r.echo(t)
		if e.BodyLen != int64(len(body)) || e.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("upstream got %d bytes (sha256 %s), want %d (%x)", e.BodyLen, e.BodySHA256, len(body), sum)
		}
		// And with a Content-Length.
		r = do(t, c, http.MethodPut, gw.URL+"/api/upload", tok, nil, bytes.NewReader(body))
		wantStatus(t, r, http.StatusOK)
		if e := r.echo(t); e.BodyLen != int64(len(body)) || e.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("upstream got %d bytes, want %d", e.BodyLen, len(body))
		}
	})

	t.Run("chunked response", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw.URL+"/api/stream", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if resp.ContentLength != -1 || !slices.Equal(resp.TransferEncoding, []string{"chunked"}) {
			t.Errorf("Content-Length %d, Transfer-Encoding %v: want a chunked response", resp.ContentLength, resp.TransferEncoding)
		}
		br := bufio.NewReader(resp.Body)
		// The first chunk arrives while the upstream is still waiting
		// for release: the gateway does not buffer the response.
		line, err := br.ReadString('\n')
		if err != nil || line != "first\n" {
			t.Fatalf("first chunk %q, %v", line, err)
		}
		close(up.release)
		rest, err := io.ReadAll(br)
		if err != nil || string(rest) != "second\n" {
			t.Fatalf("rest %q, %v", rest, err)
		}
	})
}

// TestGracefulShutdown: a request in flight when SIGTERM arrives completes
// with 200, new connections are refused, and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	gw := startGateway(t, newConfig(iss, up.URL))
	gw.waitReady(15 * time.Second)
	c := newClient()
	tok := iss.AccessToken()

	type result struct {
		r   reply
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw.URL+"/api/slow?d=1s", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{reply{resp.StatusCode, resp.Header, b}, err}
	}()
	select {
	case <-up.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request never reached the upstream")
	}
	sent := time.Now()
	gw.signal(syscall.SIGTERM)

	// New connections are refused once the listener is closed.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", gw.cfg.Listen, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Error("the gateway still accepts connections a second after SIGTERM")
			break
		}
	}

	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("the request in flight failed: %v", res.err)
		}
		wantStatus(t, res.r, http.StatusOK)
		wantHeader(t, res.r.echo(t).Header, "X-Auth-Sub", iss.Subject(cognitotest.DefaultUsername))
	case <-time.After(15 * time.Second):
		t.Fatal("the request in flight did not complete")
	}
	if err := gw.wait(15 * time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0", err)
	}
	t.Logf("exited 0, %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	if !strings.Contains(gw.logs.String(), "shutting down") {
		t.Error("no shutdown log line")
	}
}
