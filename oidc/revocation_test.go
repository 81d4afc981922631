package oidc

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/revocation"
)

type checkerFunc func(context.Context, revocation.Token) error

func (f checkerFunc) Check(ctx context.Context, t revocation.Token) error { return f(ctx, t) }

func TestVerifyRevocation(t *testing.T) {
	ti := newTestIssuer(t)
	ctx := context.Background()
	store := revocation.NewMemory(revocation.MemoryOptions{Now: func() time.Time { return t0 }})
	cfg := ti.config(t0)
	cfg.Revocation = store
	checks := 0
	cfg.Check = func(context.Context, *Claims) error { checks++; return nil }
	v := mustNew(t, cfg)
	tok := ti.token(t, with(ti.claimsAt(t0), map[string]any{"origin_jti": "o-1"}))
	other := ti.token(t, with(ti.claimsAt(t0), map[string]any{"sub": "user-2", "jti": "j2"}))
	if _, err := v.Verify(ctx, tok); err != nil { // first sight: cached
		t.Fatal(err)
	}
	for _, tc := range []struct {
		entry revocation.Entry
	}{
		{revocation.Entry{Kind: revocation.JTI, Value: "j1", At: t0}},
		{revocation.Entry{Kind: revocation.OriginJTI, Value: "o-1", At: t0}},
		{revocation.Entry{Kind: revocation.Subject, Value: "user-1", At: t0}},
	} {
		if err := store.Replace([]revocation.Entry{tc.entry}); err != nil {
			t.Fatal(err)
		}
		n := checks
		_, err := v.Verify(ctx, tok) // a cache hit must still be refused
		if !errors.Is(err, ErrRevoked) || errors.Is(err, ErrCheckFailed) {
			t.Fatalf("%s: Verify = %v, want ErrRevoked", tc.entry.Kind, err)
		}
		if checks != n {
			t.Fatalf("%s: Check ran for a revoked token", tc.entry.Kind)
		}
		if _, err := v.Verify(ctx, other); err != nil {
			t.Fatalf("%s: control: %v", tc.entry.Kind, err)
		}
	}

	// An outage is returned as it is; a rule that fails first still wins.
	cfg.Revocation = checkerFunc(func(context.Context, revocation.Token) error {
		return fmt.Errorf("%w: connection refused", revocation.ErrUnavailable)
	})
	v = mustNew(t, cfg)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevocationUnavailable) || errors.Is(err, ErrCheckFailed) {
		t.Fatalf("Verify with the store down = %v", err)
	}
	wrongAud := ti.token(t, with(ti.claimsAt(t0), map[string]any{"aud": "someone-else"}))
	if _, err := v.Verify(ctx, wrongAud); !errors.Is(err, ErrInvalidAudience) {
		t.Fatalf("Verify(wrong aud) with the store down = %v, want ErrInvalidAudience", err)
	}
}
