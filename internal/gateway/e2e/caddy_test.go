package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// caddyBinary finds caddy on PATH or in $(go env GOPATH)/bin, where
// .ci/install.d/40-caddy.sh builds it. When it is missing the test skips,
// unless both CI and COGNITOJWT_CADDY=1 are set (as .ci/run sets them):
// a developer without Caddy is not made to build it.
func caddyBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("caddy"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "caddy")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "" || os.Getenv("COGNITOJWT_CADDY") != "1" {
		t.Skip("caddy is not installed (COGNITOJWT_CADDY=1 makes .ci/install.d/40-caddy.sh build it); this test fails instead of skipping when CI and COGNITOJWT_CADDY=1 are set")
	}
	t.Fatal("caddy is not installed, and CI and COGNITOJWT_CADDY=1 are set: .ci/install.d/40-caddy.sh builds it")
	return ""
}

// caddyfile is the configuration docs/GATEWAY.md shows, with the test's
// addresses: forward_auth to the gateway's forward_auth_path, the identity
// headers copied onto the request to the app. Routes under /outage/ ask a
// gateway whose key set is down.
const caddyfile = `{
	admin off
	auto_https off
	persist_config off
}

http://%[1]s {
	handle /outage/* {
		forward_auth %[3]s {
			uri /_auth
			copy_headers X-Auth-Sub X-Auth-Username X-Auth-Groups X-Auth-Scope X-Auth-Client-Id X-Auth-Claims
		}
		reverse_proxy %[4]s
	}
	handle {
		forward_auth %[2]s {
			uri /_auth
			copy_headers X-Auth-Sub X-Auth-Username X-Auth-Groups X-Auth-Scope X-Auth-Client-Id X-Auth-Claims
		}
		reverse_proxy %[4]s
	}
}
`

// startCaddy runs caddy in the foreground and stops it when the test ends.
func startCaddy(t *testing.T, bin, gateway, outage, app string) string {
	t.Helper()
	dir := t.TempDir()
	listen := freeAddr(t)
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(caddyfile, listen, gateway, outage, app)), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir, "HTTP_PROXY=", "http_proxy=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("caddy log:\n%s", tail(logs.String(), 40))
		}
	})
	if !waitListening(listen, done, 15*time.Second) {
		t.Fatalf("caddy did not listen on %s:\n%s", listen, logs.String())
	}
	return "http://" + listen
}

// TestCaddyForwardAuth puts a real Caddy (forward_auth) in front of the
// application with the gateway as its authorization endpoint.
func TestCaddyForwardAuth(t *testing.T) {
	bin := caddyBinary(t)
	iss := cognitotest.NewIssuer(t, signingKey)
	app := newUpstream(t)
	gw := startGateway(t, newConfig(iss, ""))
	gw.waitReady(15 * time.Second)
	down := cognitotest.NewIssuer(t, signingKey)
	down.SetJWKSStatus(http.StatusServiceUnavailable)
	downCfg := newConfig(down, "")
	downCfg.Default = "authenticate"
	outage := startGateway(t, downCfg)
	base := startCaddy(t, bin, gw.cfg.Listen, outage.cfg.Listen, strings.TrimPrefix(app.URL, "http://"))
	c := newClient()

	user := iss.AccessToken()
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})

	t.Run("200 with identity headers; spoofed ones do not reach the app", func(t *testing.T) {
		r := do(t, c, http.MethodGet, base+"/api/orders?id=7", user, spoofed(), nil)
		wantStatus(t, r, http.StatusOK)
		e := r.echo(t)
		if e.Path != "/api/orders" || e.Query != "id=7" {
			t.Errorf("app got %s?%s", e.Path, e.Query)
		}
		wantHeader(t, e.Header, "X-Auth-Sub", iss.Subject(cognitotest.DefaultUsername))
		wantHeader(t, e.Header, "X-Auth-Username", cognitotest.DefaultUsername)
		if v := e.Header.Values("X-Auth-Groups"); v != nil {
			t.Errorf("X-Auth-Groups = %q for a user in no group: the client's reached the app", v)
		}
	})
	t.Run("200 in a group", func(t *testing.T) {
		r := get(t, c, base+"/admin/users", admin)
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r.echo(t).Header, "X-Auth-Groups", `"admin"`) // an RFC 8941 list of one string (header_encoding: structured)
	})
	t.Run("anonymous route: no identity reaches the app", func(t *testing.T) {
		r := do(t, c, http.MethodGet, base+"/public/x", "", spoofed(), nil)
		wantStatus(t, r, http.StatusOK)
		for _, h := range []string{"X-Auth-Sub", "X-Auth-Groups", "X-Auth-Username", "X-Auth-Claims"} {
			if v := r.echo(t).Header.Values(h); v != nil {
				t.Errorf("%s = %q reached the app", h, v)
			}
		}
	})
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
		challenge                 string
	}{
		{"401 without a token", "GET", "/api/x", "", 401, challengeNoToken},
		{"401 expired", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{Expired: true}), 401, challengeExpired},
		{"403 not in the group", "GET", "/admin/x", user, 403, challengeNoGroup},
		{"403 without the scope", "GET", "/orders/x", user, 403, challengeNoScope},
		{"403 default deny", "GET", "/unlisted", admin, 403, ""},
		{"403 method not routed (X-Forwarded-Method)", "POST", "/docs/x", admin, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := app.hits.Load()
			r := do(t, c, tc.method, base+tc.path, tc.token, nil, nil)
			wantStatus(t, r, tc.status)
			if tc.challenge != "" {
				wantHeader(t, r.Header, "WWW-Authenticate", tc.challenge)
			}
			if n := app.hits.Load() - before; n != 0 {
				t.Errorf("the app was called %d times", n)
			}
		})
	}
	t.Run("503 with Retry-After when the gateway has no keys", func(t *testing.T) {
		before := app.hits.Load()
		r := get(t, c, base+"/outage/x", down.AccessToken())
		wantStatus(t, r, http.StatusServiceUnavailable)
		if ra := r.Header.Get("Retry-After"); ra == "" {
			t.Error("no Retry-After")
		}
		if n := app.hits.Load() - before; n != 0 {
			t.Errorf("the app was called %d times", n)
		}
	})
}
