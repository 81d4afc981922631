package alb

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

func TestVerifyValid(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t, nil, nil)
	if !strings.Contains(tok, "=") {
		t.Fatal("fixture token is not padded")
	}
	c, err := f.v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "4b8e1e5a-3c1f-4f7e-9d2a-6a3b5c7d9e0f" || c.Email != "jane@example.com" || c.Username != "jane" {
		t.Errorf("user claims: %+v", c)
	}
	if c.Issuer != testIssuer || c.Signer != testARN || c.ClientID != testClient || c.KeyID != testKID {
		t.Errorf("header claims: %+v", c)
	}
	if !c.ExpiresAt.Equal(testNow.Add(2 * time.Minute)) {
		t.Errorf("ExpiresAt %v", c.ExpiresAt)
	}
	if v, ok := c.Get("email_verified"); !ok || v.Raw() != `"true"` {
		t.Errorf("Get(email_verified) = %q, %v", v.Raw(), ok)
	}
	var dec struct {
		Email string `json:"email"`
	}
	if err := c.Decode(&dec); err != nil || dec.Email != "jane@example.com" {
		t.Errorf("Decode: %v %+v", err, dec)
	}
	if !strings.Contains(string(c.Raw()), `"username":"jane"`) {
		t.Errorf("Raw %s", c.Raw())
	}
	// The key is cached: a second token costs no fetch.
	if _, err := f.v.Verify(context.Background(), f.token(t, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.total.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

// TestVerifyUnpadded: the signature covers the segments as sent, so an
// unpadded token signed as such is as good; a padded token with its
// padding stripped is not (its signing input changed).
func TestVerifyUnpadded(t *testing.T) {
	f := newFixture(t, nil)
	tok := mint(t, f.key, albHeader(testKID), albClaims(), false)
	if _, err := f.v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("unpadded: %v", err)
	}
	stripped := strings.ReplaceAll(f.token(t, nil, nil), "=", "")
	if _, err := f.v.Verify(context.Background(), stripped); !errors.Is(err, jws.ErrInvalidSignature) {
		t.Fatalf("stripped padded token: %v, want ErrInvalidSignature", err)
	}
}

func TestVerifyRefused(t *testing.T) {
	other := newKey(t)
	tests := []struct {
		name    string
		editH   func(map[string]any)
		editC   func(map[string]any)
		key     *ecdsa.PrivateKey
		want    error
		claim   string // ValidationError.Claim, when one is expected
		fetches int64
	}{
		{name: "unknown signer", editH: func(h map[string]any) { h["signer"] = otherARN }, want: oidc.ErrInvalidIssuer, claim: "signer"},
		{name: "no signer", editH: func(h map[string]any) { delete(h, "signer") }, want: oidc.ErrInvalidIssuer, claim: "signer"},
		{name: "signer case", editH: func(h map[string]any) { h["signer"] = strings.ToUpper(testARN) }, want: oidc.ErrInvalidIssuer, claim: "signer"},
		{name: "signer in another case-variant member", editH: func(h map[string]any) { h["Signer"] = testARN; h["signer"] = otherARN }, want: oidc.ErrInvalidIssuer, claim: "signer"},
		{name: "signer not a string", editH: func(h map[string]any) { h["signer"] = []string{testARN} }, want: jws.ErrMalformed},
		{name: "no kid", editH: func(h map[string]any) { delete(h, "kid") }, want: jws.ErrMalformed},
		{name: "kid dot-dot", editH: func(h map[string]any) { h["kid"] = ".." }, want: jws.ErrMalformed},
		{name: "kid with space", editH: func(h map[string]any) { h["kid"] = "a b" }, want: jws.ErrMalformed},
		{name: "unknown kid", editH: func(h map[string]any) { h["kid"] = "nope" }, want: jwks.ErrKeyNotFound, fetches: 1},
		{name: "wrong key", key: other, want: jws.ErrInvalidSignature, fetches: 1},
		{name: "wrong issuer", editH: func(h map[string]any) { h["iss"] = "https://evil.example" }, want: oidc.ErrInvalidIssuer, claim: "iss (header)", fetches: 1},
		{name: "no issuer", editH: func(h map[string]any) { delete(h, "iss") }, want: oidc.ErrInvalidIssuer, claim: "iss (header)", fetches: 1},
		{name: "wrong client", editH: func(h map[string]any) { h["client"] = "other" }, want: oidc.ErrInvalidAudience, claim: "client (header)", fetches: 1},
		{name: "expired header exp", editH: func(h map[string]any) { h["exp"] = testNow.Add(-time.Minute).Unix() }, want: oidc.ErrExpired, claim: "exp (header)", fetches: 1},
		{name: "header exp at leeway", editH: func(h map[string]any) { h["exp"] = testNow.Add(-DefaultLeeway).Unix() }, want: oidc.ErrExpired, claim: "exp (header)", fetches: 1},
		{name: "no header exp", editH: func(h map[string]any) { delete(h, "exp") }, want: oidc.ErrMissingClaim, claim: "exp (header)", fetches: 1},
		{name: "header exp a string", editH: func(h map[string]any) { h["exp"] = fmt.Sprint(testNow.Add(time.Hour).Unix()) }, want: jws.ErrMalformed},
		{name: "expired payload exp", editC: func(c map[string]any) { c["exp"] = testNow.Add(-time.Minute).Unix() }, want: oidc.ErrExpired, claim: "exp", fetches: 1},
		{name: "future payload nbf", editC: func(c map[string]any) { c["nbf"] = testNow.Add(time.Minute).Unix() }, want: oidc.ErrNotYetValid, claim: "nbf", fetches: 1},
		{name: "email not a string", editC: func(c map[string]any) { c["email"] = 1 }, want: oidc.ErrInvalidClaim, claim: "email", fetches: 1},
		{name: "RS256", editH: func(h map[string]any) { h["alg"] = "RS256" }, want: jws.ErrUnsupportedAlgorithm},
		{name: "HS256", editH: func(h map[string]any) { h["alg"] = "HS256" }, want: jws.ErrSymmetricAlgorithm},
		{name: "none", editH: func(h map[string]any) { h["alg"] = "none" }, want: jws.ErrAlgNone},
		{name: "ES384", editH: func(h map[string]any) { h["alg"] = "ES384" }, want: jws.ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			h, c := albHeader(testKID), albClaims()
			if tt.editH != nil {
				tt.editH(h)
			}
			if tt.editC != nil {
				tt.editC(c)
			}
			key := f.key
			if tt.key != nil {
				key = tt.key
			}
			_, err := f.v.Verify(context.Background(), mint(t, key, h, c, true))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ve *oidc.ValidationError
			if isVE := errors.As(err, &ve); isVE != (tt.claim != "") || (isVE && ve.Claim != tt.claim) {
				t.Fatalf("err = %#v, want a ValidationError for %q", err, tt.claim)
			}
			if n := f.srv.total.Load(); n != tt.fetches {
				t.Fatalf("%d fetches, want %d", n, tt.fetches)
			}
		})
	}
}

func TestVerifyLeeway(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Leeway = time.Minute })
	tok := f.token(t, func(h map[string]any) { h["exp"] = testNow.Add(-30 * time.Second).Unix() }, func(c map[string]any) { delete(c, "exp") })
	if _, err := f.v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	f.clock.Advance(31 * time.Second)
	if _, err := f.v.Verify(context.Background(), tok); !errors.Is(err, oidc.ErrExpired) {
		t.Fatalf("past leeway: %v", err)
	}
}

// TestVerifyOptionalRules: with neither Issuer nor ClientIDs set, any iss
// and client pass (the signer still pins the ALB).
func TestVerifyOptionalRules(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Issuer, c.ClientIDs = "", nil })
	tok := f.token(t, func(h map[string]any) { h["iss"] = "https://other.example"; delete(h, "client") }, nil)
	c, err := f.v.Verify(context.Background(), tok)
	if err != nil || c.Issuer != "https://other.example" || c.ClientID != "" {
		t.Fatalf("%v %+v", err, c)
	}
}

func TestVerifyTampered(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token(t, nil, nil)
	segs := strings.Split(tok, ".")
	c := albClaims()
	c["email"] = "admin@example.com"
	forged := mint(t, newKey(t), albHeader(testKID), c, true)
	for name, bad := range map[string]string{
		"payload swapped":  segs[0] + "." + strings.Split(forged, ".")[1] + "." + segs[2],
		"signature byte":   segs[0] + "." + segs[1] + "." + flip(segs[2]),
		"signature empty":  segs[0] + "." + segs[1] + ".",
		"signature short":  segs[0] + "." + segs[1] + "." + base64.URLEncoding.EncodeToString(make([]byte, 63)),
		"signature zeroes": segs[0] + "." + segs[1] + "." + base64.URLEncoding.EncodeToString(make([]byte, 64)),
	} {
		if _, err := f.v.Verify(context.Background(), bad); !errors.Is(err, jws.ErrInvalidSignature) && !errors.Is(err, jws.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func flip(seg string) string {
	b := []byte(seg)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// TestKeyIDEscaping: a kid with "/" and "+" is one escaped path segment,
// never a path of its own.
func TestKeyIDEscaping(t *testing.T) {
	f := newFixture(t, nil)
	kid := "ab/cd+ef=="
	f.srv.add(kid, pemOf(t, &f.key.PublicKey))
	tok := mint(t, f.key, albHeader(kid), albClaims(), true)
	if _, err := f.v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	f.srv.mu.Lock()
	defer f.srv.mu.Unlock()
	if len(f.srv.paths) != 1 || f.srv.paths[0] != "/keys/ab%2Fcd+ef==" {
		t.Fatalf("paths %q", f.srv.paths)
	}
}

// TestKeyEndpointFailure: a failing endpoint is ErrKeysUnavailable (503 in
// httpauth), remembered for FailureInterval, then tried again.
func TestKeyEndpointFailure(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.status.Store(http.StatusServiceUnavailable)
	tok := f.token(t, nil, nil)
	_, err := f.v.Verify(context.Background(), tok)
	var fe *jwks.FetchError
	if !errors.Is(err, jwks.ErrKeysUnavailable) || !errors.As(err, &fe) || fe.StatusCode != 503 {
		t.Fatalf("err = %v, want ErrKeysUnavailable with a FetchError", err)
	}
	if _, err := f.v.Verify(context.Background(), tok); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Fatal(err)
	}
	if n := f.srv.total.Load(); n != 1 {
		t.Fatalf("%d fetches within FailureInterval, want 1", n)
	}
	f.srv.status.Store(0)
	f.clock.Advance(FailureInterval)
	if _, err := f.v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestBadKeyDocuments(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]func(f *fixture) []byte{
		"not PEM":       func(*fixture) []byte { return []byte("hello") },
		"RSA key":       func(*fixture) []byte { return pemOf(t, &rsaKey.PublicKey) },
		"P-384 key":     func(*fixture) []byte { return pemOf(t, &p384.PublicKey) },
		"trailing data": func(f *fixture) []byte { return append(pemOf(t, &f.key.PublicKey), "junk"...) },
		"two keys":      func(f *fixture) []byte { return append(pemOf(t, &f.key.PublicKey), pemOf(t, &f.key.PublicKey)...) },
		"too large":     func(f *fixture) []byte { return append(pemOf(t, &f.key.PublicKey), strings.Repeat(" ", MaxKeySize)...) },
		"certificate pm": func(f *fixture) []byte {
			return []byte(strings.ReplaceAll(string(pemOf(t, &f.key.PublicKey)), "PUBLIC KEY", "CERTIFICATE"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.srv.add(testKID, doc(f))
			_, err := f.v.Verify(context.Background(), f.token(t, nil, nil))
			if !errors.Is(err, jwks.ErrKeysUnavailable) {
				t.Fatalf("err = %v, want ErrKeysUnavailable", err)
			}
		})
	}
}

// TestRandomKidFlood: tokens naming our signer and random kids make at
// most FetchBurst requests, however many arrive and however concurrent.
func TestRandomKidFlood(t *testing.T) {
	f := newFixture(t, nil)
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := albHeader(fmt.Sprintf("random-%d", i))
			_, err := f.v.Verify(context.Background(), mint(t, f.key, h, albClaims(), true))
			if !errors.Is(err, jwks.ErrKeyNotFound) && !errors.Is(err, jwks.ErrKeysUnavailable) {
				t.Errorf("err = %v", err)
			}
		}()
	}
	wg.Wait()
	if n := f.srv.total.Load(); n > FetchBurst {
		t.Fatalf("%d fetches, want at most %d", n, FetchBurst)
	}
	// The same random kid again: remembered as unknown, no fetch.
	before := f.srv.total.Load()
	for range 10 {
		_, _ = f.v.Verify(context.Background(), mint(t, f.key, albHeader("random-0"), albClaims(), true))
	}
	if f.srv.total.Load() != before {
		t.Fatal("a known-missing kid was fetched again")
	}
	// The budget refills with time: the genuine key is then fetched.
	f.clock.Advance(FetchRate)
	if _, err := f.v.Verify(context.Background(), f.token(t, nil, nil)); err != nil {
		t.Fatalf("genuine token after the flood: %v", err)
	}
}

// TestConcurrentMissesShareFetch: many requests for one uncached kid cost
// one fetch, and a caller that gives up does not fail the others.
func TestConcurrentMissesShareFetch(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.delay = 100 * time.Millisecond
	tok := f.token(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.v.Verify(ctx, tok); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.v.Verify(context.Background(), tok); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.srv.total.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

func TestCrossOriginRedirectRefused(t *testing.T) {
	f := newFixture(t, nil)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, f.srv.URL+r.URL.EscapedPath(), http.StatusFound)
	}))
	defer redirector.Close()
	v, err := New(Config{ALBARNs: []string{testARN}, KeyURL: redirector.URL + "/keys", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), f.token(t, nil, nil)); !errors.Is(err, jwks.ErrKeysUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := f.srv.total.Load(); n != 0 {
		t.Fatal("redirect to another origin was followed")
	}
}

func TestCacheBounded(t *testing.T) {
	f := newFixture(t, nil)
	s := f.v.keys
	s.tokens = 1e6 // no rate limit for this test
	for i := range CacheSize + 10 {
		kid := fmt.Sprintf("k%d", i)
		f.srv.add(kid, pemOf(t, &f.key.PublicKey))
		if _, err := s.key(context.Background(), kid); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.keys) != CacheSize || len(s.order) != CacheSize {
		t.Fatalf("%d keys cached, want %d", len(s.keys), CacheSize)
	}
	if _, ok := s.keys["k0"]; ok {
		t.Fatal("oldest key not evicted")
	}
}

func TestNewConfig(t *testing.T) {
	base := func() Config { return Config{Region: "us-east-1", ALBARNs: []string{testARN}} }
	ok := []func(*Config){
		func(*Config) {},
		func(c *Config) { c.Region = ""; c.KeyURL = "https://keys.example/alb/" },
		func(c *Config) { c.Region = ""; c.KeyURL = "http://127.0.0.1:8080" },
		func(c *Config) { c.Region = ""; c.KeyURL = "http://keys.internal"; c.AllowInsecureHTTP = true },
		func(c *Config) {
			c.Region = "us-gov-west-1"
			c.ALBARNs = []string{"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/b"}
		},
	}
	for i, edit := range ok {
		c := base()
		edit(&c)
		if _, err := New(c); err != nil {
			t.Errorf("ok case %d: %v", i, err)
		}
	}
	bad := map[string]func(*Config){
		"no ARNs":   func(c *Config) { c.ALBARNs = nil },
		"empty ARN": func(c *Config) { c.ALBARNs = []string{""} },
		"NLB ARN": func(c *Config) {
			c.ALBARNs = []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/a/b"}
		},
		"ARN bad account": func(c *Config) {
			c.ALBARNs = []string{"arn:aws:elasticloadbalancing:us-east-1:1234:loadbalancer/app/a/b"}
		},
		"ARN other region": func(c *Config) { c.ALBARNs = []string{strings.Replace(testARN, "us-east-1", "eu-west-1", 1)} },
		"no region":        func(c *Config) { c.Region = "" },
		"bad region":       func(c *Config) { c.Region = "us-east-1.evil.com/x" },
		"upper region":     func(c *Config) { c.Region = "US-EAST-1" },
		"china no KeyURL": func(c *Config) {
			c.Region = "cn-north-1"
			c.ALBARNs = []string{"arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/b"}
		},
		"http KeyURL":     func(c *Config) { c.KeyURL = "http://keys.example" },
		"ftp KeyURL":      func(c *Config) { c.KeyURL = "ftp://keys.example" },
		"relative KeyURL": func(c *Config) { c.KeyURL = "/keys" },
		"query KeyURL":    func(c *Config) { c.KeyURL = "https://keys.example/?a=b" },
		"empty client":    func(c *Config) { c.ClientIDs = []string{""} },
		"negative leeway": func(c *Config) { c.Leeway = -1 },
		"negative size":   func(c *Config) { c.MaxTokenSize = -1 },
	}
	for name, edit := range bad {
		c := base()
		edit(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "alb: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
	v, err := New(base())
	if err != nil {
		t.Fatal(err)
	}
	if v.keys.base != "https://public-keys.auth.elb.us-east-1.amazonaws.com" {
		t.Errorf("key URL %q", v.keys.base)
	}
}

func TestMaxTokenSize(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxTokenSize = 100 })
	if _, err := f.v.Verify(context.Background(), f.token(t, nil, nil)); !errors.Is(err, jws.ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
}
