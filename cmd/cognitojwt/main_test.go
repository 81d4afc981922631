package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	justExpired, _ := iss.MintAccess(cognitotest.TokenOptions{IssuedAt: time.Now().Add(-time.Hour), TTL: time.Hour - 2*time.Second})
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
		{"no client", []string{"verify", "--user-pool-id", iss.PoolID, good}, "", 2, "", "--client-id"},
		{"config error names the flag", append(append(pool, "--token-use", "id", "--scope", "a/b"), id), "", 2, "", "--scope cannot be required"},
		{"bad token use", append(append(pool, "--token-use", "refresh"), good), "", 2, "", "--token-use"},
		{"negative leeway", append(append(pool, "--leeway", "-1s"), good), "", 2, "", "--leeway"},
		{"just expired, default leeway 5s", append(pool, justExpired), "", 0, `"sub"`, ""},
		{"just expired, --leeway 0 means none", append(append(pool, "--leeway", "0"), justExpired), "", 1, "", "expired"},
		{"json valid", append(append(pool, "--json"), good), "", 0, `{"valid":true,"claims":{`, ""},
		{"json refused", append(append(pool, "--json"), expired), "", 1, `{"valid":false,"error":"`, "token expired"},
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
			if strings.Contains(errs, "cognitojwt: cognitojwt:") || strings.Contains(errs, "cognitojwt: oidc:") {
				t.Errorf("stacked prefixes: %s", errs)
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

func TestVerifyKeysUnavailable(t *testing.T) {
	iss := testIssuer(t)
	good, _ := iss.MintAccess(cognitotest.TokenOptions{})
	// A closed port: the keys cannot be fetched, which is no verdict on
	// the token: exit 3, not 1.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/jwks.json"
	ln.Close()
	args := []string{"verify", "--user-pool-id", iss.PoolID, "--issuer", iss.IssuerURL(), "--client-id", iss.ClientID, "--jwks-url", dead, "--timeout", "3s"}
	code, _, errs := runCmd(t, "", append(args, good)...)
	if code != 3 || !strings.Contains(errs, "cannot verify") {
		t.Errorf("keys unavailable: exit %d %s", code, errs)
	}
	code, out, _ := runCmd(t, "", append(args, "--json", good)...)
	var res struct {
		Valid, Unavailable bool
	}
	if code != 3 || json.Unmarshal([]byte(out), &res) != nil || res.Valid || !res.Unavailable {
		t.Errorf("--json keys unavailable: exit %d %s", code, out)
	}
	// Control: the same flags with the real key URL verify.
	args[len(args)-3] = iss.JWKSURL()
	if code, _, errs := runCmd(t, "", append(args, good)...); code != 0 {
		t.Errorf("control: exit %d %s", code, errs)
	}
}

func TestDecodeJSON(t *testing.T) {
	iss := testIssuer(t)
	tok, _ := iss.MintAccess(cognitotest.TokenOptions{Username: "bob"})
	code, out, errs := runCmd(t, tok, "decode", "--json")
	if code != 0 || errs != "" || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d\n%q\n%q", code, out, errs)
	}
	var doc struct {
		Unverified bool           `json:"UNVERIFIED"`
		Header     map[string]any `json:"header"`
		Claims     map[string]any `json:"claims"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || !doc.Unverified || doc.Claims["username"] != "bob" || doc.Header["alg"] != "RS256" {
		t.Fatalf("%v %s", err, out)
	}
}

// TestHelp: every command answers -h and --help with its synopsis, a
// description, a flag list (never empty) and the exit codes, and exits 0.
func TestHelp(t *testing.T) {
	for _, cmd := range [][]string{{"verify"}, {"decode"}, {"issuer"}, {"issuer", "mint"}, {"proxy"}, {"version"}} {
		for _, h := range []string{"-h", "--help"} {
			t.Run(strings.Join(cmd, "_")+h, func(t *testing.T) {
				code, _, errs := runCmd(t, "", append(cmd, h)...)
				if code != 0 || !strings.Contains(errs, "Usage: cognitojwt "+strings.Join(cmd, " ")) ||
					!strings.Contains(errs, "Flags:\n  -") && !strings.Contains(errs, "Flags:\n  (none)") || !strings.Contains(errs, "3 keys or store unavailable") {
					t.Errorf("exit %d\n%s", code, errs)
				}
			})
		}
	}
	if _, _, errs := runCmd(t, "", "decode", "-h"); !strings.Contains(errs, "-json") {
		t.Errorf("decode help lists no flags:\n%s", errs)
	}
}

func TestIssuerWithoutKeysSaysHowToMint(t *testing.T) {
	iss := cognitotest.NewUnstartedIssuer()
	iss.URL = "http://127.0.0.1:9229"
	var b strings.Builder
	printIssuerHelp(&b, iss, "")
	if !strings.Contains(b.String(), "restart with --keys DIR") || !strings.Contains(b.String(), "grant_type=client_credentials") {
		t.Errorf("%s", b.String())
	}
	b.Reset()
	printIssuerHelp(&b, iss, "/tmp/k")
	if !strings.Contains(b.String(), "cognitojwt issuer mint --keys /tmp/k --url http://127.0.0.1:9229") {
		t.Errorf("%s", b.String())
	}
	if code, _, errs := runCmd(t, "", "issuer", "mint"); code != 2 || !strings.Contains(errs, "cognitojwt issuer --keys DIR") {
		t.Errorf("mint without keys: exit %d %s", code, errs)
	}
}

func TestMintWarnsWhenIssuerDoesNotPublishKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := newIssuer(cognitotest.DefaultPoolID, "c", dir); err != nil {
		t.Fatal(err)
	}
	other := testIssuer(t) // serves another key
	code, out, errs := runCmd(t, "", "issuer", "mint", "--keys", dir, "--url", other.URL)
	if code != 0 || out == "" || !strings.Contains(errs, "does not publish the key") {
		t.Errorf("exit %d %q %s", code, out, errs)
	}
}

func TestProxyDevBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errs := runCmd(t, "", "proxy", "--dev", "--addr", ln.Addr().String(), "--admin-addr", "off")
	if code != 2 || !strings.Contains(errs, "--addr 127.0.0.1:") {
		t.Errorf("exit %d %s", code, errs)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"abc.DEF-1_2":             "abc.DEF-1_2",
		"http://127.0.0.1:8080/x": "http://127.0.0.1:8080/x",
		"":                        "''",
		"a b":                     "'a b'",
		"it's":                    `'it'\''s'`,
		`a\b`:                     `'a'\\'b'`,
		"*":                       "'*'",
		"a?b":                     "'a?b'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCLIDocComplete: docs/CLI.md names every flag of every command.
func TestCLIDocComplete(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CLI.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"verify", "decode", "issuer", "issuer mint", "proxy", "revoke", "version"} {
		if !strings.Contains(string(doc), "## `"+cmd+"`") {
			t.Errorf("docs/CLI.md has no section for %s", cmd)
		}
		_, _, help := runCmd(t, "", append(strings.Fields(cmd), "-h")...)
		for _, l := range strings.Split(help, "\n") {
			if !strings.HasPrefix(l, "  -") {
				continue
			}
			name := strings.Fields(l)[0][1:]
			if !strings.Contains(string(doc), "`--"+name) {
				t.Errorf("docs/CLI.md does not describe %s --%s", cmd, name)
			}
		}
	}
}
