package oidc

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

func mustNew(t testing.TB, cfgs ...Config) *Verifier {
	t.Helper()
	v, err := NewMulti(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyValid(t *testing.T) {
	ti := newTestIssuer(t)
	v := mustNew(t, ti.config(t0))
	claims := with(ti.claimsAt(t0), map[string]any{"scope": "read write", "groups": []string{"admin"}, "custom:tenant": "t1"})
	c, err := v.Verify(context.Background(), ti.token(t, claims))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != ti.srv.URL || c.Subject != "user-1" || c.JTI != "j1" || len(c.Audience) != 1 || c.Audience[0] != "api" {
		t.Errorf("claims = %+v", c)
	}
	if !c.ExpiresAt.Equal(t0.Add(time.Hour)) || !c.IssuedAt.Equal(t0) {
		t.Errorf("times exp=%v iat=%v", c.ExpiresAt, c.IssuedAt)
	}
	if !c.HasScope("write") || c.HasScope("wri") || !c.InGroup("admin") || c.InGroup("Admin") {
		t.Errorf("scopes=%q groups=%q", c.Scopes, c.Groups)
	}
	if c.KeyID() != "rsa1" || c.Algorithm() != jws.RS256 {
		t.Errorf("kid=%q alg=%q", c.KeyID(), c.Algorithm())
	}
	var custom struct {
		Tenant string `json:"custom:tenant"`
	}
	if err := c.Decode(&custom); err != nil || custom.Tenant != "t1" {
		t.Errorf("Decode = %+v, %v", custom, err)
	}
	if v, ok := c.Get("custom:tenant"); !ok || v.Raw() != `"t1"` {
		t.Errorf("Get = %q %v", v.Raw(), ok)
	}
	if !strings.Contains(string(c.Raw()), `"custom:tenant":"t1"`) {
		t.Errorf("Raw = %s", c.Raw())
	}
}

// TestRules has one row per rule; each row is a token that must be
// refused with the given error by an otherwise accepting verifier, or
// accepted (want nil) to show where each rule's boundary is.
func TestRules(t *testing.T) {
	ti := newTestIssuer(t)
	base := ti.claimsAt(t0)
	tests := []struct {
		name   string
		cfg    func(*Config)
		claims map[string]any
		token  func() string // overrides claims
		want   error
	}{
		{name: "valid", claims: base},

		// iss
		{name: "unknown issuer", claims: with(base, map[string]any{"iss": "https://evil.example"}), want: ErrInvalidIssuer},
		{name: "issuer with trailing slash", claims: with(base, map[string]any{"iss": ti.srv.URL + "/"}), want: ErrInvalidIssuer},
		{name: "issuer case differs", claims: with(base, map[string]any{"iss": strings.ToUpper(ti.srv.URL)}), want: ErrInvalidIssuer},
		{name: "no issuer", claims: with(base, map[string]any{"iss": nil}), want: ErrInvalidIssuer},

		// aud
		{name: "aud array any-of", claims: with(base, map[string]any{"aud": []string{"other", "api"}}), want: nil},
		{name: "aud no match", claims: with(base, map[string]any{"aud": "other"}), want: ErrInvalidAudience},
		{name: "aud prefix is no match", claims: with(base, map[string]any{"aud": "ap"}), want: ErrInvalidAudience},
		{name: "aud superstring is no match", claims: with(base, map[string]any{"aud": "api2"}), want: ErrInvalidAudience},
		{name: "aud case differs", claims: with(base, map[string]any{"aud": "API"}), want: ErrInvalidAudience},
		{name: "aud empty array", claims: with(base, map[string]any{"aud": []string{}}), want: ErrMalformed},
		{name: "aud empty string", claims: with(base, map[string]any{"aud": ""}), want: ErrInvalidAudience},
		{name: "aud missing", claims: with(base, map[string]any{"aud": nil}), want: ErrInvalidAudience},
		{name: "aud missing, any audience", cfg: func(c *Config) { c.AllowAnyAudience = true }, claims: with(base, map[string]any{"aud": nil}), want: nil},

		// exp, nbf, iat
		{name: "exp missing", claims: with(base, map[string]any{"exp": nil}), want: ErrMissingClaim},
		{name: "expired beyond leeway", claims: with(base, map[string]any{"exp": t0.Add(-DefaultLeeway - time.Second).Unix()}), want: ErrExpired},
		{name: "expired exactly at leeway", claims: with(base, map[string]any{"exp": t0.Add(-DefaultLeeway).Unix()}), want: ErrExpired},
		{name: "expired within leeway", claims: with(base, map[string]any{"exp": t0.Add(-DefaultLeeway + time.Second).Unix()}), want: nil},
		{name: "expired, no leeway", cfg: func(c *Config) { c.Leeway = -1 }, claims: with(base, map[string]any{"exp": t0.Unix()}), want: ErrExpired},
		{name: "expired, large leeway", cfg: func(c *Config) { c.Leeway = time.Minute }, claims: with(base, map[string]any{"exp": t0.Add(-30 * time.Second).Unix()}), want: nil},
		{name: "exp as string", claims: with(base, map[string]any{"exp": "2000000000"}), want: ErrMalformed},
		{name: "nbf future", claims: with(base, map[string]any{"nbf": t0.Add(time.Minute).Unix()}), want: ErrNotYetValid},
		{name: "nbf within leeway", claims: with(base, map[string]any{"nbf": t0.Add(DefaultLeeway).Unix()}), want: nil},
		{name: "iat future", claims: with(base, map[string]any{"iat": t0.Add(time.Minute).Unix()}), want: ErrNotYetValid},
		{name: "iat within leeway", claims: with(base, map[string]any{"iat": t0.Add(DefaultLeeway).Unix()}), want: nil},
		{name: "max age exceeded", cfg: func(c *Config) { c.MaxAge = time.Minute }, claims: with(base, map[string]any{"iat": t0.Add(-2 * time.Minute).Unix()}), want: ErrExpired},
		{name: "max age kept", cfg: func(c *Config) { c.MaxAge = time.Minute }, claims: with(base, map[string]any{"iat": t0.Add(-time.Minute).Unix()}), want: nil},
		{name: "max age, no iat", cfg: func(c *Config) { c.MaxAge = time.Minute }, claims: with(base, map[string]any{"iat": nil}), want: ErrMissingClaim},

		// algorithm and signature
		{name: "alg not allowed", cfg: func(c *Config) { c.Algorithms = []jws.Algorithm{jws.ES256} }, claims: base, want: ErrUnsupportedAlgorithm},
		{name: "ES256 key", token: func() string {
			return sign(t, jws.ES256, ecKey(), map[string]any{"alg": "ES256", "kid": "ec1"}, base)
		}},
		{name: "RS256 header on EC key", token: func() string {
			return sign(t, jws.RS256, rsaKey(), map[string]any{"alg": "RS256", "kid": "ec1"}, base)
		}, want: ErrInvalidKey},
		{name: "unknown kid", token: func() string {
			return sign(t, jws.RS256, rsaKey(), map[string]any{"alg": "RS256", "kid": "nope"}, base)
		}, want: ErrKeyNotFound},
		{name: "signed by another key", token: func() string {
			return sign(t, jws.RS256, rsaKB(), map[string]any{"alg": "RS256", "kid": "rsa1"}, base)
		}, want: ErrInvalidSignature},
		{name: "payload swapped", token: func() string {
			a := strings.Split(ti.token(t, base), ".")
			b := strings.Split(ti.token(t, with(base, map[string]any{"sub": "admin"})), ".")
			return a[0] + "." + b[1] + "." + a[2]
		}, want: ErrInvalidSignature},
		{name: "alg none", token: func() string {
			a := strings.Split(ti.token(t, base), ".")
			return "eyJhbGciOiJub25lIn0." + a[1] + "."
		}, want: ErrMalformed},
		{name: "alg none with signature", token: func() string {
			a := strings.Split(ti.token(t, base), ".")
			return "eyJhbGciOiJub25lIn0." + a[1] + "." + a[2]
		}, want: jws.ErrAlgNone},
		{name: "HS256 with the public key as secret", token: func() string {
			a := strings.Split(ti.token(t, base), ".")
			return "eyJhbGciOiJIUzI1NiIsImtpZCI6InJzYTEifQ." + a[1] + "." + a[2]
		}, want: jws.ErrSymmetricAlgorithm},

		// required claims, scopes, groups
		{name: "required claim present", cfg: func(c *Config) { c.RequiredClaims = []string{"jti"} }, claims: base},
		{name: "required claim missing", cfg: func(c *Config) { c.RequiredClaims = []string{"email"} }, claims: base, want: ErrMissingClaim},
		{name: "scope any-of", cfg: func(c *Config) { c.Scopes = []string{"a", "b"} }, claims: with(base, map[string]any{"scope": "x b"}), want: nil},
		{name: "scope none", cfg: func(c *Config) { c.Scopes = []string{"a", "b"} }, claims: with(base, map[string]any{"scope": "x y"}), want: ErrMissingScope},
		{name: "scope missing", cfg: func(c *Config) { c.Scopes = []string{"a"} }, claims: base, want: ErrMissingScope},
		{name: "scope all-of", cfg: func(c *Config) { c.Scopes, c.AllScopes = []string{"a", "b"}, true }, claims: with(base, map[string]any{"scope": "b a"}), want: nil},
		{name: "scope all-of partial", cfg: func(c *Config) { c.Scopes, c.AllScopes = []string{"a", "b"}, true }, claims: with(base, map[string]any{"scope": "a"}), want: ErrMissingScope},
		{name: "scope substring", cfg: func(c *Config) { c.Scopes = []string{"read"} }, claims: with(base, map[string]any{"scope": "readonly"}), want: ErrMissingScope},
		{name: "scp string (Entra)", cfg: func(c *Config) { c.Scopes, c.ScopeClaim = []string{"read"}, "scp" }, claims: with(base, map[string]any{"scp": "read write"}), want: nil},
		{name: "scp array (Okta)", cfg: func(c *Config) { c.Scopes, c.ScopeClaim = []string{"read"}, "scp" }, claims: with(base, map[string]any{"scp": []string{"read"}}), want: nil},
		{name: "scp not read unless configured", cfg: func(c *Config) { c.Scopes = []string{"read"} }, claims: with(base, map[string]any{"scp": "read write"}), want: ErrMissingScope},
		{name: "scope not read when scp is configured", cfg: func(c *Config) { c.Scopes, c.ScopeClaim = []string{"read"}, "scp" }, claims: with(base, map[string]any{"scope": "read"}), want: ErrMissingScope},
		{name: "scp of the wrong type", cfg: func(c *Config) { c.ScopeClaim = "scp" }, claims: with(base, map[string]any{"scp": 7}), want: ErrInvalidClaim},
		{name: "scope split on U+0020 only", cfg: func(c *Config) { c.Scopes = []string{"b"} }, claims: with(base, map[string]any{"scope": "a\u00a0b"}), want: ErrMissingScope},
		{name: "scope split on U+0020", cfg: func(c *Config) { c.Scopes = []string{"b"} }, claims: with(base, map[string]any{"scope": "a  b "}), want: nil},
		{name: "scope wrong type", claims: with(base, map[string]any{"scope": []string{"read"}}), want: ErrInvalidClaim},
		{name: "group any-of", cfg: func(c *Config) { c.Groups = []string{"admin"} }, claims: with(base, map[string]any{"groups": []string{"users", "admin"}}), want: nil},
		{name: "group missing", cfg: func(c *Config) { c.Groups = []string{"admin"} }, claims: with(base, map[string]any{"groups": []string{"users"}}), want: ErrMissingGroup},
		{name: "group all-of partial", cfg: func(c *Config) { c.Groups, c.AllGroups = []string{"a", "b"}, true }, claims: with(base, map[string]any{"groups": []string{"a"}}), want: ErrMissingGroup},
		{name: "group from roles claim", cfg: func(c *Config) { c.Groups, c.GroupsClaim = []string{"admin"}, "roles" }, claims: with(base, map[string]any{"roles": "admin", "groups": []string{"x"}}), want: nil},
		{name: "groups wrong type", claims: with(base, map[string]any{"groups": 7}), want: ErrInvalidClaim},

		// the check
		{name: "check refuses", cfg: func(c *Config) {
			c.Check = func(_ context.Context, c *Claims) error { return errTenant }
		}, claims: base, want: errTenant},
		{name: "check accepts", cfg: func(c *Config) {
			c.Check = func(_ context.Context, c *Claims) error { return nil }
		}, claims: base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ti.config(t0)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			v := mustNew(t, cfg)
			token := ""
			if tt.token != nil {
				token = tt.token()
			} else {
				token = ti.token(t, tt.claims)
			}
			c, err := v.Verify(context.Background(), token)
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

var errTenant = errors.New("tenant suspended")

func TestCheckRunsLastAndWraps(t *testing.T) {
	ti := newTestIssuer(t)
	called := 0
	cfg := ti.config(t0)
	cfg.Check = func(_ context.Context, c *Claims) error {
		called++
		if c.Subject == "blocked" {
			return errTenant
		}
		return nil
	}
	v := mustNew(t, cfg)
	_, err := v.Verify(context.Background(), ti.token(t, with(ti.claimsAt(t0), map[string]any{"exp": t0.Add(-time.Hour).Unix()})))
	if !errors.Is(err, ErrExpired) || called != 0 {
		t.Fatalf("check ran on an expired token (called %d): %v", called, err)
	}
	_, err = v.Verify(context.Background(), ti.token(t, with(ti.claimsAt(t0), map[string]any{"sub": "blocked"})))
	if !errors.Is(err, ErrCheckFailed) || !errors.Is(err, errTenant) || called != 1 {
		t.Fatalf("err = %v, called %d", err, called)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not a ValidationError: %T", err)
	}
}

func TestErrorClaimsOptIn(t *testing.T) {
	ti := newTestIssuer(t)
	expired := ti.token(t, with(ti.claimsAt(t0), map[string]any{"exp": t0.Add(-time.Hour).Unix()}))
	for _, optIn := range []bool{false, true} {
		cfg := ti.config(t0)
		cfg.ErrorClaims = optIn
		_, err := mustNew(t, cfg).Verify(context.Background(), expired)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Claim != "exp" || !errors.Is(err, ErrExpired) {
			t.Fatalf("err = %v", err)
		}
		if got := ve.Claims != nil; got != optIn {
			t.Fatalf("ErrorClaims=%v: claims attached = %v", optIn, got)
		}
		if optIn && ve.Claims.Subject != "user-1" {
			t.Errorf("claims subject = %q", ve.Claims.Subject)
		}
	}
	// A token whose signature fails never exposes its claims.
	cfg := ti.config(t0)
	cfg.ErrorClaims = true
	forged := sign(t, jws.RS256, rsaKB(), map[string]any{"alg": "RS256", "kid": "rsa1"}, ti.claimsAt(t0))
	_, err := mustNew(t, cfg).Verify(context.Background(), forged)
	var ve *ValidationError
	if errors.As(err, &ve) {
		t.Fatalf("a forged token produced a ValidationError: %v", err)
	}
}

func TestUnknownIssuerFetchesNothing(t *testing.T) {
	ti := newTestIssuer(t)
	v := mustNew(t, ti.config(t0))
	for range 50 {
		_, err := v.Verify(context.Background(), ti.token(t, with(ti.claimsAt(t0), map[string]any{"iss": "https://attacker.example"})))
		if !errors.Is(err, ErrInvalidIssuer) {
			t.Fatal(err)
		}
	}
	if n := ti.jwksHits.Load(); n != 0 {
		t.Fatalf("%d JWKS fetches for tokens of an unknown issuer", n)
	}
}

func TestMultiIssuer(t *testing.T) {
	a, b := newTestIssuer(t), newTestIssuer(t)
	b.setKeys(map[string]crypto.Signer{"rsaB": rsaKB()})
	v := mustNew(t, a.config(t0), b.config(t0))
	if _, err := v.Verify(context.Background(), a.token(t, a.claimsAt(t0))); err != nil {
		t.Fatalf("issuer A: %v", err)
	}
	tokB := sign(t, jws.RS256, rsaKB(), map[string]any{"alg": "RS256", "kid": "rsaB"}, b.claimsAt(t0))
	if _, err := v.Verify(context.Background(), tokB); err != nil {
		t.Fatalf("issuer B: %v", err)
	}
	// B's key must not vouch for a token claiming to be from A.
	cross := sign(t, jws.RS256, rsaKB(), map[string]any{"alg": "RS256", "kid": "rsaB"}, a.claimsAt(t0))
	if _, err := v.Verify(context.Background(), cross); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("cross-issuer key: %v", err)
	}
	if got := v.Issuers(); len(got) != 2 {
		t.Errorf("Issuers = %q", got)
	}
}

func TestSeveralRuleSetsForOneIssuer(t *testing.T) {
	ti := newTestIssuer(t)
	admin := ti.config(t0)
	admin.Groups = []string{"admin"}
	reader := ti.config(t0)
	reader.Scopes = []string{"read"}
	v := mustNew(t, admin, reader)
	base := ti.claimsAt(t0)
	if _, err := v.Verify(context.Background(), ti.token(t, with(base, map[string]any{"groups": []string{"admin"}}))); err != nil {
		t.Errorf("admin: %v", err)
	}
	if _, err := v.Verify(context.Background(), ti.token(t, with(base, map[string]any{"scope": "read"}))); err != nil {
		t.Errorf("reader: %v", err)
	}
	_, err := v.Verify(context.Background(), ti.token(t, base))
	if !errors.Is(err, ErrMissingGroup) {
		t.Errorf("neither: %v (want the first config's error)", err)
	}
}

func TestDiscovery(t *testing.T) {
	ti := newTestIssuer(t)
	cfg := ti.config(t0)
	cfg.JWKSURL = ""
	v := mustNew(t, cfg)
	for range 3 {
		if _, err := v.Verify(context.Background(), ti.token(t, ti.claimsAt(t0))); err != nil {
			t.Fatal(err)
		}
	}
	if n := ti.discHits.Load(); n != 1 {
		t.Errorf("%d discovery fetches, want 1", n)
	}
	if err := v.Hydrate(context.Background()); err != nil {
		t.Errorf("Hydrate: %v", err)
	}
}

func TestDiscoveryRefuses(t *testing.T) {
	tests := []struct {
		name    string
		issuer  string // what the document claims; "" = the real issuer
		jwksURI string
	}{
		{"issuer mismatch", "https://other.example", ""},
		{"issuer trailing slash", "SELF/", ""},
		{"jwks_uri plain http off loopback", "", "http://keys.example/jwks"},
		{"jwks_uri relative", "", "/jwks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := newTestIssuer(t)
			ti.docIssuer = strings.Replace(tt.issuer, "SELF", ti.srv.URL, 1)
			ti.jwksURI = tt.jwksURI
			cfg := ti.config(t0)
			cfg.JWKSURL = ""
			v := mustNew(t, cfg)
			_, err := v.Verify(context.Background(), ti.token(t, ti.claimsAt(t0)))
			if !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("err = %v", err)
			}
			if ti.jwksHits.Load() != 0 {
				t.Fatal("keys fetched from a refused document")
			}
			// A failed discovery is not retried on every request.
			v.Verify(context.Background(), ti.token(t, ti.claimsAt(t0)))
			if n := ti.discHits.Load(); n != 1 {
				t.Errorf("%d discovery fetches within the retry interval", n)
			}
		})
	}
}

func TestKeysUnavailable(t *testing.T) {
	ti := newTestIssuer(t)
	ti.jwksFail.Store(true)
	v := mustNew(t, ti.config(t0))
	_, err := v.Verify(context.Background(), ti.token(t, ti.claimsAt(t0)))
	if !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("err = %v, want ErrKeysUnavailable", err)
	}
	if err := v.Hydrate(context.Background()); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("Hydrate = %v", err)
	}
}

// The cache skips the signature on a repeat, never the rules: an expired
// cached token is refused, and a key removed from the JWKS stops vouching
// for tokens it verified before.
func TestCacheKeepsRules(t *testing.T) {
	ti := newTestIssuer(t)
	now := t0
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := ti.config(t0)
	cfg.Now = clock
	cfg.KeyOptions.MinRefetchInterval = time.Second
	v := mustNew(t, cfg)
	tok := ti.token(t, with(ti.claimsAt(t0), map[string]any{"exp": t0.Add(10 * time.Minute).Unix()}))
	for range 3 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = t0.Add(11 * time.Minute) // past exp+leeway, and past the JWKS max-age
	mu.Unlock()
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("cached expired token: %v", err)
	}

	// Key removal.
	tok2 := ti.token(t, with(ti.claimsAt(t0), map[string]any{"exp": t0.Add(time.Hour).Unix()}))
	if _, err := v.Verify(context.Background(), tok2); err != nil {
		t.Fatal(err)
	}
	ti.setKeys(map[string]crypto.Signer{"ec1": ecKey()})
	// A refresh started before the removal may still be in flight and
	// bring back the old set, fresh for its max-age; so each round moves
	// the clock past the JWKS max-age (300 s), which makes the next
	// lookup refresh again, until one refresh has seen the removal. Keys
	// past their TTL are served while the refresh runs in the background.
	tok3 := ti.token(t, with(ti.claimsAt(t0), map[string]any{"exp": t0.Add(48 * time.Hour).Unix()}))
	deadline := time.Now().Add(10 * time.Second)
	for round := 0; ; round++ {
		mu.Lock()
		now = now.Add(10 * time.Minute)
		mu.Unlock()
		_, err := v.Verify(context.Background(), tok3)
		if errors.Is(err, ErrKeyNotFound) {
			break
		}
		if err != nil || round > 200 || time.Now().After(deadline) {
			t.Fatalf("removed key still trusted after %d refreshes: %v", round, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConfigErrors(t *testing.T) {
	good := Config{Issuer: "https://issuer.example", Audiences: []string{"api"}}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no issuer", func(c *Config) { c.Issuer = "" }},
		{"relative issuer", func(c *Config) { c.Issuer = "issuer.example" }},
		{"http issuer", func(c *Config) { c.Issuer = "http://issuer.example" }},
		{"http issuer on a name that looks loopback", func(c *Config) { c.Issuer = "http://127.evil.example" }},
		{"ftp issuer", func(c *Config) { c.Issuer = "ftp://issuer.example" }},
		{"issuer with credentials", func(c *Config) { c.Issuer = "https://u:p@issuer.example" }},
		{"http JWKS URL", func(c *Config) { c.JWKSURL = "http://keys.example/jwks" }},
		{"no audience", func(c *Config) { c.Audiences = nil }},
		{"empty audience", func(c *Config) { c.Audiences = []string{""} }},
		{"unsupported algorithm", func(c *Config) { c.Algorithms = []jws.Algorithm{"HS256"} }},
		{"empty algorithms", func(c *Config) { c.Algorithms = []jws.Algorithm{} }},
		{"empty scopes", func(c *Config) { c.Scopes = []string{} }},
		{"empty groups", func(c *Config) { c.Groups = []string{} }},
		{"empty scope name", func(c *Config) { c.Scopes = []string{""} }},
		{"scope with a space", func(c *Config) { c.Scopes = []string{"a b"} }},
		{"scope with a tab", func(c *Config) { c.Scopes = []string{"a\tb"} }},
		{"scope with U+3000", func(c *Config) { c.Scopes = []string{"a\u3000b"} }},
		{"cache over the limit", func(c *Config) { c.CacheSize = maxCacheSize + 1 }},
	}
	if _, err := New(good); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			if v, err := New(cfg); err == nil || v != nil {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
	if _, err := NewMulti(nil); err == nil {
		t.Error("NewMulti(nil) accepted")
	}
	loop := Config{Issuer: "http://127.0.0.1:8080", AllowAnyAudience: true}
	if _, err := New(loop); err != nil {
		t.Errorf("loopback http refused: %v", err)
	}
	conflict := []Config{
		{Issuer: "https://i.example", AllowAnyAudience: true, JWKSURL: "https://i.example/a"},
		{Issuer: "https://i.example", AllowAnyAudience: true, JWKSURL: "https://i.example/b"},
	}
	if _, err := NewMulti(conflict); err == nil {
		t.Error("conflicting JWKS URLs for one issuer accepted")
	}
}

func TestVerifyConcurrent(t *testing.T) {
	ti := newTestIssuer(t)
	v := mustNew(t, ti.config(t0))
	good := ti.token(t, ti.claimsAt(t0))
	bad := ti.token(t, with(ti.claimsAt(t0), map[string]any{"aud": "other"}))
	forged := sign(t, jws.RS256, rsaKB(), map[string]any{"alg": "RS256", "kid": "rsa1"}, ti.claimsAt(t0))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				switch (g + i) % 3 {
				case 0:
					if _, err := v.Verify(context.Background(), good); err != nil {
						errs <- err
						return
					}
				case 1:
					if _, err := v.Verify(context.Background(), bad); !errors.Is(err, ErrInvalidAudience) {
						errs <- err
						return
					}
				case 2:
					if _, err := v.Verify(context.Background(), forged); !errors.Is(err, ErrInvalidSignature) {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := ti.jwksHits.Load(); n != 1 {
		t.Errorf("%d JWKS fetches, want 1", n)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	ti := newTestIssuer(t)
	v := mustNew(t, ti.config(t0))
	evil := strings.Repeat("\n<x>", 100)
	_, err := v.Verify(context.Background(), ti.token(t, with(ti.claimsAt(t0), map[string]any{"aud": evil})))
	if !errors.Is(err, ErrInvalidAudience) {
		t.Fatal(err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 200 {
		t.Errorf("message echoes the token: %q", msg)
	}
}
