package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

var issuerOnce = sync.OnceValues(func() (*cognitotest.Issuer, error) {
	iss := cognitotest.NewUnstartedIssuer()
	return iss, iss.Start()
})

func testIssuer(t *testing.T) *cognitotest.Issuer {
	iss, err := issuerOnce()
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVerify(t *testing.T) {
	iss := testIssuer(t)
	pool := []string{"verify", "--user-pool-id", iss.PoolID, "--issuer", iss.IssuerURL(), "--client-id", iss.ClientID}
	good, _ := iss.MintAccess(cognitotest.TokenOptions{Username: "alice", Groups: []string{"admin"}})
	expired, _ := iss.MintAccess(cognitotest.TokenOptions{Expired: true})
	id, _ := iss.MintID(cognitotest.TokenOptions{})
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // substring of stdout
		err   string // substring of stderr
	}{
		{"valid argument", append(pool, good), "", 0, `"username": "alice"`, ""},
		{"valid on stdin", pool, good + "\n", 0, `"token_use": "access"`, ""},
		{"valid with Bearer prefix", append(pool, "Bearer "+good), "", 0, `"username"`, ""},
		{"group required, present", append(append(pool, "--group", "admin"), good), "", 0, "", ""},
		{"group required, absent", append(append(pool, "--group", "ops"), good), "", 1, "", "required group missing"},
		{"expired", append(pool, expired), "", 1, "", "token expired"},
		{"ID token at access", append(pool, id), "", 1, "", "token_use"},
		{"ID token with --token-use id", append(append(pool, "--token-use", "id"), id), "", 0, `"aud"`, ""},
		{"other client", []string{"verify", "--user-pool-id", iss.PoolID, "--issuer", iss.IssuerURL(), "--client-id", "nope", good}, "", 1, "", "invalid client"},
		{"garbage", append(pool, "not.a.token"), "", 1, "", "malformed"},
		{"generic issuer", []string{"verify", "--issuer", iss.IssuerURL(), "--any-client", "--jwks-url", iss.JWKSURL(), good}, "", 0, `"client_id"`, ""},
		{"no pool or issuer", []string{"verify", good}, "", 2, "", "--user-pool-id"},
		{"bad pool id", []string{"verify", "--user-pool-id", "nope", "--client-id", "c", good}, "", 2, "", "pool id"},
		{"no client", []string{"verify", "--user-pool-id", iss.PoolID, good}, "", 2, "", "ClientIDs"},
		{"two tokens", append(pool, good, good), "", 2, "", "one token"},
		{"unknown flag", []string{"verify", "--nope"}, "", 2, "", "flag provided but not defined"},
		{"help", []string{"verify", "--help"}, "", 0, "", "Usage: cognitojwt verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if code != 0 && strings.Contains(errs, good) {
				t.Error("the token is echoed on stderr")
			}
		})
	}
}

func TestDecode(t *testing.T) {
	iss := testIssuer(t)
	tok, _ := iss.MintAccess(cognitotest.TokenOptions{Username: "bob", Expired: true})
	code, out, errs := runCmd(t, tok, "decode")
	if code != 0 || !strings.Contains(errs, "UNVERIFIED") || !strings.Contains(out, `"UNVERIFIED": true`) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var doc struct {
		Claims map[string]any `json:"claims"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Claims["username"] != "bob" {
		t.Fatalf("stdout is not the claims JSON: %v\n%s", err, out)
	}
	if code, _, _ := runCmd(t, "", "decode", "a.b"); code != 1 {
		t.Errorf("garbage: exit %d", code)
	}
}

func TestIssuerMint(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	iss, err := newIssuer(cognitotest.DefaultPoolID, "client-1", keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.Start(); err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	for _, use := range []string{"access", "id", "m2m"} {
		code, out, errs := runCmd(t, "", "issuer", "mint", "--keys", keys, "--url", iss.URL, "--client-id", "client-1", "--token-use", use, "--claim", "custom:tier=3", "--claim", "note=hello")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", use, code, errs)
		}
		tokenUse := use
		if use == "m2m" {
			tokenUse = "access"
		}
		code, claims, errs := runCmd(t, strings.TrimSpace(out), "verify", "--user-pool-id", iss.PoolID, "--issuer", iss.IssuerURL(), "--client-id", "client-1", "--token-use", tokenUse)
		if code != 0 || !strings.Contains(claims, `"custom:tier": 3`) || !strings.Contains(claims, `"note": "hello"`) {
			t.Fatalf("%s: minted token does not verify against the served keys: exit %d %s %s", use, code, claims, errs)
		}
	}
	// Keys survive: a second issuer from the same directory publishes the same key.
	again, err := newIssuer(cognitotest.DefaultPoolID, "client-1", keys)
	if err != nil {
		t.Fatal(err)
	}
	again.URL = "http://127.0.0.1:1"
	if _, err := again.Handler(); err != nil {
		t.Fatal(err)
	}
	if len(again.KeyIDs()) != 1 || again.KeyIDs()[0] != iss.KeyIDs()[0] {
		t.Errorf("keys not reused: %v vs %v", again.KeyIDs(), iss.KeyIDs())
	}
	if code, _, errs := runCmd(t, "", "issuer", "mint"); code != 2 || !strings.Contains(errs, "--keys") {
		t.Errorf("mint without keys: exit %d %s", code, errs)
	}
	if code, _, _ := runCmd(t, "", "issuer", "mint", "--keys", keys, "--token-use", "refresh"); code != 2 {
		t.Errorf("bad token use: exit %d", code)
	}
}

func TestProxyCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("upstream: http://127.0.0.1:3000\npools: [{user_pool_id: us-east-1_AbC, client_ids: [c]}]\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("upstream: http://127.0.0.1:3000\npools: [{user_pool_id: us-east-1_AbC}]\nroutes: [{pattern: \"/a/\", grups: [x]}]\n"), 0o600)
	if code, out, errs := runCmd(t, "", "proxy", "--config", good, "--check"); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("good config: exit %d %s %s", code, out, errs)
	}
	code, _, errs := runCmd(t, "", "proxy", "--config", bad, "--check")
	if code != 2 || !strings.Contains(errs, "grups") {
		t.Errorf("bad config: exit %d %s", code, errs)
	}
	for _, args := range [][]string{{"proxy"}, {"proxy", "--dev", "--config", good}, {"proxy", "--config", good, "--log-level", "loud"}} {
		if code, _, _ := runCmd(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestTopLevel(t *testing.T) {
	if code, _, errs := runCmd(t, ""); code != 2 || !strings.Contains(errs, "Usage") {
		t.Errorf("no args: %d %s", code, errs)
	}
	if code, _, _ := runCmd(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command: %d", code)
	}
	if code, out, _ := runCmd(t, "", "version"); code != 0 || !strings.HasPrefix(out, "cognitojwt ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "", "help"); code != 0 || !strings.Contains(out, "proxy") {
		t.Errorf("help: %d", code)
	}
}

func TestMintStableSubject(t *testing.T) {
	dir := t.TempDir()
	if _, err := newIssuer(cognitotest.DefaultPoolID, "c", dir); err != nil {
		t.Fatal(err)
	}
	subOf := func(user string) string {
		code, out, errs := runCmd(t, "", "issuer", "mint", "--keys", dir, "--username", user)
		if code != 0 {
			t.Fatalf("mint: %s", errs)
		}
		_, claims, _ := runCmd(t, strings.TrimSpace(out), "decode")
		var doc struct {
			Claims struct {
				Sub string `json:"sub"`
			} `json:"claims"`
		}
		if err := json.Unmarshal([]byte(claims), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Claims.Sub
	}
	a1, a2, b := subOf("alice"), subOf("alice"), subOf("bob")
	if a1 != a2 || a1 == b || len(a1) != 36 || a1[14] != '4' {
		t.Errorf("subs: %q %q %q", a1, a2, b)
	}
}
