package gateway

import (
	"net/http/httptest"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// cache_size reaches the verifier: on, off and default, a valid token is
// accepted on first sight and on repeat, and an expired one never is.
func TestCacheSize(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	token := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	expired := iss.AccessToken(cognitotest.TokenOptions{Expired: true})
	for _, tt := range []struct {
		extra string
		want  int
	}{{"", 0}, {"cache_size: 4096\n", 4096}, {"cache_size: -1\n", -1}} {
		cfg := testConfig(t, iss, up.URL, tt.extra)
		if cfg.CacheSize != tt.want {
			t.Fatalf("%q: CacheSize = %d, want %d", tt.extra, cfg.CacheSize, tt.want)
		}
		gw := newGateway(t, cfg)
		for range 2 {
			if resp, _ := get(t, gw.URL+"/api/x", map[string]string{"Authorization": "Bearer " + token}); resp.StatusCode != 200 {
				t.Fatalf("%q: valid token: %d", tt.extra, resp.StatusCode)
			}
			if resp, _ := get(t, gw.URL+"/api/x", map[string]string{"Authorization": "Bearer " + expired}); resp.StatusCode != 401 {
				t.Fatalf("%q: expired token: %d", tt.extra, resp.StatusCode)
			}
		}
	}
}

// The profiler is on the admin listener only when pprof is set.
func TestPprof(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	for _, tt := range []struct {
		extra string
		want  int
	}{{"", 404}, {"pprof: true\n", 200}} {
		g, err := New(testConfig(t, iss, up.URL, tt.extra), nil)
		if err != nil {
			t.Fatal(err)
		}
		admin := httptest.NewServer(g.AdminHandler())
		t.Cleanup(admin.Close)
		if resp, _ := get(t, admin.URL+"/debug/pprof/", nil); resp.StatusCode != tt.want {
			t.Errorf("%q: /debug/pprof/ answered %d, want %d", tt.extra, resp.StatusCode, tt.want)
		}
		if resp, _ := get(t, admin.URL+"/healthz", nil); resp.StatusCode != 200 {
			t.Errorf("%q: /healthz answered %d", tt.extra, resp.StatusCode)
		}
		main := httptest.NewServer(g)
		t.Cleanup(main.Close)
		if resp, _ := get(t, main.URL+"/debug/pprof/", nil); resp.StatusCode == 200 {
			t.Errorf("%q: the main listener serves the profiler", tt.extra)
		}
	}
}
