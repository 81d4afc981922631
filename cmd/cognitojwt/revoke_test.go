package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/redistest"
	"github.com/cognitojwt/cognitojwt/internal/resp"
	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
)

func TestRevoke(t *testing.T) {
	srv := redistest.Start(t)
	store := srv.URL()
	o, _ := resp.ParseURL(store)
	cl := resp.New(o)
	defer cl.Close()
	m := revsync.Start(cl, revsync.Options{})
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

	tests := []struct {
		name string
		args []string
		code int
		out  string // substring of stdout
		err  string // substring of stderr
		tok  *revocation.Token
	}{
		{"jti", []string{"--store", store, "--jti", "j-1"}, 0, "revoked the token with jti j-1", "", &revocation.Token{JTI: "j-1"}},
		{"origin_jti", []string{"--store", store, "--origin-jti", "o-1"}, 0, "every token of the sign-in", "", &revocation.Token{OriginJTI: "o-1"}},
		{"sub", []string{"--store", store, "--sub", "s-1"}, 0, "with sub s-1", "", &revocation.Token{Subject: "s-1", IssuedAt: time.Now().Add(-time.Minute)}},
		{"username before", []string{"--store", store, "--username", "alice", "--before", hour}, 0, "with username alice", "", &revocation.Token{Username: "alice", IssuedAt: time.Now().Add(-2 * time.Hour)}},
		{"no store", []string{"--jti", "x"}, 2, "", "--store is required", nil},
		{"bad store URL", []string{"--store", "http://x", "--jti", "x"}, 2, "", "want redis://", nil},
		{"no selector", []string{"--store", store}, 2, "", "exactly one", nil},
		{"two selectors", []string{"--store", store, "--jti", "a", "--sub", "b"}, 2, "", "exactly one", nil},
		{"before with jti", []string{"--store", store, "--jti", "a", "--before", hour}, 2, "", "--before applies to --sub and --username", nil},
		{"before not RFC 3339", []string{"--store", store, "--sub", "a", "--before", "yesterday"}, 2, "", "not an RFC 3339", nil},
		{"before in the future", []string{"--store", store, "--sub", "a", "--before", time.Now().Add(time.Hour).Format(time.RFC3339)}, 2, "", "in the future", nil},
		{"before too old", []string{"--store", store, "--sub", "a", "--before", "2020-01-01T00:00:00Z"}, 2, "", "older than --max-lifetime", nil},
		{"value with a space", []string{"--store", store, "--sub", "a b"}, 2, "", "space", nil},
		{"list with a selector", []string{"--store", store, "--list", "--jti", "a"}, 2, "", "--list takes no", nil},
		{"argument", []string{"--store", store, "--jti", "a", "extra"}, 2, "", "no arguments", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", append([]string{"revoke"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tc.code, tc.out, tc.err)
			}
			if tc.tok == nil {
				return
			}
			// Another instance refuses it within a second; a control stands.
			deadline := time.Now().Add(time.Second)
			for err := m.Check(ctx, *tc.tok); !errors.Is(err, revocation.ErrRevoked); err = m.Check(ctx, *tc.tok) {
				if time.Now().After(deadline) {
					t.Fatalf("after 1 s the instance answers %v", err)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := m.Check(ctx, revocation.Token{JTI: "control", Subject: "control", IssuedAt: time.Now()}); err != nil {
				t.Fatalf("control: %v", err)
			}
		})
	}

	code, out, errOut := runCmd(t, "", "revoke", "--store", store, "--list")
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, "jti\tj-1\t") || !strings.Contains(out, "username\talice\t") {
		t.Fatalf("--list: exit %d, %q, %q", code, out, errOut)
	}

	t.Setenv(storeEnv, store)
	if code, _, errOut := runCmd(t, "", "revoke", "--jti", "from-env"); code != 0 {
		t.Fatalf("store from the environment: exit %d, %s", code, errOut)
	}

	// The store refuses the write: exit 1.
	if _, err := cl.Do(ctx, "CONFIG", "SET", "min-replicas-to-write", "1"); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, "", "revoke", "--store", store, "--jti", "x"); code != 1 || !strings.Contains(errOut, "refused") {
		t.Fatalf("refused write: exit %d, %s", code, errOut)
	}
	if _, err := cl.Do(ctx, "CONFIG", "SET", "min-replicas-to-write", "0"); err != nil {
		t.Fatal(err)
	}

	// Nothing listens: exit 3.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "redis://" + l.Addr().String() + "/0"
	l.Close()
	for _, args := range [][]string{{"--jti", "x"}, {"--list"}} {
		if code, _, errOut := runCmd(t, "", append([]string{"revoke", "--store", dead, "--timeout", "2s"}, args...)...); code != 3 || !strings.Contains(errOut, "unavailable") {
			t.Fatalf("%v, store down: exit %d, %s", args, code, errOut)
		}
	}
}
