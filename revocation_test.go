package cognitojwt_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// checkerFunc adapts a function to revocation.Checker.
type checkerFunc func(ctx context.Context, t revocation.Token) error

func (f checkerFunc) Check(ctx context.Context, t revocation.Token) error { return f(ctx, t) }

func TestVerifyRevocation(t *testing.T) {
	iss := newIssuer(t)
	ctx := context.Background()
	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", JTI: "jti-a", OriginJTI: "orig-a"})
	bob := iss.AccessToken(cognitotest.TokenOptions{Username: "bob", JTI: "jti-b", OriginJTI: "orig-b"})
	aliceID := iss.IDToken(cognitotest.TokenOptions{Username: "alice", JTI: "jti-a2", OriginJTI: "orig-a"})
	at := time.Now().Add(time.Second)

	tests := []struct {
		name  string
		entry revocation.Entry
		use   cognitojwt.TokenUse
		tok   string
		want  error
	}{
		{"jti", revocation.Entry{Kind: revocation.JTI, Value: "jti-a", At: at}, cognitojwt.AccessToken, alice, cognitojwt.ErrRevoked},
		{"jti control", revocation.Entry{Kind: revocation.JTI, Value: "jti-a", At: at}, cognitojwt.AccessToken, bob, nil},
		{"origin_jti access", revocation.Entry{Kind: revocation.OriginJTI, Value: "orig-a", At: at}, cognitojwt.AccessToken, alice, cognitojwt.ErrRevoked},
		{"origin_jti id token", revocation.Entry{Kind: revocation.OriginJTI, Value: "orig-a", At: at}, cognitojwt.IDToken, aliceID, cognitojwt.ErrRevoked},
		{"origin_jti control", revocation.Entry{Kind: revocation.OriginJTI, Value: "orig-a", At: at}, cognitojwt.AccessToken, bob, nil},
		{"sub", revocation.Entry{Kind: revocation.Subject, Value: iss.Subject("alice"), At: at}, cognitojwt.AccessToken, alice, cognitojwt.ErrRevoked},
		{"sub before the token", revocation.Entry{Kind: revocation.Subject, Value: iss.Subject("alice"), At: at.Add(-time.Hour)}, cognitojwt.AccessToken, alice, nil},
		{"username access", revocation.Entry{Kind: revocation.Username, Value: "alice", At: at}, cognitojwt.AccessToken, alice, cognitojwt.ErrRevoked},
		{"username id token", revocation.Entry{Kind: revocation.Username, Value: "alice", At: at}, cognitojwt.IDToken, aliceID, cognitojwt.ErrRevoked},
		{"username control", revocation.Entry{Kind: revocation.Username, Value: "alice", At: at}, cognitojwt.AccessToken, bob, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := revocation.NewMemory(revocation.MemoryOptions{})
			cfg := configFor(iss, tt.use)
			cfg.Revocation = store
			checked := 0
			cfg.Check = func(context.Context, *cognitojwt.Claims) error { checked++; return nil }
			v := mustNew(t, cfg)
			// First sight, then revoke, then the repeat: the cache must not answer.
			if _, err := v.Verify(ctx, tt.tok); err != nil {
				t.Fatalf("before the revocation: %v", err)
			}
			if err := store.Revoke(ctx, tt.entry); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				_, err := v.Verify(ctx, tt.tok)
				if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
					t.Fatalf("Verify = %v, want %v", err, tt.want)
				}
				if err != nil && errors.Is(err, cognitojwt.ErrCheckFailed) {
					t.Fatalf("a revocation reads as a Check failure: %v", err)
				}
			}
			if wantChecks := map[bool]int{true: 3, false: 1}[tt.want == nil]; checked != wantChecks {
				t.Fatalf("Check ran %d times, want %d (never for a revoked token)", checked, wantChecks)
			}
		})
	}
}

func TestVerifyRevocationUnavailable(t *testing.T) {
	iss := newIssuer(t)
	ctx := context.Background()
	down := checkerFunc(func(context.Context, revocation.Token) error {
		return fmt.Errorf("%w: connection refused", revocation.ErrUnavailable)
	})
	cfg := configFor(iss, cognitojwt.AccessToken)
	cfg.Revocation = down
	v := mustNew(t, cfg)
	_, err := v.Verify(ctx, iss.AccessToken(cognitotest.TokenOptions{}))
	if !errors.Is(err, cognitojwt.ErrRevocationUnavailable) || errors.Is(err, cognitojwt.ErrRevoked) || errors.Is(err, cognitojwt.ErrCheckFailed) {
		t.Fatalf("Verify = %v, want ErrRevocationUnavailable alone", err)
	}
	// The store is asked only once every rule passed: a token of another
	// client is a 401, not a 503, even while the store is down.
	other := iss.AccessToken(cognitotest.TokenOptions{ClientID: "another-client"})
	if _, err := v.Verify(ctx, other); !errors.Is(err, cognitojwt.ErrInvalidClient) {
		t.Fatalf("Verify(other client) = %v, want ErrInvalidClient", err)
	}
	// Control: the checker sees the token's claims.
	var seen revocation.Token
	cfg.Revocation = checkerFunc(func(_ context.Context, t revocation.Token) error { seen = t; return nil })
	v = mustNew(t, cfg)
	if _, err := v.Verify(ctx, iss.AccessToken(cognitotest.TokenOptions{Username: "carol", JTI: "j", OriginJTI: "o"})); err != nil {
		t.Fatal(err)
	}
	if seen.Username != "carol" || seen.JTI != "j" || seen.OriginJTI != "o" || seen.Subject != iss.Subject("carol") || seen.IssuedAt.IsZero() || seen.Issuer != iss.IssuerURL() {
		t.Fatalf("checker saw %+v", seen)
	}
}

// BenchmarkVerifyCachedWithRevocation is BenchmarkVerify's "cached" case
// with a revocation store: "none" is the same verifier without one (the
// peer), "empty" a store with no entry, "100k" a store holding 100,000
// entries, none of them the token's. "signature/100k" is the first sight
// of a token (cache off) with the same store.
func BenchmarkVerifyCachedWithRevocation(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	token := iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin"}, Scopes: []string{"openid", "orders/read"}})
	full := revocation.NewMemory(revocation.MemoryOptions{})
	for i := range 100_000 {
		if err := full.Revoke(context.Background(), revocation.Entry{Kind: revocation.Kind(1 + i%4), Value: fmt.Sprint("v", i), At: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name  string
		cache int
		store revocation.Checker
	}{
		{"none", 0, nil},
		{"empty", 0, revocation.NewMemory(revocation.MemoryOptions{})},
		{"100k", 0, full},
		{"signature/none", -1, nil},
		{"signature/100k", -1, full},
	} {
		cfg := configFor(iss, cognitojwt.AccessToken)
		cfg.CacheSize = bc.cache
		cfg.Scopes = []string{"orders/read"}
		cfg.Revocation = bc.store
		cfg.Now = nil
		v := mustNew(b, cfg)
		if err := v.Hydrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
