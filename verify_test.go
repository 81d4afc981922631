package cognitojwt_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// One key for the whole test binary: RSA generation is slow under -race.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

func newIssuer(t testing.TB) *cognitotest.Issuer {
	return cognitotest.NewIssuer(t, testKey())
}

func configFor(iss *cognitotest.Issuer, use cognitojwt.TokenUse) cognitojwt.Config {
	return cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		JWKSURL:    iss.JWKSURL(),
		TokenUse:   use,
		ClientIDs:  []string{iss.ClientID},
		Now:        iss.Now,
	}
}

func mustNew(t testing.TB, cfgs ...cognitojwt.Config) *cognitojwt.Verifier {
	t.Helper()
	v, err := cognitojwt.NewMulti(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyTokenKinds(t *testing.T) {
	iss := newIssuer(t)
	ctx := context.Background()

	access := mustNew(t, configFor(iss, cognitojwt.AccessToken))
	c, err := access.Verify(ctx, iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Groups: []string{"admin"}, Scopes: []string{"openid", "orders/read"}}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenUse != cognitojwt.AccessToken || c.Username != "alice" || c.ClientID != iss.ClientID || c.Subject != iss.Subject("alice") {
		t.Errorf("access claims = %+v", c)
	}
	if !c.InGroup("admin") || !c.HasScope("orders/read") || c.HasScope("orders") || c.IsMachine() {
		t.Errorf("groups %q scopes %q machine %v", c.Groups, c.Scopes, c.IsMachine())
	}
	if c.Audience != nil || c.OriginJTI == "" || c.EventID == "" || c.JTI == "" || c.AuthTime.IsZero() {
		t.Errorf("access claims = %+v", c)
	}

	id := mustNew(t, configFor(iss, cognitojwt.IDToken))
	c, err = id.Verify(ctx, iss.IDToken(cognitotest.TokenOptions{Username: "bob", Email: "bob@example.org"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenUse != cognitojwt.IDToken || c.Username != "bob" || c.ClientID != iss.ClientID || len(c.Audience) != 1 {
		t.Errorf("id claims = %+v", c)
	}
	if v, ok := c.Get("email"); !ok || v.Raw() != `"bob@example.org"` {
		t.Errorf("email = %v", v.Raw())
	}

	c, err = access.Verify(ctx, iss.M2MToken())
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsMachine() || c.Username != "" || c.Subject != iss.ClientID || c.Groups != nil {
		t.Errorf("m2m claims = %+v", c)
	}
}

// TestCognitoRules: one row per rule, each a token that must be refused by
// an otherwise accepting verifier, or accepted (want nil).
func TestCognitoRules(t *testing.T) {
	iss := newIssuer(t)
	other := cognitotest.NewIssuer(t, otherKey())
	ctx := context.Background()
	tests := []struct {
		name  string
		use   cognitojwt.TokenUse
		cfg   func(*cognitojwt.Config)
		token func() string
		want  error
	}{
		{name: "access", use: cognitojwt.AccessToken, token: func() string { return iss.AccessToken() }},
		{name: "id", use: cognitojwt.IDToken, token: func() string { return iss.IDToken() }},

		// token_use
		{name: "id token at access verifier", use: cognitojwt.AccessToken, token: func() string { return iss.IDToken() }, want: cognitojwt.ErrInvalidTokenUse},
		{name: "access token at id verifier", use: cognitojwt.IDToken, token: func() string { return iss.AccessToken() }, want: cognitojwt.ErrInvalidTokenUse},
		{name: "any token use takes access", use: cognitojwt.AnyTokenUse, token: func() string { return iss.AccessToken() }},
		{name: "any token use takes id", use: cognitojwt.AnyTokenUse, token: func() string { return iss.IDToken() }},
		{name: "token_use missing", use: cognitojwt.AnyTokenUse, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"token_use": nil}})
		}, want: cognitojwt.ErrInvalidTokenUse},
		{name: "token_use refresh", use: cognitojwt.AnyTokenUse, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"token_use": "refresh"}})
		}, want: cognitojwt.ErrInvalidTokenUse},
		{name: "token_use Access", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"token_use": "Access"}})
		}, want: cognitojwt.ErrInvalidTokenUse},
		{name: "token_use not a string", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"token_use": []string{"access"}}})
		}, want: cognitojwt.ErrInvalidClaim},

		// client
		{name: "access token of another client", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{ClientID: "someone-else"})
		}, want: cognitojwt.ErrInvalidClient},
		{name: "access token without client_id", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"client_id": nil}})
		}, want: cognitojwt.ErrInvalidClient},
		{name: "access token with client id only in aud", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"client_id": nil, "aud": iss.ClientID}})
		}, want: cognitojwt.ErrInvalidClient},
		{name: "access token with added aud", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"aud": "https://api.example"}})
		}},
		{name: "client_id prefix", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{ClientID: iss.ClientID[:len(iss.ClientID)-1]})
		}, want: cognitojwt.ErrInvalidClient},
		{name: "client_id not a string", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"client_id": 7}})
		}, want: cognitojwt.ErrInvalidClaim},
		{name: "any client", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.ClientIDs, c.AllowAnyClient = nil, true }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{ClientID: "someone-else"})
		}},
		{name: "id token of another client", use: cognitojwt.IDToken, token: func() string {
			return iss.IDToken(cognitotest.TokenOptions{ClientID: "someone-else"})
		}, want: cognitojwt.ErrInvalidClient},
		{name: "id token without aud", use: cognitojwt.IDToken, token: func() string {
			return iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"aud": nil}})
		}, want: cognitojwt.ErrInvalidClient},
		{name: "id token, aud any-of", use: cognitojwt.IDToken, token: func() string {
			return iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"aud": []string{"x", iss.ClientID}}})
		}},
		{name: "any token use, id of another client", use: cognitojwt.AnyTokenUse, token: func() string {
			return iss.IDToken(cognitotest.TokenOptions{ClientID: "someone-else"})
		}, want: cognitojwt.ErrInvalidClient},

		// issuer and keys
		{name: "token of another pool", use: cognitojwt.AccessToken, token: func() string { return other.AccessToken() }, want: cognitojwt.ErrInvalidIssuer},
		{name: "iss of this pool, key of another", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Signer: otherKey()})
		}, want: cognitojwt.ErrKeyNotFound},
		{name: "published kid, other key", use: cognitojwt.AccessToken, token: func() string {
			k, _ := iss.SigningKey()
			return iss.AccessToken(cognitotest.TokenOptions{Signer: otherKey(), KeyID: k.ID})
		}, want: cognitojwt.ErrInvalidSignature},
		{name: "alg none header", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Header: map[string]any{"alg": "none"}})
		}, want: cognitojwt.ErrUnsupportedAlgorithm},

		// time
		{name: "expired", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Expired: true})
		}, want: cognitojwt.ErrExpired},
		{name: "expired, large leeway", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Leeway = 2 * time.Minute }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Expired: true})
		}},
		{name: "no exp", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"exp": nil}})
		}, want: cognitojwt.ErrMissingClaim},
		{name: "nbf in the future", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{NotBefore: time.Now().Add(time.Hour)})
		}, want: cognitojwt.ErrNotYetValid},
		{name: "too old for MaxAge", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.MaxAge = time.Minute }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{IssuedAt: time.Now().Add(-10 * time.Minute)})
		}, want: cognitojwt.ErrExpired},
		{name: "auth_time not a number", use: cognitojwt.AccessToken, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"auth_time": "yesterday"}})
		}, want: cognitojwt.ErrInvalidClaim},

		// groups and scopes
		{name: "group any-of", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Groups = []string{"admin", "ops"} }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"users", "ops"}})
		}},
		{name: "group missing", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Groups = []string{"admin"} }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"users"}})
		}, want: cognitojwt.ErrMissingGroup},
		{name: "no groups at all", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Groups = []string{"admin"} }, token: func() string {
			return iss.AccessToken()
		}, want: cognitojwt.ErrMissingGroup},
		{name: "groups all-of", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Groups, c.AllGroups = []string{"a", "b"}, true }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"a"}})
		}, want: cognitojwt.ErrMissingGroup},
		{name: "group case differs", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Groups = []string{"admin"} }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"Admin"}})
		}, want: cognitojwt.ErrMissingGroup},
		{name: "scope any-of", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Scopes = []string{"orders/read", "orders/write"} }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"openid", "orders/write"}})
		}},
		{name: "scope missing", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Scopes = []string{"orders/read"} }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"openid"}})
		}, want: cognitojwt.ErrMissingScope},
		{name: "scopes all-of", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Scopes, c.AllScopes = []string{"a/r", "a/w"}, true }, token: func() string {
			return iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"a/w", "a/r"}})
		}},
		{name: "m2m scope", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Scopes = []string{"test-api/read"} }, token: func() string {
			return iss.M2MToken()
		}},
		{name: "scope required, id token at any verifier", use: cognitojwt.AnyTokenUse, cfg: func(c *cognitojwt.Config) { c.Scopes = []string{"test-api/read"} }, token: func() string {
			return iss.IDToken()
		}, want: cognitojwt.ErrMissingScope},
		{name: "token_use checked before scope", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) { c.Scopes = []string{"x/y"} }, token: func() string {
			return iss.IDToken()
		}, want: cognitojwt.ErrInvalidTokenUse},

		// the check
		{name: "check refuses", use: cognitojwt.AccessToken, cfg: func(c *cognitojwt.Config) {
			c.Check = func(_ context.Context, c *cognitojwt.Claims) error {
				if c.Username == "mallory" {
					return errBanned
				}
				return nil
			}
		}, token: func() string { return iss.AccessToken(cognitotest.TokenOptions{Username: "mallory"}) }, want: errBanned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configFor(iss, tt.use)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			v := mustNew(t, cfg)
			c, err := v.Verify(ctx, tt.token())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if c != nil {
				t.Fatal("claims returned with an error")
			}
		})
	}
}

var errBanned = errors.New("banned")

func TestCheckGetsTypedClaimsAndRunsLast(t *testing.T) {
	iss := newIssuer(t)
	var seen []string
	cfg := configFor(iss, cognitojwt.AccessToken)
	cfg.Groups = []string{"admin"}
	cfg.Check = func(_ context.Context, c *cognitojwt.Claims) error {
		seen = append(seen, c.Username)
		return errBanned
	}
	v := mustNew(t, cfg)
	if _, err := v.Verify(context.Background(), iss.AccessToken(cognitotest.TokenOptions{Username: "no-group"})); !errors.Is(err, cognitojwt.ErrMissingGroup) {
		t.Fatalf("err = %v", err)
	}
	_, err := v.Verify(context.Background(), iss.AccessToken(cognitotest.TokenOptions{Username: "carol", Groups: []string{"admin"}}))
	if !errors.Is(err, errBanned) || !errors.Is(err, cognitojwt.ErrCheckFailed) {
		t.Fatalf("err = %v", err)
	}
	if len(seen) != 1 || seen[0] != "carol" {
		t.Fatalf("check saw %q; want only carol", seen)
	}
}

func TestErrorClaims(t *testing.T) {
	iss := newIssuer(t)
	cfg := configFor(iss, cognitojwt.AccessToken)
	expired := iss.AccessToken(cognitotest.TokenOptions{Username: "dave", Expired: true})
	_, err := mustNew(t, cfg).Verify(context.Background(), expired)
	if _, ok := cognitojwt.ErrorClaims(err); ok {
		t.Fatal("claims exposed without opting in")
	}
	cfg.ErrorClaims = true
	_, err = mustNew(t, cfg).Verify(context.Background(), expired)
	c, ok := cognitojwt.ErrorClaims(err)
	if !ok || c.Username != "dave" {
		t.Fatalf("ErrorClaims = %+v, %v (err %v)", c, ok, err)
	}
	var ve *cognitojwt.ValidationError
	if !errors.As(err, &ve) || ve.Claim != "exp" {
		t.Fatalf("ValidationError = %+v", ve)
	}
}

func TestCustomClaims(t *testing.T) {
	iss := newIssuer(t)
	v := mustNew(t, configFor(iss, cognitojwt.AccessToken))
	tok := iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{
		"custom:tenant": "acme",
		"plan":          map[string]any{"tier": 3, "features": []string{"sso", "audit"}},
		"beta":          true,
		"quota":         12.5,
	}})
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	var extra struct {
		Tenant string `json:"custom:tenant"`
		Plan   struct {
			Tier     int      `json:"tier"`
			Features []string `json:"features"`
		} `json:"plan"`
		Beta  bool    `json:"beta"`
		Quota float64 `json:"quota"`
	}
	if err := c.Decode(&extra); err != nil {
		t.Fatal(err)
	}
	if extra.Tenant != "acme" || extra.Plan.Tier != 3 || len(extra.Plan.Features) != 2 || !extra.Beta || extra.Quota != 12.5 {
		t.Errorf("custom claims = %+v", extra)
	}
	if v, ok := c.Get("custom:tenant"); !ok {
		t.Error("Get custom:tenant")
	} else if s, err := v.AsString(); err != nil || s != "acme" {
		t.Errorf("custom:tenant = %q, %v", s, err)
	}
}

func TestBothIssuerForms(t *testing.T) {
	// A real pool id, with keys given directly, and tokens minted with
	// the real issuer URLs.
	iss := newIssuer(t)
	set := fetchSet(t, iss.JWKSURL())
	const pool = "eu-west-1_AbCdEfGhI"
	classic, multi, err := cognitojwt.Issuers(pool)
	if err != nil {
		t.Fatal(err)
	}
	v := mustNew(t, cognitojwt.Config{UserPoolID: pool, TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID}, Keys: oidc.StaticKeys{Set: set}})
	for _, issuer := range []string{classic, multi} {
		if _, err := v.Verify(context.Background(), iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"iss": issuer}})); err != nil {
			t.Errorf("%s: %v", issuer, err)
		}
	}
	for _, bad := range []string{
		"https://cognito-idp.eu-west-2.amazonaws.com/" + pool,
		"https://cognito-idp.eu-west-1.amazonaws.com/" + pool + "/",
		"http://cognito-idp.eu-west-1.amazonaws.com/" + pool,
		"https://cognito-idp.eu-west-1.amazonaws.com.evil.example/" + pool,
	} {
		_, err := v.Verify(context.Background(), iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"iss": bad}}))
		if !errors.Is(err, cognitojwt.ErrInvalidIssuer) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func fetchSet(t *testing.T, url string) *jwks.Set {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	set, _, err := jwks.ParseSet(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestMultiplePools(t *testing.T) {
	a := newIssuer(t)
	b := cognitotest.NewUnstartedIssuer()
	b.PoolID, b.ClientID, b.Signers = "eu-west-1_PoolB", "client-b", []crypto.Signer{otherKey()}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfgB := configFor(b, cognitojwt.AccessToken)
	cfgB.Groups = []string{"staff"}
	v := mustNew(t, configFor(a, cognitojwt.AccessToken), cfgB)
	ctx := context.Background()
	if _, err := v.Verify(ctx, a.AccessToken()); err != nil {
		t.Errorf("pool A: %v", err)
	}
	if _, err := v.Verify(ctx, b.AccessToken(cognitotest.TokenOptions{Groups: []string{"staff"}})); err != nil {
		t.Errorf("pool B: %v", err)
	}
	// Pool B's rules apply to pool B's tokens only.
	if _, err := v.Verify(ctx, b.AccessToken()); !errors.Is(err, cognitojwt.ErrMissingGroup) {
		t.Errorf("pool B without group: %v", err)
	}
	// A's client id is not valid for pool B.
	if _, err := v.Verify(ctx, b.AccessToken(cognitotest.TokenOptions{ClientID: a.ClientID, Groups: []string{"staff"}})); !errors.Is(err, cognitojwt.ErrInvalidClient) {
		t.Errorf("pool B token for A's client: %v", err)
	}
}

func TestRotationAndOutage(t *testing.T) {
	iss := newIssuer(t)
	cfg := configFor(iss, cognitojwt.AccessToken)
	var mu sync.Mutex
	now := time.Now()
	cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := mustNew(t, cfg)
	ctx := context.Background()
	old := iss.AccessToken()
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.RotateTo(otherKey()); err != nil {
		t.Fatal(err)
	}
	// A token of the new key has an unknown kid. Right after a fetch the
	// refetch waits for the minimum interval (a flood of made-up kids
	// costs one fetch per interval); after it, one refetch finds the key.
	rotated := iss.AccessToken()
	if _, err := v.Verify(ctx, rotated); !errors.Is(err, cognitojwt.ErrKeyNotFound) {
		t.Fatalf("unknown kid within the refetch interval: %v", err)
	}
	mu.Lock()
	now = now.Add(jwks.DefaultMinRefetchInterval + time.Second)
	mu.Unlock()
	if _, err := v.Verify(ctx, rotated); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatalf("old key still published: %v", err)
	}

	// Outage before anything was fetched: 503, not 401.
	down := newIssuer(t)
	down.SetJWKSStatus(http.StatusServiceUnavailable)
	_, err := mustNew(t, configFor(down, cognitojwt.AccessToken)).Verify(ctx, down.AccessToken())
	if !errors.Is(err, cognitojwt.ErrKeysUnavailable) {
		t.Fatalf("outage: %v", err)
	}

	// Outage after a fetch: cached keys keep serving.
	v2 := mustNew(t, configFor(iss, cognitojwt.AccessToken))
	if err := v2.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	iss.SetJWKSStatus(http.StatusServiceUnavailable)
	if _, err := v2.Verify(ctx, iss.AccessToken()); err != nil {
		t.Fatalf("cached keys during outage: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	iss := newIssuer(t)
	cfg := configFor(iss, cognitojwt.AccessToken)
	cfg.Groups = []string{"admin"}
	v := mustNew(t, cfg)
	tokens := []struct {
		tok  string
		want error
	}{
		{iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin"}}), nil},
		{iss.AccessToken(), cognitojwt.ErrMissingGroup},
		{iss.IDToken(), cognitojwt.ErrInvalidTokenUse},
		{iss.AccessToken(cognitotest.TokenOptions{Expired: true, Groups: []string{"admin"}}), cognitojwt.ErrExpired},
	}
	var wg sync.WaitGroup
	failures := make(chan string, 100)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				tt := tokens[(g+i)%len(tokens)]
				_, err := v.Verify(context.Background(), tt.tok)
				if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
					failures <- fmt.Sprintf("token %d: err = %v, want %v", (g+i)%len(tokens), err, tt.want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Fatal(f)
	}
	if n := iss.JWKSRequests(); n != 1 {
		t.Errorf("%d JWKS requests, want 1", n)
	}
}

func TestDecodeUnverified(t *testing.T) {
	iss := newIssuer(t)
	h, c, err := cognitojwt.DecodeUnverified(iss.AccessToken(cognitotest.TokenOptions{Username: "erin", Expired: true}))
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(c, &claims); err != nil || claims["username"] != "erin" {
		t.Errorf("claims = %s", c)
	}
	if !strings.Contains(string(h), `"alg":"RS256"`) {
		t.Errorf("header = %s", h)
	}
	if _, _, err := cognitojwt.DecodeUnverified("a.b.c"); !errors.Is(err, cognitojwt.ErrMalformed) || !strings.HasPrefix(err.Error(), "cognitojwt: malformed token") {
		t.Errorf("garbage: %v", err)
	}
}
