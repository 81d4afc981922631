package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// recorder is an upstream that records the method, request-target and
// headers of the last request it received.
type recorder struct {
	url  string
	mu   sync.Mutex
	hits int
	last *http.Request
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	srv := newUpstreamFunc(t, func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.hits++
		r.last = req.Clone(req.Context())
		r.mu.Unlock()
		io.WriteString(w, "upstream")
	})
	r.url = srv
	return r
}

func (r *recorder) seen() (int, *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits, r.last
}

// judgeConfig is the worst case of the review: an anonymous "/" behind
// which every route that is not chosen exactly is open.
func judgeConfig(t *testing.T, iss *cognitotest.Issuer, up, extra string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(fmt.Sprintf(`
upstream: %q
forward_auth_path: /_auth
pools:
  - user_pool_id: %s
    issuer: %s
    client_ids: [%s]
routes:
  - pattern: "/"
    anonymous: true
  - pattern: "/public/"
    anonymous: true
  - pattern: "/admin/"
    groups: [admin]
  - pattern: "admin.example.com/"
    groups: [admin]
  - pattern: "POST /orders/"
  - pattern: "DELETE /orders/"
    groups: [admin]
headers:
  username: X-Auth-User
  cognito:groups: X-Auth-Groups
%s`, up, iss.PoolID, iss.IssuerURL(), iss.ClientID, extra)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type judgeCase struct {
	name   string
	method string
	target string // request-target, sent as is
	host   string // "" = the listener's
	admin  bool   // send the admin's token, else a user's
	hdr    map[string]string
	status int // both modes; 200 in proxy mode means proxied
}

// runJudge sends each case in proxy mode (the upstream must be reached
// exactly when the answer is 200) and in forward-auth mode (the same
// method, URI and host reported by a front proxy: the same answer).
func runJudge(t *testing.T, extra string, cases []judgeCase) *recorder {
	t.Helper()
	iss := cognitotest.NewIssuer(t, testKey())
	up := newRecorder(t)
	gw := newGateway(t, judgeConfig(t, iss, up.url, extra))
	user := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Groups: []string{"users"}})
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			tok := user
			if tc.admin {
				tok = admin
			}
			req, _ := http.NewRequest(method, gw.URL, nil)
			req.URL.Opaque = tc.target
			if tc.host != "" {
				req.Host = tc.host
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			before, _ := up.seen()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("proxy: status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if after, _ := up.seen(); (after > before) != (tc.status == 200) {
				t.Errorf("proxy: upstream reached = %v, want %v", after > before, tc.status == 200)
			}

			fa, _ := http.NewRequest("GET", gw.URL+"/_auth", nil)
			fa.Header.Set("X-Original-Method", method)
			fa.Header.Set("X-Original-URI", tc.target)
			if tc.host != "" {
				fa.Header.Set("X-Original-Host", tc.host)
			}
			fa.Header.Set("Authorization", "Bearer "+tok)
			for k, v := range tc.hdr {
				fa.Header.Set(k, v)
			}
			resp, err = http.DefaultClient.Do(fa)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			want := tc.status
			if _, ok := tc.hdr["X-HTTP-Method-Override"]; ok {
				want = 400 // forward-auth cannot strip it, so it refuses it
			}
			if resp.StatusCode != want {
				t.Errorf("forward-auth: status %d, want %d: %s", resp.StatusCode, want, body)
			}
		})
	}
	return up
}

func TestCanonicalRequest(t *testing.T) {
	runJudge(t, "", []judgeCase{
		// Controls: what a legitimate client sends still passes.
		{name: "control: anonymous root", target: "/x", status: 200},
		{name: "control: admin as admin", target: "/admin/x", admin: true, status: 200},
		{name: "control: admin as user", target: "/admin/x", status: 403},
		{name: "control: mixed case that selects the same route", target: "/files/ReadMe.TXT", status: 200},
		{name: "control: dots inside names", target: "/public/a.b/..c/x", status: 200},
		{name: "control: percent sign that decodes to nothing more", target: "/public/100%25", status: 200},
		{name: "control: encoded letter is decoded once and judged", target: "/%61dmin/x", status: 403},
		{name: "control: query kept", target: "/public/x?a=1;b=2", status: 200},

		// ";" path parameters: servlet containers drop them.
		{name: "path parameter", target: "/admin;x/x", status: 400},
		{name: "jsessionid", target: "/admin;jsessionid=0/x", status: 400},
		{name: "encoded ;", target: "/admin%3Bx/x", status: 400},
		{name: "encoded ; lower case", target: "/admin%3bx/x", status: 400},
		{name: "dot-dot parameter", target: "/public/..;/admin/x", status: 400},
		// Control characters and NUL.
		{name: "NUL", target: "/admin%00/x", status: 400},
		{name: "control character", target: "/admin%01/x", status: 400},
		{name: "DEL", target: "/admin%7F/x", status: 400},
		{name: "C1 control", target: "/admin%C2%85/x", status: 400},
		{name: "invalid UTF-8", target: "/admin%FF/x", status: 400},
		// Segments Windows and IIS trim.
		{name: "trailing dot", target: "/admin./x", status: 400},
		{name: "trailing encoded dot", target: "/admin%2e/x", status: 400},
		{name: "trailing space", target: "/admin%20/x", status: 400},
		// Dot segments, empty segments, encoded slashes and backslashes.
		{name: "dot-dot", target: "/public/../admin/x", status: 400},
		{name: "encoded dot-dot", target: "/public/%2e%2E/admin/x", status: 400},
		{name: "dot", target: "/public/./x", status: 400},
		{name: "empty segment", target: "/public//x", status: 400},
		{name: "encoded slash", target: "/public/..%2Fadmin/x", status: 400},
		{name: "encoded backslash", target: "/public/..%5cadmin/x", status: 400},
		{name: "backslash", target: `/public\..\admin/x`, status: 400},
		// Double encoding where the second decoding changes the route.
		{name: "double-encoded letter", target: "/%2561dmin/x", status: 400},
		{name: "double-encoded dot-dot", target: "/public/%252e%252e/admin/x", status: 400},
		{name: "double-encoded slash", target: "/public/..%252fadmin/x", status: 400},
		{name: "double-encoded ;", target: "/admin%253Bx/x", status: 400},
		// Letter case (Express, ASP.NET Core, IIS route case-insensitively).
		{name: "upper case", target: "/ADMIN/users", status: 400},
		{name: "mixed case", target: "/Admin/users", status: 400},
		{name: "dotless i", target: "/adm%C4%B1n/users", status: 400},
		{name: "dotted capital I", target: "/ADM%C4%B0N/users", status: 400},
		// Methods.
		{name: "lower-case method", method: "get", target: "/admin/x", status: 400},
		// Hosts: canonicalised, then matched.
		{name: "host route", target: "/x", host: "admin.example.com", status: 403},
		{name: "host upper case", target: "/x", host: "ADMIN.example.com", status: 403},
		{name: "host trailing dot", target: "/x", host: "admin.example.com.", status: 403},
		{name: "host default port", target: "/x", host: "Admin.Example.Com:443", status: 403},
		{name: "host port 80", target: "/x", host: "admin.example.com:80", status: 403},
		{name: "control: host route as admin", target: "/x", host: "ADMIN.example.com.", admin: true, status: 200},
		{name: "control: other host", target: "/x", host: "www.example.com", status: 200},
		{name: "control: IPv6 literal", target: "/x", host: "[::1]:8080", status: 200},
		{name: "host all-numeric", target: "/x", host: "2130706433", status: 400},
		{name: "host hex", target: "/x", host: "0x7f.1", status: 400},
		{name: "host empty label", target: "/x", host: "admin..example.com", status: 400},
		{name: "host two trailing dots", target: "/x", host: "admin.example.com..", status: 400},
		{name: "host bad port", target: "/x", host: "admin.example.com:0443", status: 400},
		{name: "host IPv4 leading zero", target: "/x", host: "127.000.0.1", status: 400},
		// Method overrides: stripped in proxy mode, refused in forward-auth.
		{name: "method override", method: "POST", target: "/orders/42", hdr: map[string]string{"X-HTTP-Method-Override": "DELETE"}, status: 200},
		{name: "_method in the query", method: "POST", target: "/orders/42?_method=DELETE", status: 400},
		{name: "control: DELETE is judged as DELETE", method: "DELETE", target: "/orders/42", status: 403},
	})
}

func TestCanonicalRequestForwardsCanonicalForm(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newRecorder(t)
	gw := newGateway(t, judgeConfig(t, iss, up.url, ""))
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})
	user := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	for _, tc := range []struct {
		target, host, tok, wantURI, wantHost string
		hdr                                  map[string]string
	}{
		{target: "/%61dmin/x", tok: admin, wantURI: "/admin/x"},
		{target: "/public/100%25?q=%41", tok: user, wantURI: "/public/100%25?q=%41"},
		{target: "/x", host: "WWW.Example.COM.:443", tok: user, wantURI: "/x", wantHost: "www.example.com"},
		{target: "/orders/1", tok: user, wantURI: "/orders/1", hdr: map[string]string{
			"X-HTTP-Method-Override": "DELETE", "X-Http-Method": "DELETE", "X-Method-Override": "DELETE", "X_HTTP_Method_Override": "DELETE"}},
	} {
		method := "GET"
		if tc.hdr != nil {
			method = "POST"
		}
		req, _ := http.NewRequest(method, gw.URL, nil)
		req.URL.Opaque = tc.target
		if tc.host != "" {
			req.Host = tc.host
		}
		req.Header.Set("Authorization", "Bearer "+tc.tok)
		for k, v := range tc.hdr {
			req.Header[k] = []string{v}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		_, got := up.seen()
		if resp.StatusCode != 200 || got == nil {
			t.Fatalf("%s: status %d", tc.target, resp.StatusCode)
		}
		if got.RequestURI != tc.wantURI {
			t.Errorf("%s: upstream got %q, want %q", tc.target, got.RequestURI, tc.wantURI)
		}
		if tc.wantHost != "" && got.Header.Get("X-Forwarded-Host") != tc.wantHost {
			t.Errorf("X-Forwarded-Host %q, want %q", got.Header.Get("X-Forwarded-Host"), tc.wantHost)
		}
		for name := range got.Header {
			if n := strings.ToLower(strings.ReplaceAll(name, "_", "-")); strings.Contains(n, "method") {
				t.Errorf("%s reached the upstream", name)
			}
		}
		if got.Method != method {
			t.Errorf("method %s, want %s", got.Method, method)
		}
	}
}

// TestEscapeHatches: allow_path_params lets ";" through (to be judged by
// the route the literal path selects), case_sensitive turns the case rule
// off, method_override_headers: [] forwards the overrides.
func TestEscapeHatches(t *testing.T) {
	t.Run("allow_path_params", func(t *testing.T) {
		runJudge(t, "allow_path_params: true\n", []judgeCase{
			{name: "matrix parameter", target: "/public/items;color=red", status: 200},
			{name: "parameter on a protected route", target: "/admin/x;v=1", status: 403},
			{name: "still no dot segment", target: "/public/..;/admin/x", status: 400},
		})
	})
	t.Run("case_sensitive", func(t *testing.T) {
		runJudge(t, "case_sensitive: true\n", []judgeCase{
			{name: "upper case is another resource", target: "/ADMIN/users", status: 200},
			{name: "control: admin still protected", target: "/admin/users", status: 403},
		})
	})
	t.Run("method_override_headers off", func(t *testing.T) {
		iss := cognitotest.NewIssuer(t, testKey())
		up := newRecorder(t)
		gw := newGateway(t, judgeConfig(t, iss, up.url, "method_override_headers: []\n"))
		req, _ := http.NewRequest("POST", gw.URL+"/orders/1?_method=PUT", nil)
		req.Header.Set("Authorization", "Bearer "+iss.AccessToken())
		req.Header.Set("X-HTTP-Method-Override", "PATCH")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if _, got := up.seen(); resp.StatusCode != 200 || got.Header.Get("X-HTTP-Method-Override") != "PATCH" {
			t.Errorf("status %d; override not forwarded when the list is empty", resp.StatusCode)
		}
	})
}

func TestCanonicalHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"example.com:443", "example.com"},
		{"example.com:80", "example.com"},
		{"example.com:8443", "example.com:8443"},
		{"127.0.0.1", "127.0.0.1"},
		{"[0:0::1]:443", "[::1]"},
		{"my_svc.internal", "my_svc.internal"},
		{"", ""}, {"a..b", ""}, {"a.b..", ""}, {"-a.b", ""}, {"1.2.3", ""}, {"[fe80::1%eth0]", ""},
		{"exämple.com", ""}, {"example.com:", "example.com"}, {"example.com:99999", ""}, {"::1", ""}, {"[::1]x", ""},
		{strings.Repeat("a", 64) + ".com", ""},
	} {
		got, err := canonicalHost(tc.in)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("canonicalHost(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
