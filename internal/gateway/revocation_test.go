package gateway

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/internal/redistest"
	"github.com/cognitojwt/cognitojwt/internal/resp"
	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
)

func TestRevocationConfig(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		err  string // "" for valid
		want RevocationConfig
	}{
		{doc: "store: redis://127.0.0.1:6379/0", want: RevocationConfig{Store: "redis://127.0.0.1:6379/0", OnUnavailable: "deny", Prefix: revsync.DefaultPrefix}},
		{doc: "{store: 'redis://h:1/2', on_unavailable: allow, prefix: p, limit: 10, resync_interval: 5s}",
			want: RevocationConfig{Store: "redis://h:1/2", OnUnavailable: "allow", Prefix: "p", Limit: 10, ResyncInterval: Duration(5 * time.Second)}},
		{doc: "on_unavailable: deny", err: "store is required"},
		{doc: "store: http://h:1/0", err: "want redis://"},
		{doc: "{store: 'redis://h:1/0', on_unavailable: open}", err: "want deny or allow"},
		{doc: "{store: 'redis://h:1/0', on_unavilable: allow}", err: "field on_unavilable not found"},
		{doc: "{store: 'redis://h:1/0', max_lifetime: 1h}", err: "field max_lifetime not found"},
		{doc: "{store: 'redis://h:1/0', limit: -1}", err: "negative"},
		{doc: "{store: 'redis://h:1/0', resync_interval: 10ms}", err: "resync_interval"},
		{doc: "{store: 'redis://h:1/0', prefix: 'a b'}", err: "white space"},
		{doc: "[redis://h:1/0]", err: "must be a mapping"},
	} {
		var got RevocationConfig
		err := yaml.Unmarshal([]byte(tc.doc), &got)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.doc, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.doc, got, err, tc.want)
		}
	}
}

// FuzzRevocationConfig fuzzes the block's validation (the YAML itself is
// the YAML library's; TestRevocationConfig covers the field names). A
// block is accepted only valid, with its defaults filled in.
func FuzzRevocationConfig(f *testing.F) {
	f.Add("redis://127.0.0.1:6379/0", "", "", 0, int64(0))
	f.Add("rediss://u:p@h:1/2", "allow", "p", 10, int64(time.Minute))
	f.Fuzz(func(t *testing.T, store, mode, prefix string, limit int, resync int64) {
		rc := RevocationConfig{Store: store, OnUnavailable: mode, Prefix: prefix, Limit: limit, ResyncInterval: Duration(resync)}
		if rc.validate() != nil {
			return
		}
		if _, err := resp.ParseURL(rc.Store); err != nil || (rc.OnUnavailable != "deny" && rc.OnUnavailable != "allow") || rc.Prefix == "" ||
			rc.Limit < 0 || strings.ContainsAny(rc.Prefix, " \t\r\n") || (resync != 0 && resync < int64(time.Second)) {
			t.Fatalf("accepted %+v", rc)
		}
	})
}

// The gateway refuses a revoked token with 401 and another user's token
// passes; with Redis down it answers 503 in deny mode (and /readyz turns
// 503) or from memory in allow mode, switched by a reload; after a Redis
// restart the revocation still holds.
func TestGatewayRevocation(t *testing.T) {
	srv := redistest.Start(t)
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	block := func(mode string) string {
		return fmt.Sprintf("revocation:\n  store: %q\n  on_unavailable: %s\n", srv.URL(), mode)
	}
	g, err := New(testConfig(t, iss, up.URL, block("deny")), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	main, admin := httptest.NewServer(g), httptest.NewServer(g.AdminHandler())
	defer main.Close()
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.state.Load().rev.m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	o, _ := resp.ParseURL(srv.URL())
	cl := resp.New(o)
	defer cl.Close()
	writer := revsync.Start(cl, revsync.Options{})
	defer writer.Close()
	if err := writer.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	bob := iss.AccessToken(cognitotest.TokenOptions{Username: "bob"})
	status := func(token string) (int, string) {
		resp, _ := get(t, main.URL+"/api/", map[string]string{"Authorization": "Bearer " + token})
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate") + resp.Header.Get("Retry-After")
	}
	if code, _ := status(alice); code != 200 {
		t.Fatalf("before the revocation: %d", code)
	}
	if err := writer.Revoke(ctx, revocation.Entry{Kind: revocation.Username, Value: "alice", At: time.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	eventually := func(what string, f func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for !f() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 2 s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	eventually("alice refused", func() bool {
		code, hdr := status(alice)
		return code == 401 && strings.Contains(hdr, `error="invalid_token"`)
	})
	if code, _ := status(bob); code != 200 {
		t.Fatalf("control: %d", code)
	}

	srv.Stop()
	eventually("503 in deny mode", func() bool {
		code, hdr := status(bob)
		return code == 503 && hdr == "5"
	})
	if resp, _ := get(t, admin.URL+"/readyz", nil); resp.StatusCode != 503 {
		t.Fatalf("readyz with the store down in deny mode: %d", resp.StatusCode)
	}
	if err := g.Reload(ctx, testConfig(t, iss, up.URL, block("allow"))); err != nil {
		t.Fatal(err)
	}
	if code, _ := status(bob); code != 200 {
		t.Fatalf("allow mode, store down, control: %d", code)
	}
	if code, _ := status(alice); code != 401 {
		t.Fatalf("allow mode keeps known revocations: %d", code)
	}
	if resp, body := get(t, admin.URL+"/readyz", nil); resp.StatusCode != 200 || !strings.Contains(body, "allow") {
		t.Fatalf("readyz in allow mode: %d %q", resp.StatusCode, body)
	}

	srv.Restart()
	if err := g.Reload(ctx, testConfig(t, iss, up.URL, block("deny"))); err != nil {
		t.Fatal(err)
	}
	eventually("in step after the restart", func() bool { code, _ := status(bob); return code == 200 })
	if code, _ := status(alice); code != 401 {
		t.Fatalf("after the restart: %d", code)
	}
	_, metrics := get(t, admin.URL+"/metrics", nil)
	for _, want := range []string{"cognitojwt_revocation_hits_total ", "cognitojwt_revocation_store_up 1", "cognitojwt_revocation_propagation_seconds_count 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(metrics, "cognitojwt_revocation_unavailable_total") || strings.Contains(metrics, "cognitojwt_revocation_unavailable_total 0\n") {
		t.Errorf("no 503 counted:\n%s", metrics)
	}
}
