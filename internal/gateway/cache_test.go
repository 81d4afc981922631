package gateway

import (
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
