package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/oidc"
)

// idpFixture is one file of testdata/idp: an identity provider's discovery
// documents, key set shape and tokens, written from its public
// documentation, with ${base} (its host), ${sts} (Entra ID's v1 issuer
// host), ${tenant}, ${tenant2}, ${iat} and ${exp} filled in by the test.
type idpFixture struct {
	About       string                     `json:"about"`
	Issuer      string                     `json:"issuer"`
	Documents   map[string]json.RawMessage `json:"documents"`
	JWKSPath    string                     `json:"jwks_path"`
	JWKSAliases []string                   `json:"jwks_aliases"`
	Keys        []map[string]any           `json:"keys"`
	Tokens      map[string]struct {
		Comment    string          `json:"comment"`
		GraphNonce bool            `json:"graph_nonce"`
		Header     map[string]any  `json:"header"`
		Claims     json.RawMessage `json:"claims"`
	} `json:"tokens"`
}

// idp is a fixture served on loopback, with its tokens signed.
type idp struct {
	Issuer string
	Base   string            // the provider's host, as a URL
	Tokens map[string]string // by fixture name
}

const (
	entraTenant  = "9188040d-6c67-4c5b-b112-36a304b66dad"
	entraTenant2 = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// idpServers are the loopback hosts of every fixture; sts stands in for
// sts.windows.net, Entra ID's v1 issuer host, which serves nothing here.
var (
	idpOnce    sync.Once
	idpSTS     *httptest.Server
	idpServers []*httptest.Server // closed by closeIDPs
	idpByName  map[string]*idp
	idpErr     error
)

// closeIDPs stops every fixture server; TestMain calls it.
func closeIDPs() {
	for _, s := range idpServers {
		s.Close()
	}
}

// loadIDPs serves every fixture of testdata/idp once per test binary.
func loadIDPs(t *testing.T) map[string]*idp {
	t.Helper()
	idpOnce.Do(func() { idpByName, idpErr = serveIDPs() })
	if idpErr != nil {
		t.Fatal(idpErr)
	}
	return idpByName
}

func serveIDPs() (map[string]*idp, error) {
	files, err := filepath.Glob(filepath.Join("testdata", "idp", "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no fixtures in testdata/idp: %v", err)
	}
	idpSTS = httptest.NewServer(http.NotFoundHandler())
	idpServers = append(idpServers, idpSTS)
	out := map[string]*idp{}
	for _, f := range files {
		p, err := serveIDP(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = p
	}
	return out, nil
}

func serveIDP(file string) (*idp, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	docs := map[string][]byte{}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		doc, ok := docs[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}))
	idpServers = append(idpServers, srv)
	now := time.Now().Unix()
	text := strings.NewReplacer(
		"${base}", srv.URL, "${sts}", idpSTS.URL, "${tenant}", entraTenant, "${tenant2}", entraTenant2,
		`"${iat}"`, fmt.Sprint(now-60), `"${exp}"`, fmt.Sprint(now+3600),
	).Replace(string(raw))
	var fx idpFixture
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fx); err != nil {
		return nil, err
	}

	// One RSA key per JWK of the fixture; "x5c": true adds a self-signed
	// certificate and its thumbprints, as Auth0, Entra ID and Keycloak
	// publish them.
	signers := map[string]*rsa.PrivateKey{}
	var jwkList []map[string]any
	for _, spec := range fx.Keys {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		kid, _ := spec["kid"].(string)
		signers[kid] = key
		jwk := map[string]any{
			"kty": "RSA", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}
		for k, v := range spec {
			jwk[k] = v
		}
		if spec["x5c"] == true {
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: kid}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				return nil, err
			}
			s1, s256 := sha1.Sum(der), sha256.Sum256(der)
			jwk["x5c"] = []string{base64.StdEncoding.EncodeToString(der)}
			jwk["x5t"] = base64.RawURLEncoding.EncodeToString(s1[:])
			jwk["x5t#S256"] = base64.RawURLEncoding.EncodeToString(s256[:])
		}
		jwkList = append(jwkList, jwk)
	}
	set, err := json.Marshal(map[string]any{"keys": jwkList})
	if err != nil {
		return nil, err
	}
	mu.Lock()
	for path, doc := range fx.Documents {
		docs[path] = doc
	}
	for _, path := range append([]string{fx.JWKSPath}, fx.JWKSAliases...) {
		docs[path] = set
	}
	mu.Unlock()

	p := &idp{Issuer: fx.Issuer, Base: srv.URL, Tokens: map[string]string{}}
	for name, tok := range fx.Tokens {
		kid, _ := tok.Header["kid"].(string)
		key := signers[kid]
		if key == nil {
			return nil, fmt.Errorf("token %q: no key %q", name, kid)
		}
		header := tok.Header
		if tok.GraphNonce {
			// What Microsoft Graph tokens are: signed over a header whose
			// nonce is the SHA-256 of the one they carry.
			n, _ := header["nonce"].(string)
			sum := sha256.Sum256([]byte(n))
			header = maps(header, "nonce", base64.RawURLEncoding.EncodeToString(sum[:]))
		}
		var claims bytes.Buffer
		if err := json.Compact(&claims, tok.Claims); err != nil {
			return nil, err
		}
		token, err := signRS256(key, header, claims.Bytes())
		if err != nil {
			return nil, err
		}
		if tok.GraphNonce {
			h, err := json.Marshal(tok.Header)
			if err != nil {
				return nil, err
			}
			token = base64.RawURLEncoding.EncodeToString(h) + token[strings.IndexByte(token, '.'):]
		}
		p.Tokens[name] = token
	}
	return p, nil
}

func maps(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}

func signRS256(key *rsa.PrivateKey, header map[string]any, claims []byte) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// keycloakRole is a Check for a Keycloak realm role: realm_access.roles is
// nested, so GroupsClaim cannot name it.
func keycloakRole(role string) func(context.Context, *oidc.Claims) error {
	return func(_ context.Context, c *oidc.Claims) error {
		var v struct {
			RealmAccess struct {
				Roles []string `json:"roles"`
			} `json:"realm_access"`
		}
		if err := c.Decode(&v); err != nil {
			return err
		}
		if !slices.Contains(v.RealmAccess.Roles, role) {
			return fmt.Errorf("realm role %q missing", role)
		}
		return nil
	}
}

// typClaim is a Check on Keycloak's "typ" claim ("Bearer", "ID",
// "Refresh"), which tells its token kinds apart.
func typClaim(want string) func(context.Context, *oidc.Claims) error {
	return func(_ context.Context, c *oidc.Claims) error {
		v, ok := c.Get("typ")
		if s, err := v.AsString(); !ok || err != nil || s != want {
			return fmt.Errorf("typ is not %q", want)
		}
		return nil
	}
}

// TestIdPShapes verifies documentation-shaped tokens of Auth0, Entra ID
// (v1 and v2), Okta and Keycloak through package oidc, with discovery
// where the provider's issuer serves it, and checks each provider's quirk
// beside the token it concerns.
func TestIdPShapes(t *testing.T) {
	idps := loadIDPs(t)
	auth0, v2, v1, okta, kc := idps["auth0"], idps["entra-v2"], idps["entra-v1"], idps["okta"], idps["keycloak"]
	v2Keys := v2.Base + "/common/discovery/v2.0/keys"
	v1Keys := v1.Base + "/common/discovery/keys"
	const (
		auth0API    = "https://api.example.com"
		auth0Client = "my5pa1Client1dFr0mAuth0Dashb0rd"
		entraAPI    = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	)
	tests := []struct {
		name  string
		cfgs  []oidc.Config
		token string
		want  error
	}{
		// Auth0: the issuer ends in "/"; access tokens name the API and
		// the userinfo endpoint in aud; roles come from a namespaced
		// custom claim, permissions from RBAC.
		{"auth0 access token", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0API}, Scopes: []string{"read:messages"}, GroupsClaim: "https://example.com/roles", Groups: []string{"admin"}}}, auth0.Tokens["access"], nil},
		{"auth0 RBAC permissions as groups", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0API}, GroupsClaim: "permissions", Groups: []string{"write:messages"}}}, auth0.Tokens["access"], nil},
		{"auth0 issuer without its trailing slash", []oidc.Config{{Issuer: strings.TrimSuffix(auth0.Issuer, "/"), Audiences: []string{auth0API}}}, auth0.Tokens["access"], oidc.ErrInvalidIssuer},
		{"auth0 audience with a trailing slash", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0API + "/"}}}, auth0.Tokens["access"], oidc.ErrInvalidAudience},
		{"auth0 RFC 9068 access token (typ at+jwt)", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0API}, Scopes: []string{"read:messages"}}}, auth0.Tokens["rfc9068 access"], nil},
		{"auth0 client-credentials token", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0API}, Scopes: []string{"read:messages"}}}, auth0.Tokens["m2m access"], nil},
		{"auth0 ID token", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0Client}, RequiredClaims: []string{"nonce"}}}, auth0.Tokens["id"], nil},
		{"auth0 ID token where the API is the audience", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0API}}}, auth0.Tokens["id"], oidc.ErrInvalidAudience},
		{"auth0 access token where the client is the audience", []oidc.Config{{Issuer: auth0.Issuer, Audiences: []string{auth0Client}}}, auth0.Tokens["access"], oidc.ErrInvalidAudience},

		// Entra ID v2: one issuer per tenant; app roles in "roles".
		{"entra v2 access token (discovery)", []oidc.Config{{Issuer: v2.Issuer, Audiences: []string{entraAPI}, GroupsClaim: "roles", Groups: []string{"Approver"}}}, v2.Tokens["access"], nil},
		{"entra v2 app-only token", []oidc.Config{{Issuer: v2.Issuer, Audiences: []string{entraAPI}, GroupsClaim: "roles", Groups: []string{"Data.Sync"}}}, v2.Tokens["app-only access"], nil},
		{"entra v2 app-only token lacks a user's role", []oidc.Config{{Issuer: v2.Issuer, Audiences: []string{entraAPI}, GroupsClaim: "roles", Groups: []string{"Approver"}}}, v2.Tokens["app-only access"], oidc.ErrMissingGroup},
		{"entra v2 another tenant's token", []oidc.Config{{Issuer: v2.Issuer, Audiences: []string{entraAPI}}}, v2.Tokens["other tenant access"], oidc.ErrInvalidIssuer},
		{"entra v2 multi-tenant: each tenant listed, /common keys", []oidc.Config{
			{Issuer: v2.Issuer, Audiences: []string{entraAPI}, JWKSURL: v2Keys},
			{Issuer: strings.Replace(v2.Issuer, entraTenant, entraTenant2, 1), Audiences: []string{entraAPI}, JWKSURL: v2Keys},
		}, v2.Tokens["other tenant access"], nil},
		{"entra v2 /common as the issuer", []oidc.Config{{Issuer: v2.Base + "/common/v2.0", Audiences: []string{entraAPI}}}, v2.Tokens["access"], oidc.ErrInvalidIssuer},
		{"entra v2 Microsoft Graph token (header nonce)", []oidc.Config{{Issuer: v2.Issuer, Audiences: []string{"https://graph.microsoft.com"}}}, v2.Tokens["graph access"], oidc.ErrInvalidSignature},
		{"entra v2 ID token", []oidc.Config{{Issuer: v2.Issuer, Audiences: []string{"6cb04018-a3f5-46a7-b995-940c78f5aef3"}, RequiredClaims: []string{"nonce", "tid"}}}, v2.Tokens["id"], nil},

		// Entra ID v1: issuer on sts.windows.net with a trailing slash,
		// keys at /common/discovery/keys.
		{"entra v1 access token", []oidc.Config{{Issuer: v1.Issuer, Audiences: []string{"api://" + entraAPI}, JWKSURL: v1Keys, GroupsClaim: "roles", Groups: []string{"Reader"}}}, v1.Tokens["access"], nil},
		{"entra v1 token to a v2 issuer", []oidc.Config{{Issuer: v2.Issuer, Audiences: []string{"api://" + entraAPI}}}, v1.Tokens["access"], oidc.ErrInvalidIssuer},
		{"entra v2 token to a v1 issuer", []oidc.Config{{Issuer: v1.Issuer, Audiences: []string{entraAPI}, JWKSURL: v1Keys}}, v2.Tokens["access"], oidc.ErrInvalidIssuer},
		{"entra v1 issuer without its trailing slash", []oidc.Config{{Issuer: strings.TrimSuffix(v1.Issuer, "/"), Audiences: []string{"api://" + entraAPI}, JWKSURL: v1Keys}}, v1.Tokens["access"], oidc.ErrInvalidIssuer},

		// Okta: a custom authorization server is its own issuer; access
		// tokens are for api://default, not the client; scp is an array.
		{"okta access token", []oidc.Config{{Issuer: okta.Issuer, Audiences: []string{"api://default"}, Groups: []string{"Admins"}}}, okta.Tokens["access"], nil},
		{"okta another authorization server's token", []oidc.Config{{Issuer: okta.Issuer, Audiences: []string{"api://default"}}}, okta.Tokens["other server access"], oidc.ErrInvalidIssuer},
		{"okta access token where the client is the audience", []oidc.Config{{Issuer: okta.Issuer, Audiences: []string{"0oaoesxtxmPf08QHk0h7"}}}, okta.Tokens["access"], oidc.ErrInvalidAudience},
		{"okta ID token", []oidc.Config{{Issuer: okta.Issuer, Audiences: []string{"0oaoesxtxmPf08QHk0h7"}, RequiredClaims: []string{"nonce"}}}, okta.Tokens["id"], nil},

		// Keycloak: aud is "account" unless an audience mapper adds the
		// API; roles are nested in realm_access; "typ" names the kind; the
		// certs endpoint also lists an encryption key.
		{"keycloak access token with an audience mapper", []oidc.Config{{Issuer: kc.Issuer, Audiences: []string{"orders-api"}, Scopes: []string{"orders:read"}, Check: keycloakRole("orders-admin")}}, kc.Tokens["access"], nil},
		{"keycloak default access token: aud is account", []oidc.Config{{Issuer: kc.Issuer, Audiences: []string{"orders-api"}}}, kc.Tokens["default access"], oidc.ErrInvalidAudience},
		{"keycloak realm role missing", []oidc.Config{{Issuer: kc.Issuer, Audiences: []string{"account"}, Check: keycloakRole("orders-admin")}}, kc.Tokens["default access"], oidc.ErrCheckFailed},
		{"keycloak token naming the encryption key", []oidc.Config{{Issuer: kc.Issuer, Audiences: []string{"account"}}}, kc.Tokens["signed with the encryption key"], oidc.ErrKeyNotFound},
		{"keycloak ID token", []oidc.Config{{Issuer: kc.Issuer, Audiences: []string{"web-app"}, Check: typClaim("ID")}}, kc.Tokens["id"], nil},
		{"keycloak ID token where typ Bearer is required", []oidc.Config{{Issuer: kc.Issuer, Audiences: []string{"web-app", "orders-api"}, Check: typClaim("Bearer")}}, kc.Tokens["id"], oidc.ErrCheckFailed},
		{"keycloak access token where typ Bearer is required", []oidc.Config{{Issuer: kc.Issuer, Audiences: []string{"web-app", "orders-api"}, Check: typClaim("Bearer")}}, kc.Tokens["access"], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token == "" {
				t.Fatal("no such fixture token")
			}
			v, err := oidc.NewMulti(tt.cfgs)
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Verify(context.Background(), tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Subject == "" || c.ExpiresAt.IsZero() {
					t.Errorf("claims %+v", c)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestIdPDiscoveryQuirks checks the discovery documents themselves: Entra
// ID's /common document names a templated issuer that no token carries,
// so discovery through it fails closed, and each provider's own document
// leads to its keys.
func TestIdPDiscoveryQuirks(t *testing.T) {
	idps := loadIDPs(t)
	ctx := context.Background()
	for _, name := range []string{"auth0", "entra-v2", "okta", "keycloak"} {
		t.Run(name, func(t *testing.T) {
			v, err := oidc.New(oidc.Config{Issuer: idps[name].Issuer, AllowAnyAudience: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Hydrate(ctx); err != nil {
				t.Fatalf("discovery: %v", err)
			}
		})
	}
	t.Run("entra /common", func(t *testing.T) {
		v, err := oidc.New(oidc.Config{Issuer: idps["entra-v2"].Base + "/common/v2.0", AllowAnyAudience: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Hydrate(ctx); !errors.Is(err, oidc.ErrKeysUnavailable) {
			t.Fatalf("Hydrate: %v, want ErrKeysUnavailable (the document's issuer is the {tenantid} template)", err)
		}
	})
	t.Run("entra v1 issuer host serves no discovery", func(t *testing.T) {
		// Here only: the test's stand-in for sts.windows.net serves
		// nothing, so a v1 issuer needs JWKSURL (as the docs advise).
		v, err := oidc.New(oidc.Config{Issuer: idps["entra-v1"].Issuer, AllowAnyAudience: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Hydrate(ctx); !errors.Is(err, oidc.ErrKeysUnavailable) {
			t.Fatalf("Hydrate: %v, want ErrKeysUnavailable", err)
		}
	})
}
