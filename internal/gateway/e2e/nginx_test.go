package e2e

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

var nginxTemplate = template.Must(template.ParseFiles("testdata/nginx.conf.tmpl"))

// nginxConfig fills testdata/nginx.conf.tmpl.
type nginxConfig struct {
	Dir     string // prefix: logs, pid, temporary files
	Listen  string // 127.0.0.1:port
	Gateway string // the gateway's host:port
	Outage  string // the host:port of a gateway without keys
	App     string // the application's host:port
	Root    bool   // run workers as root (the master runs as root)
}

// nginxBinary finds nginx, or skips the test outside CI and fails it in
// CI, so that CI never silently skips it.
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if os.Getenv("CI") == "" {
		t.Skip("nginx is not installed (apt-get install nginx); this test fails instead of skipping when CI is set")
	}
	t.Fatal("nginx is not installed, and CI is set: .ci/run installs it (apt-get install nginx-light)")
	return ""
}

// startNginx runs nginx in the foreground with cfg (Dir and Listen filled
// in here), and stops it when the test ends.
func startNginx(t *testing.T, bin string, cfg nginxConfig) string {
	t.Helper()
	cfg.Dir = t.TempDir()
	cfg.Root = os.Geteuid() == 0
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(cfg.Dir, "nginx.conf")
	errorLog := filepath.Join(cfg.Dir, "error.log")
	var last string
	for attempt := 1; attempt <= 3; attempt++ {
		cfg.Listen = freeAddr(t)
		var b bytes.Buffer
		if err := nginxTemplate.Execute(&b, cfg); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"-p", cfg.Dir + "/", "-c", conf, "-e", errorLog,
			"-g", "daemon off; pid " + filepath.Join(cfg.Dir, "nginx.pid") + ";"}
		if out, err := exec.Command(bin, append([]string{"-t", "-q"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("nginx -t: %v\n%s\n%s", err, out, b.Bytes())
		}
		var output syncBuffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &output, &output
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its workers are in its group
		if err := cmd.Start(); err != nil {
			t.Fatalf("start nginx: %v", err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		stop := func() {
			select {
			case <-done:
				return
			default:
			}
			cmd.Process.Signal(syscall.SIGTERM) // fast shutdown: the master stops its workers
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its own process group
				<-done
			}
		}
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				logs, _ := os.ReadFile(errorLog)
				t.Logf("nginx output:\n%s\nerror.log:\n%s", output.String(), tail(string(logs), 40))
			}
		})
		if waitListening(cfg.Listen, done, 10*time.Second) {
			return "http://" + cfg.Listen
		}
		stop()
		logs, _ := os.ReadFile(errorLog)
		last = output.String() + string(logs)
		if !strings.Contains(last, "Address already in use") {
			break
		}
	}
	t.Fatalf("nginx did not start:\n%s", last)
	return ""
}

// waitListening waits until addr accepts connections, or the process
// ends.
func waitListening(addr string, done <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestNginxAuthRequest puts nginx (auth_request) in front of the
// application, with the gateway as its forward-auth endpoint, and checks
// what the client and the application get through nginx.
func TestNginxAuthRequest(t *testing.T) {
	bin := nginxBinary(t)

	iss := cognitotest.NewIssuer(t, signingKey)
	app := newUpstream(t)
	gw := startGateway(t, newConfig(iss, "")) // forward-auth only
	gw.waitReady(15 * time.Second)

	// A second gateway, whose issuer's key set answers 503.
	down := cognitotest.NewIssuer(t, signingKey)
	down.SetJWKSStatus(http.StatusServiceUnavailable)
	downCfg := newConfig(down, "")
	downCfg.Default = "authenticate"
	outage := startGateway(t, downCfg)

	base := startNginx(t, bin, nginxConfig{
		Gateway: gw.cfg.Listen,
		Outage:  outage.cfg.Listen,
		App:     strings.TrimPrefix(app.URL, "http://"),
	})
	c := newClient()

	sub := iss.Subject(cognitotest.DefaultUsername)
	user := iss.AccessToken()
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})

	t.Run("200 with identity headers; spoofed ones replaced", func(t *testing.T) {
		hdr := spoofed()
		hdr["X_Auth_Sub"] = []string{"admin"} // nginx drops headers with underscores
		r := do(t, c, http.MethodGet, base+"/api/orders?id=7", user, hdr, nil)
		wantStatus(t, r, http.StatusOK)
		e := r.echo(t)
		if e.Path != "/api/orders" || e.Query != "id=7" {
			t.Errorf("app got %s?%s", e.Path, e.Query)
		}
		wantHeader(t, e.Header, "X-Auth-Sub", sub)
		wantHeader(t, e.Header, "X-Auth-Username", cognitotest.DefaultUsername)
		wantHeader(t, e.Header, "X-Auth-Scope", cognitotest.DefaultUserScope)
		wantHeader(t, e.Header, "X-Auth-Client-Id", iss.ClientID)
		if v := e.Header.Values("X-Auth-Groups"); v != nil {
			t.Errorf("X-Auth-Groups = %q for a user in no group: the client's reached the app", v)
		}
		if c := claimsHeader(t, e.Header); c["sub"] != sub {
			t.Errorf("X-Auth-Claims has sub %v, want %s: not the gateway's", c["sub"], sub)
		}
		if v := e.Header.Values("X_auth_sub"); v != nil {
			t.Errorf("X_Auth_Sub = %q reached the app", v)
		}
		wantHeader(t, e.Header, "Authorization", "Bearer "+user)
	})

	t.Run("200 in a group", func(t *testing.T) {
		r := get(t, c, base+"/admin/users", admin)
		wantStatus(t, r, http.StatusOK)
		e := r.echo(t)
		wantHeader(t, e.Header, "X-Auth-Groups", `"admin"`)
		wantHeader(t, e.Header, "X-Auth-Username", "root")
	})

	t.Run("anonymous route: no identity reaches the app", func(t *testing.T) {
		for _, path := range []string{"/public/x", "/docs/x"} {
			r := do(t, c, http.MethodGet, base+path, "", spoofed(), nil)
			wantStatus(t, r, http.StatusOK)
			e := r.echo(t)
			for _, h := range identityHeaders {
				if v := e.Header.Values(h); v != nil {
					t.Errorf("%s: %s = %q reached the app", path, h, v)
				}
			}
		}
	})

	refusals := []struct {
		name      string
		method    string
		path      string
		token     string
		status    int
		challenge string // "" means none
	}{
		{"401 without a token", "GET", "/api/x", "", 401, challengeNoToken},
		{"401 expired", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{Expired: true}), 401, challengeExpired},
		{"401 forged", "GET", "/api/x", iss.AccessToken(cognitotest.TokenOptions{Signer: otherKey}), 401, challengeUnknownKey},
		{"401 tampered", "GET", "/admin/x", tamper(t, user, func(c map[string]any) { c["cognito:groups"] = []string{"admin"} }), 401, challengeBadSignature},
		{"403 not in the group", "GET", "/admin/x", user, 403, challengeNoGroup},
		{"403 without the scope", "GET", "/orders/x", user, 403, challengeNoScope},
		{"403 default deny", "GET", "/unlisted", admin, 403, ""},
		{"403 method not routed (X-Original-Method)", "POST", "/docs/x", admin, 403, ""},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before := app.hits.Load()
			r := do(t, c, tc.method, base+tc.path, tc.token, nil, nil)
			wantStatus(t, r, tc.status)
			if tc.challenge == "" {
				if v := r.Header.Values("WWW-Authenticate"); v != nil {
					t.Errorf("WWW-Authenticate = %q, want none", v)
				}
			} else {
				wantHeader(t, r.Header, "WWW-Authenticate", tc.challenge)
			}
			if n := app.hits.Load() - before; n != 0 {
				t.Errorf("the app was called %d times", n)
			}
		})
	}

	t.Run("400 when the gateway cannot check the request", func(t *testing.T) {
		before := app.hits.Load()
		r := do(t, c, http.MethodGet, base+"/api/x", "", http.Header{"Authorization": {"Bearer a b"}}, nil)
		wantStatus(t, r, http.StatusBadRequest)
		if n := app.hits.Load() - before; n != 0 {
			t.Errorf("the app was called %d times", n)
		}
	})

	t.Run("non-canonical paths are not passed as /public/", func(t *testing.T) {
		addr := strings.TrimPrefix(base, "http://")
		for _, p := range nonCanonical {
			before := app.hits.Load()
			if st := rawStatus(t, addr, p, nil); st/100 == 2 || app.hits.Load() != before {
				t.Errorf("GET %s without a token: %d, app called %d times; want it refused or checked as /admin/x", p, st, app.hits.Load()-before)
			}
		}
	})

	t.Run("503 when the gateway has no keys", func(t *testing.T) {
		before := app.hits.Load()
		r := get(t, c, base+"/outage/x", down.AccessToken())
		wantStatus(t, r, http.StatusServiceUnavailable)
		if ra := r.Header.Get("Retry-After"); ra != "5" {
			t.Errorf("Retry-After = %q, want the gateway's 5", ra)
		}
		// Without a token it is still a 401: no keys are needed to say so.
		r = get(t, c, base+"/outage/x", "")
		wantStatus(t, r, http.StatusUnauthorized)
		wantHeader(t, r.Header, "WWW-Authenticate", challengeNoToken)
		if n := app.hits.Load() - before; n != 0 {
			t.Errorf("the app was called %d times", n)
		}
	})

	// The gateway saw every check: ok, refusals and the default deny.
	m := gw.metrics()
	if m[`cognitojwt_requests_total{route="/api/",outcome="ok"}`] < 1 || m[`cognitojwt_requests_total{route="(default)",outcome="denied"}`] != 2 {
		t.Errorf("gateway metrics do not match the checks nginx made: %v", filterSeries(m, "cognitojwt_requests_total"))
	}
}
