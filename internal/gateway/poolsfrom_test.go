package gateway

import (
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// poolIssuer is a cognitotest pool with the given id, sharing the test key.
func poolIssuer(t *testing.T, id string) *cognitotest.Issuer {
	t.Helper()
	iss := cognitotest.NewUnstartedIssuer()
	iss.PoolID = id
	iss.Signers = []crypto.Signer{testKey()}
	if err := iss.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(iss.Close)
	return iss
}

func writePoolFile(t *testing.T, dir string, iss *cognitotest.Issuer, extra string) {
	t.Helper()
	doc := fmt.Sprintf("issuer: %s\nclient_ids: [%s]\n%s", iss.IssuerURL(), iss.ClientID, extra)
	if err := os.WriteFile(filepath.Join(dir, iss.PoolID+".yaml"), []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
}

func poolsFromConfig(t *testing.T, up, dir string, issuers ...*cognitotest.Issuer) *Config {
	t.Helper()
	var prefixes []string
	for _, iss := range issuers {
		prefixes = append(prefixes, fmt.Sprintf("%q", iss.URL+"/"))
	}
	doc := fmt.Sprintf(`
upstream: %q
pools_from:
  dir: %q
  unknown_ttl: 50ms
  refresh: 50ms
  issuer_prefixes: [%s]
routes:
  - pattern: "/admin/"
    groups: [admin]
  - pattern: "/"
`, up, dir, strings.Join(prefixes, ", "))
	cfg, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Tenants' pools come from files: each file's rules apply to its pool's
// tokens only; a pool without a file is refused without a key fetch; a
// file added or broken later takes effect without a reload.
func TestPoolsFrom(t *testing.T) {
	a := poolIssuer(t, "us-east-1_TenantA")
	b := poolIssuer(t, "us-east-1_TenantB")
	c := poolIssuer(t, "us-east-1_TenantC") // no file yet
	d := poolIssuer(t, "us-east-1_TenantD") // a broken file later
	dir := t.TempDir()
	writePoolFile(t, dir, a, "")
	writePoolFile(t, dir, b, "token_use: id\n")
	up := newUpstream(t)
	gw := newGateway(t, poolsFromConfig(t, up.URL, dir, a, b, c, d))
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	cases := []struct {
		name   string
		path   string
		token  string
		status int
	}{
		{"pool A access token", "/x", a.AccessToken(), 200},
		{"pool A admin route as user", "/admin/", a.AccessToken(), 403},
		{"pool A admin route as admin", "/admin/", a.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin"}}), 200},
		{"pool A ID token (its file wants access)", "/x", a.IDToken(), 401},
		{"pool B ID token", "/x", b.IDToken(), 200},
		{"pool B access token (its file wants id)", "/x", b.AccessToken(), 401},
		{"pool C, no file", "/x", c.AccessToken(), 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, gw.URL+tc.path, bearer(tc.token))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
		})
	}
	if n := c.JWKSRequests(); n != 0 {
		t.Fatalf("a pool without a file caused %d key fetches", n)
	}

	// A new tenant: its file appears, and within unknown_ttl its tokens
	// pass, with no reload.
	writePoolFile(t, dir, c, "")
	waitStatus(t, gw.URL+"/x", bearer(c.AccessToken()), 200)

	// A file broken later is refused like a bad reload: the rules it had
	// keep serving (never a pass beyond them), and the break is logged.
	if err := os.WriteFile(filepath.Join(dir, a.PoolID+".yaml"), []byte("client_ids: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // past refresh: the broken file was read
	for _, tc := range []struct {
		token  string
		status int
	}{{a.AccessToken(), 200}, {a.IDToken(), 401}, {b.IDToken(), 200}} {
		if resp, body := get(t, gw.URL+"/x", bearer(tc.token)); resp.StatusCode != tc.status {
			t.Fatalf("after A's file broke: %d %s, want %d", resp.StatusCode, body, tc.status)
		}
	}
	// A new pool whose file is broken has no rules to keep: 503.
	if err := os.WriteFile(filepath.Join(dir, d.PoolID+".yaml"), []byte("client_ids: [\"\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, gw.URL+"/x", bearer(d.AccessToken()), 503)
	if n := d.JWKSRequests(); n != 0 {
		t.Fatalf("a broken pool file caused %d key fetches", n)
	}

	// A file removed: its pool is unknown again.
	if err := os.Remove(filepath.Join(dir, c.PoolID+".yaml")); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, gw.URL+"/x", bearer(c.AccessToken()), 401)
}

// waitStatus polls until url answers status, for at most 5 s.
func waitStatus(t *testing.T, url string, hdr map[string]string, status int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body := get(t, url, hdr)
		if resp.StatusCode == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d (%s) after 5 s, want %d", resp.StatusCode, body, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Every pool file is checked when the configuration is loaded, so --check
// and a reload refuse a bad one; errors name the file, the line and the key.
func TestPoolsFromRefuses(t *testing.T) {
	up := newUpstream(t)
	cases := []struct {
		name  string
		files map[string]string
		dir   string // overrides the directory
		want  string
	}{
		{"missing dir", nil, "/nonexistent/pools", "pools_from.dir: /nonexistent/pools: no such file"},
		{"file of another name", map[string]string{"tenants.yaml": "client_ids: [x]\n"}, "", "tenants.yaml: want only <user pool id>.yaml"},
		{"yml extension", map[string]string{"us-east-1_A.yml": "client_ids: [x]\n"}, "", "us-east-1_A.yml: want only"},
		{"unknown key", map[string]string{"us-east-1_A.yaml": "client_ids: [x]\nclient_id: y\n"}, "", "us-east-1_A.yaml: line 2"},
		{"no client", map[string]string{"us-east-1_A.yaml": "token_use: access\n"}, "", "us-east-1_A.yaml"},
		{"blank client", map[string]string{"us-east-1_A.yaml": "client_ids: [\" \"]\n"}, "", "client_ids[0]"},
		{"other pool named", map[string]string{"us-east-1_A.yaml": "user_pool_id: us-east-1_B\nclient_ids: [x]\n"}, "", "user_pool_id"},
		{"bad algorithm", map[string]string{"us-east-1_A.yaml": "client_ids: [x]\nalgorithms: [HS256]\n"}, "", "algorithms[0]"},
		{"not a mapping", map[string]string{"us-east-1_A.yaml": "- x\n"}, "", "want a mapping"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.dir != "" {
				dir = tc.dir
			}
			_, err := Parse([]byte(fmt.Sprintf("upstream: %q\npools_from:\n  dir: %q\n", up.URL, dir)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "PoolConfig") || strings.Contains(err.Error(), "ClientIDs") {
				t.Fatalf("error names a Go name: %v", err)
			}
		})
	}
	// Controls: a valid file, and the bookkeeping names of a Kubernetes
	// ConfigMap volume, are accepted.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "us-east-1_A.yaml"), []byte("client_ids: [x]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "..2026_12_01_00_00_00.1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse([]byte(fmt.Sprintf("upstream: %q\npools_from:\n  dir: %q\n", up.URL, dir))); err != nil {
		t.Fatal(err)
	}
}
