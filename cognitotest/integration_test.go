package cognitotest_test

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// newVerifier builds a cognitojwt verifier from iss.Config(use), edited by
// edit when not nil.
func newVerifier(t *testing.T, iss *cognitotest.Issuer, use cognitojwt.TokenUse, edit func(*cognitojwt.Config)) *cognitojwt.Verifier {
	t.Helper()
	cfg := iss.Config(use)
	if edit != nil {
		edit(&cfg)
	}
	v, err := cognitojwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestProtectedHandler is what a user's test looks like.
func TestProtectedHandler(t *testing.T) {
	iss := cognitotest.NewIssuer(t, rsaKey(t, 0))
	v := newVerifier(t, iss, cognitojwt.AccessToken, func(c *cognitojwt.Config) { c.Groups = []string{"admin"} })
	api := requireToken(v, func(w http.ResponseWriter, r *http.Request, c *cognitojwt.Claims) {
		w.Write([]byte("hello " + c.Username))
	})
	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"admin", iss.AccessToken(cognitotest.TokenOptions{Username: "ann", Groups: []string{"admin"}}), 200},
		{"no token", "", 401},
		{"not in group", iss.AccessToken(), 401},
		{"expired", iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin"}, Expired: true}), 401},
		{"ID token", iss.IDToken(cognitotest.TokenOptions{Groups: []string{"admin"}}), 401},
		{"tampered", iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin"}}) + "A", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := call(api, tt.token)
			if status != tt.status {
				t.Fatalf("status %d (%s), want %d", status, body, tt.status)
			}
			if status == 200 && body != "hello ann" {
				t.Fatalf("body %q", body)
			}
		})
	}
}

// TestVerifierAcceptsMinted runs every kind of minted token through
// cognitojwt verifiers of each token use, checking what is accepted,
// what is refused with which error, and the typed claims.
func TestVerifierAcceptsMinted(t *testing.T) {
	iss := newIssuer(t)
	ctx := context.Background()
	access := newVerifier(t, iss, cognitojwt.AccessToken, nil)
	id := newVerifier(t, iss, cognitojwt.IDToken, nil)
	anyUse := newVerifier(t, iss, cognitojwt.AnyTokenUse, nil)
	if err := access.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}

	opts := cognitotest.TokenOptions{Username: "dana", Groups: []string{"g1"}, OriginJTI: "same-origin", EventID: "same-event"}
	accessTok, idTok, m2mTok := iss.AccessToken(opts), iss.IDToken(opts), iss.M2MToken()
	tests := []struct {
		name  string
		v     *cognitojwt.Verifier
		token string
		want  error // nil: accepted
	}{
		{"access by access", access, accessTok, nil},
		{"M2M by access", access, m2mTok, nil},
		{"ID by access", access, idTok, cognitojwt.ErrInvalidTokenUse},
		{"ID by id", id, idTok, nil},
		{"access by id", id, accessTok, cognitojwt.ErrInvalidTokenUse},
		{"M2M by id", id, m2mTok, cognitojwt.ErrInvalidTokenUse},
		{"access by any", anyUse, accessTok, nil},
		{"ID by any", anyUse, idTok, nil},
		{"M2M by any", anyUse, m2mTok, nil},
		{"expired access", access, iss.AccessToken(cognitotest.TokenOptions{Expired: true}), cognitojwt.ErrExpired},
		{"expired ID", id, iss.IDToken(cognitotest.TokenOptions{Expired: true}), cognitojwt.ErrExpired},
		{"expired M2M", access, iss.M2MToken(cognitotest.TokenOptions{Expired: true}), cognitojwt.ErrExpired},
		{"not yet valid", access, iss.AccessToken(cognitotest.TokenOptions{NotBefore: time.Now().Add(time.Hour)}), cognitojwt.ErrNotYetValid},
		{"other client", access, iss.AccessToken(cognitotest.TokenOptions{ClientID: "someoneelse"}), cognitojwt.ErrInvalidClient},
		{"other client ID", id, iss.IDToken(cognitotest.TokenOptions{ClientID: "someoneelse"}), cognitojwt.ErrInvalidClient},
		{"wrong issuer", access, iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"}}), cognitojwt.ErrInvalidIssuer},
		{"no exp", access, iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"exp": nil}}), cognitojwt.ErrMissingClaim},
		{"unknown kid", access, iss.AccessToken(cognitotest.TokenOptions{KeyID: "unknown+kid/0="}), cognitojwt.ErrKeyNotFound},
		{"foreign key", access, iss.AccessToken(cognitotest.TokenOptions{Signer: rsaKey(t, 3), KeyID: iss.KeyIDs()[0]}), cognitojwt.ErrInvalidSignature},
		{"alg none header", access, iss.AccessToken(cognitotest.TokenOptions{Header: map[string]any{"alg": "none"}}), cognitojwt.ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.Verify(ctx, tt.token)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}

	// Typed claims of each kind.
	ac, err := access.Verify(ctx, accessTok)
	if err != nil {
		t.Fatal(err)
	}
	ic, err := id.Verify(ctx, idTok)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := access.Verify(ctx, m2mTok)
	if err != nil {
		t.Fatal(err)
	}
	sub := iss.Subject("dana")
	checks := []struct {
		name      string
		got, want any
	}{
		{"access Issuer", ac.Issuer, iss.IssuerURL()},
		{"access Subject", ac.Subject, sub},
		{"access Username", ac.Username, "dana"},
		{"access TokenUse", ac.TokenUse, cognitojwt.AccessToken},
		{"access ClientID", ac.ClientID, iss.ClientID},
		{"access Audience", len(ac.Audience), 0},
		{"access Scopes", strings.Join(ac.Scopes, " "), cognitotest.DefaultUserScope},
		{"access Groups", strings.Join(ac.Groups, ","), "g1"},
		{"access OriginJTI", ac.OriginJTI, "same-origin"},
		{"access EventID", ac.EventID, "same-event"},
		{"access IsMachine", ac.IsMachine(), false},
		{"access AuthTime", ac.AuthTime.Equal(ac.IssuedAt), true},
		{"access lifetime", ac.ExpiresAt.Sub(ac.IssuedAt), time.Hour},
		{"ID Subject", ic.Subject, sub},
		{"ID Username", ic.Username, "dana"},
		{"ID TokenUse", ic.TokenUse, cognitojwt.IDToken},
		{"ID ClientID", ic.ClientID, iss.ClientID},
		{"ID Audience", strings.Join(ic.Audience, ","), iss.ClientID},
		{"ID Groups", ic.InGroup("g1"), true},
		{"ID OriginJTI", ic.OriginJTI, "same-origin"},
		{"M2M IsMachine", mc.IsMachine(), true},
		{"M2M Subject", mc.Subject, iss.ClientID},
		{"M2M Username", mc.Username, ""},
		{"M2M Groups", len(mc.Groups), 0},
		{"M2M Scopes", strings.Join(mc.Scopes, " "), "test-api/read test-api/write"},
		{"M2M OriginJTI", mc.OriginJTI, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestVerifierClock checks that the issuer's clock reaches the verifier
// through Config: tokens minted at a frozen time in the past verify, and
// expire when the clock moves.
func TestVerifierClock(t *testing.T) {
	iss := newIssuer(t)
	var now atomic.Int64
	now.Store(time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC).Unix())
	iss.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	v := newVerifier(t, iss, cognitojwt.AccessToken, nil)
	token := iss.AccessToken()
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if c.IssuedAt.Year() != 2021 {
		t.Fatalf("iat %v", c.IssuedAt)
	}
	now.Add(int64((2 * time.Hour).Seconds()))
	if _, err := v.Verify(context.Background(), token); !errors.Is(err, cognitojwt.ErrExpired) {
		t.Fatalf("after 2h on the issuer's clock: %v, want ErrExpired", err)
	}
}

// TestVerifierRotationAndOutage drives a verifier through a key rotation
// and a JWKS outage.
func TestVerifierRotationAndOutage(t *testing.T) {
	ctx := context.Background()
	t.Run("rotation", func(t *testing.T) {
		iss := newIssuer(t, rsaKey(t, 0))
		v := newVerifier(t, iss, cognitojwt.AccessToken, nil)
		old := iss.AccessToken()
		if _, err := v.Verify(ctx, old); err != nil {
			t.Fatal(err)
		}
		if _, err := iss.RotateTo(rsaKey(t, 1)); err != nil {
			t.Fatal(err)
		}
		before := iss.JWKSRequests()
		if _, err := v.Verify(ctx, iss.AccessToken()); err != nil {
			t.Fatalf("token of the new key: %v", err)
		}
		if iss.JWKSRequests() != before+1 {
			t.Errorf("new kid caused %d fetches, want 1", iss.JWKSRequests()-before)
		}
		if _, err := v.Verify(ctx, old); err != nil {
			t.Fatalf("token of the old key during rotation: %v", err)
		}
	})
	t.Run("outage", func(t *testing.T) {
		iss := newIssuer(t)
		v := newVerifier(t, iss, cognitojwt.AccessToken, nil)
		iss.SetJWKSStatus(http.StatusServiceUnavailable)
		token := iss.AccessToken()
		if _, err := v.Verify(ctx, token); !errors.Is(err, cognitojwt.ErrKeysUnavailable) {
			t.Fatalf("during outage: %v, want ErrKeysUnavailable", err)
		}
		if iss.JWKSRequests() == 0 {
			t.Fatal("no JWKS request counted")
		}
		iss.SetJWKSStatus(0)
		var err error
		for range 50 { // the verifier backs off after a failure
			if _, err = v.Verify(ctx, token); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("after the outage: %v", err)
		}
	})
	t.Run("hydrate during outage", func(t *testing.T) {
		iss := newIssuer(t)
		iss.SetJWKSBody([]byte("<html>maintenance</html>"))
		v := newVerifier(t, iss, cognitojwt.AccessToken, nil)
		if err := v.Hydrate(ctx); err == nil {
			t.Fatal("Hydrate succeeded against a broken key set")
		}
	})
}

// TestVerifierOtherKeys checks Config's Algorithms for non-RSA issuers,
// and two pools in one verifier.
func TestVerifierOtherKeys(t *testing.T) {
	ctx := context.Background()
	ec := newIssuer(t, ecKey(t, elliptic.P256()))
	cfg := ec.Config(cognitojwt.AnyTokenUse)
	if len(cfg.Algorithms) != 1 || cfg.Algorithms[0] != "ES256" {
		t.Fatalf("Algorithms = %v", cfg.Algorithms)
	}
	if cfg := newIssuer(t).Config(cognitojwt.AccessToken); cfg.Algorithms != nil {
		t.Fatalf("RS256 issuer: Algorithms = %v, want nil (the Cognito default)", cfg.Algorithms)
	}

	rs := cognitotest.NewUnstartedIssuer()
	rs.PoolID = "eu-west-1_Second"
	rs.ClientID = "secondclient"
	rs.Signers = []crypto.Signer{rsaKey(t, 1)}
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Close)

	multi, err := cognitojwt.NewMulti([]cognitojwt.Config{cfg, rs.Config(cognitojwt.AnyTokenUse)})
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{ec.AccessToken(), ec.IDToken(), rs.AccessToken(), rs.M2MToken()} {
		if _, err := multi.Verify(ctx, token); err != nil {
			t.Errorf("multi: %v", err)
		}
	}
	// A token of the second pool's client, signed by the first pool's key.
	forged := ec.AccessToken(cognitotest.TokenOptions{ClientID: "secondclient", Claims: map[string]any{"iss": rs.IssuerURL()}})
	if _, err := multi.Verify(ctx, forged); err == nil {
		t.Error("a token signed by another pool's key verified")
	}
}

func TestConfigBeforeStart(t *testing.T) {
	iss := cognitotest.NewUnstartedIssuer()
	iss.Signers = []crypto.Signer{rsaKey(t, 0)}
	if _, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken)); err == nil {
		t.Error("cognitojwt.New accepted the Config of an issuer that is not started")
	}
	// A Handler without URL has no issuer URL either.
	if _, err := iss.Handler(); err != nil {
		t.Fatal(err)
	}
	cfg := iss.Config(cognitojwt.AccessToken)
	if _, err := cognitojwt.New(cfg); err == nil || !slices.Contains(cfg.ClientIDs, cognitotest.DefaultClientID) {
		t.Errorf("Config without URL: New error %v, ClientIDs %q", err, cfg.ClientIDs)
	}
}
