package cognitotest_test

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/jws"
)

func TestNewIssuerDefaults(t *testing.T) {
	iss := newIssuer(t)
	if !strings.HasPrefix(iss.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want a loopback http URL", iss.URL)
	}
	checks := []struct{ what, got, want string }{
		{"PoolID", iss.PoolID, cognitotest.DefaultPoolID},
		{"ClientID", iss.ClientID, cognitotest.DefaultClientID},
		{"IssuerURL", iss.IssuerURL(), iss.URL + "/us-east-1_TestPool1"},
		{"JWKSURL", iss.JWKSURL(), iss.URL + "/us-east-1_TestPool1/.well-known/jwks.json"},
		{"DiscoveryURL", iss.DiscoveryURL(), iss.URL + "/us-east-1_TestPool1/.well-known/openid-configuration"},
		{"TokenURL", iss.TokenURL(), iss.URL + "/oauth2/token"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !slices.Equal(iss.Scopes, []string{"test-api/read", "test-api/write"}) {
		t.Errorf("Scopes = %q", iss.Scopes)
	}
	if len(cognitotest.DefaultClientID) != 26 {
		t.Errorf("DefaultClientID has %d characters, Cognito's have 26", len(cognitotest.DefaultClientID))
	}
}

func TestNewIssuerGeneratesKey(t *testing.T) {
	iss := cognitotest.NewIssuer(t)
	keys := iss.Keys()
	if len(keys) != 1 {
		t.Fatalf("%d keys, want 1", len(keys))
	}
	pub, ok := keys[0].Public().(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 || keys[0].Algorithm != jws.RS256 {
		t.Fatalf("generated key is %T alg %s, want RSA 2048 RS256", keys[0].Public(), keys[0].Algorithm)
	}
	mustVerify(t, fetchSet(t, iss), iss.AccessToken())
}

// TestJWKSShape checks the served document against Cognito's exact shape:
// one object with "keys", each entry with alg, e, kid, kty, n, use in that
// order and nothing else.
func TestJWKSShape(t *testing.T) {
	iss := newIssuer(t, rsaKey(t, 0), rsaKey(t, 1))
	status, ctype, body := get(t, iss.JWKSURL())
	if status != http.StatusOK || ctype != "application/json" {
		t.Fatalf("status %d, Content-Type %q", status, ctype)
	}
	entry := `\{"alg":"RS256","e":"AQAB","kid":"[A-Za-z0-9+/]{43}=","kty":"RSA","n":"[A-Za-z0-9_-]{342}","use":"sig"\}`
	shape := regexp.MustCompile(`^\{"keys":\[` + entry + `,` + entry + `\]\}$`)
	if !shape.Match(body) {
		t.Fatalf("JWKS is not in Cognito's shape:\n%s", body)
	}
	set := fetchSet(t, iss)
	if set.Len() != 2 {
		t.Fatalf("set has %d keys, want 2", set.Len())
	}
	for n, k := range set.Keys() {
		want := iss.Keys()[n]
		if k.KeyID != want.ID || k.Algorithm != jws.RS256 || k.KeyType != "RSA" {
			t.Errorf("key %d: kid %q alg %s kty %s, want kid %q RS256 RSA", n, k.KeyID, k.Algorithm, k.KeyType, want.ID)
		}
		if !want.Public().(*rsa.PublicKey).Equal(k.Public) {
			t.Errorf("key %d: served public key differs from the signing key", n)
		}
	}
}

// TestKeyIDs checks that key ids are standard base64 of the SHA-256 of the
// public key's DER, the alphabet ("+", "/", "=") Cognito's ids use, and
// not base64url.
func TestKeyIDs(t *testing.T) {
	signers := []crypto.Signer{rsaKey(t, 0), rsaKey(t, 1), ecKey(t, elliptic.P256()), edKey(t)}
	for _, s := range signers {
		k, err := cognitotest.NewKey(s)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(s.Public())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		if want := base64.StdEncoding.EncodeToString(sum[:]); k.ID != want {
			t.Errorf("kid %q, want %q", k.ID, want)
		}
		if len(k.ID) != 44 || !strings.HasSuffix(k.ID, "=") || strings.ContainsAny(k.ID, "-_") {
			t.Errorf("kid %q is not 44 characters of padded standard base64", k.ID)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(k.ID); err != nil {
			t.Errorf("kid %q: %v", k.ID, err)
		}
	}
}

func TestOtherKeyTypes(t *testing.T) {
	tests := []struct {
		name   string
		signer crypto.Signer
		alg    jws.Algorithm
		kty    string
		crv    string
	}{
		{"P-256", ecKey(t, elliptic.P256()), jws.ES256, "EC", "P-256"},
		{"P-384", ecKey(t, elliptic.P384()), jws.ES384, "EC", "P-384"},
		{"P-521", ecKey(t, elliptic.P521()), jws.ES512, "EC", "P-521"},
		{"Ed25519", edKey(t), jws.EdDSA, "OKP", "Ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := newIssuer(t, tt.signer)
			set := fetchSet(t, iss)
			k := set.Keys()[0]
			if k.Algorithm != tt.alg || k.KeyType != tt.kty || k.Curve != tt.crv {
				t.Fatalf("served key alg %s kty %s crv %s", k.Algorithm, k.KeyType, k.Curve)
			}
			for _, tok := range []string{iss.AccessToken(), iss.IDToken(), iss.M2MToken()} {
				if got := mustVerify(t, set, tok).Header.Algorithm; got != tt.alg {
					t.Errorf("token alg %s, want %s", got, tt.alg)
				}
			}
		})
	}
}

func TestNewKeyRefuses(t *testing.T) {
	p224 := ecKey(t, elliptic.P224())
	tests := []struct {
		name string
		s    crypto.Signer
	}{
		{"nil", nil},
		{"P-224", p224},
		{"unknown type", otherSigner{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := cognitotest.NewKey(tt.s); err == nil {
				t.Fatal("NewKey accepted it")
			}
			iss := cognitotest.NewUnstartedIssuer()
			iss.Signers = []crypto.Signer{tt.s}
			if err := iss.Start(); err == nil {
				iss.Close()
				t.Fatal("Start accepted it")
			}
		})
	}
}

type otherSigner struct{ crypto.Signer }

func (otherSigner) Public() crypto.PublicKey { return "not a key" }

func TestDiscovery(t *testing.T) {
	iss := newIssuer(t)
	status, ctype, body := get(t, iss.DiscoveryURL())
	if status != http.StatusOK || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("status %d, Content-Type %q", status, ctype)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	base, issuer := iss.URL, iss.IssuerURL()
	want := map[string]any{
		"authorization_endpoint":                base + "/oauth2/authorize",
		"end_session_endpoint":                  base + "/logout",
		"id_token_signing_alg_values_supported": []any{"RS256"},
		"issuer":                                issuer,
		"jwks_uri":                              issuer + "/.well-known/jwks.json",
		"response_types_supported":              []any{"code", "token"},
		"revocation_endpoint":                   base + "/oauth2/revoke",
		"scopes_supported":                      []any{"openid", "email", "phone", "profile"},
		"subject_types_supported":               []any{"public"},
		"token_endpoint":                        base + "/oauth2/token",
		"token_endpoint_auth_methods_supported": []any{"client_secret_basic", "client_secret_post"},
		"userinfo_endpoint":                     base + "/oauth2/userInfo",
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Fatalf("discovery document\n got %s\nwant %s", gotJSON, wantJSON)
	}
	// Cognito writes the members in alphabetical order.
	if !bytes.Equal(body, wantJSON) {
		t.Errorf("members not in alphabetical order:\n%s", body)
	}
}

func TestRoutes(t *testing.T) {
	iss := newIssuer(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/us-east-1_TestPool1/.well-known/jwks.json", 200},
		{"HEAD", "/us-east-1_TestPool1/.well-known/jwks.json", 200},
		{"GET", "/us-east-1_TestPool1/.well-known/openid-configuration", 200},
		{"GET", "/us-east-1_OtherPool/.well-known/jwks.json", 404},
		{"GET", "/.well-known/jwks.json", 404},
		{"POST", "/us-east-1_TestPool1/.well-known/jwks.json", 405},
		{"GET", "/oauth2/token", 405},
		{"GET", "/oauth2/authorize", 501},
		{"GET", "/oauth2/userInfo", 501},
		{"POST", "/oauth2/revoke", 501},
		{"GET", "/logout", 501},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, iss.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestFailureInjection(t *testing.T) {
	iss := newIssuer(t)
	steps := []struct {
		name   string
		set    func()
		status int
		body   string // "" = the real key set
	}{
		{"normal", func() {}, 200, ""},
		{"503", func() { iss.SetJWKSStatus(503) }, 503, "Service Unavailable\n"},
		{"500", func() { iss.SetJWKSStatus(500) }, 500, "Internal Server Error\n"},
		{"restored by 200", func() { iss.SetJWKSStatus(200) }, 200, ""},
		{"body", func() { iss.SetJWKSBody([]byte(`{"keys":"nope"}`)) }, 200, `{"keys":"nope"}`},
		{"status wins over body", func() { iss.SetJWKSStatus(429) }, 429, "Too Many Requests\n"},
		{"status cleared, body stays", func() { iss.SetJWKSStatus(0) }, 200, `{"keys":"nope"}`},
		{"restored", func() { iss.SetJWKSBody(nil) }, 200, ""},
	}
	for n, s := range steps {
		s.set()
		status, _, body := get(t, iss.JWKSURL())
		if status != s.status {
			t.Errorf("%s: status %d, want %d", s.name, status, s.status)
		}
		if s.body != "" && string(body) != s.body {
			t.Errorf("%s: body %q, want %q", s.name, body, s.body)
		}
		if s.body == "" && !bytes.HasPrefix(body, []byte(`{"keys":[{"alg":"RS256"`)) {
			t.Errorf("%s: body %q, want the key set", s.name, body)
		}
		if got := iss.JWKSRequests(); got != n+1 {
			t.Errorf("%s: JWKSRequests() = %d, want %d", s.name, got, n+1)
		}
	}
	// Discovery requests are not key set requests.
	get(t, iss.DiscoveryURL())
	if got := iss.JWKSRequests(); got != len(steps) {
		t.Errorf("JWKSRequests() = %d after a discovery request, want %d", got, len(steps))
	}
	for _, bad := range []int{-1, 99, 600} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetJWKSStatus(%d) did not panic", bad)
				}
			}()
			iss.SetJWKSStatus(bad)
		}()
	}
}

func TestUnstarted(t *testing.T) {
	iss := cognitotest.NewUnstartedIssuer()
	if iss.IssuerURL() != "" || iss.Keys() != nil || iss.Subject("x") != "" {
		t.Error("an issuer not set up reports an issuer, keys or subjects")
	}
	iss.PoolID = "eu-west-2_Abc123"
	iss.ClientID = "myclient"
	iss.Signers = []crypto.Signer{rsaKey(t, 0)}
	if _, err := iss.MintAccess(cognitotest.TokenOptions{}); err == nil {
		t.Error("minted without a URL")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("AccessToken on an issuer without t and URL did not panic")
			}
		}()
		iss.AccessToken()
	}()

	h, err := iss.Handler()
	if err != nil {
		t.Fatal(err)
	}
	// With URL empty, the handler answers with the request's own origin.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost:9229/eu-west-2_Abc123/.well-known/openid-configuration", nil))
	var doc struct{ Issuer string }
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.Issuer != "http://localhost:9229/eu-west-2_Abc123" {
		t.Fatalf("discovery via Handler: %d %s (%v)", rec.Code, rec.Body, err)
	}

	// With URL set (the issuer command), tokens and documents use it.
	iss2 := cognitotest.NewUnstartedIssuer()
	iss2.URL = "http://localhost:9229/"
	iss2.Signers = []crypto.Signer{rsaKey(t, 0)}
	if _, err := iss2.Handler(); err != nil {
		t.Fatal(err)
	}
	tok, err := jws.Parse(iss2.AccessToken())
	if err != nil {
		t.Fatal(err)
	}
	if got := str(t, tok, "iss"); got != "http://localhost:9229/us-east-1_TestPool1" {
		t.Errorf("iss = %q", got)
	}
	iss2.Close() // not started: no-op
	iss2.Close()
}

func TestStartRefuses(t *testing.T) {
	tests := []struct {
		name string
		set  func(*cognitotest.Issuer)
	}{
		{"pool id without region", func(i *cognitotest.Issuer) { i.PoolID = "TestPool1" }},
		{"pool id with path", func(i *cognitotest.Issuer) { i.PoolID = "us-east-1_a/b" }},
		{"client id with colon", func(i *cognitotest.Issuer) { i.ClientID = "a:b" }},
		{"standard scope", func(i *cognitotest.Issuer) { i.Scopes = []string{"openid"} }},
		{"empty scope", func(i *cognitotest.Issuer) { i.Scopes = []string{""} }},
		{"key twice", func(i *cognitotest.Issuer) {
			i.Signers = []crypto.Signer{rsaKey(t, 0), rsaKey(t, 0)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := cognitotest.NewUnstartedIssuer()
			iss.Signers = []crypto.Signer{rsaKey(t, 0)}
			tt.set(iss)
			if err := iss.Start(); err == nil {
				iss.Close()
				t.Fatal("Start accepted it")
			}
		})
	}
	iss := newIssuer(t)
	if err := iss.Start(); err == nil {
		t.Error("second Start accepted")
	}
}

func TestCloseStopsServing(t *testing.T) {
	iss := cognitotest.NewUnstartedIssuer()
	iss.Signers = []crypto.Signer{rsaKey(t, 0)}
	if err := iss.Start(); err != nil {
		t.Fatal(err)
	}
	url := iss.JWKSURL()
	iss.Close()
	iss.Close()
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Fatal("server still answers after Close")
	}
}

// An EC key in an ecdsa.PrivateKey form the issuer did not create still
// publishes a point of the right size.
func TestECPointPadding(t *testing.T) {
	for range 20 {
		k := ecKey(t, elliptic.P521())
		iss := cognitotest.NewUnstartedIssuer()
		iss.URL = "http://127.0.0.1:1"
		iss.Signers = []crypto.Signer{k}
		h, err := iss.Handler()
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/us-east-1_TestPool1/.well-known/jwks.json", nil))
		var set struct{ Keys []struct{ X, Y string } }
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
			t.Fatal(err)
		}
		if len(set.Keys[0].X) != 88 || len(set.Keys[0].Y) != 88 {
			t.Fatalf("P-521 x/y are %d/%d base64url characters, want 88", len(set.Keys[0].X), len(set.Keys[0].Y))
		}
	}
}
