package bench

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	golangjwt "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// The guards make sure the benchmarks compare working verifiers: every
// peer accepts the fixture's token and refuses the tokens it must. The
// required cases fail the test for any peer that accepts them. The contract
// cases are what cognitojwt's design refuses beyond that (docs/SECURITY.md,
// DESIGN.md "Behaviour contract"): cognitojwt must refuse them, and what each
// peer does is logged (go test -v -run Guard) and reported in README.md.

var b64 = base64.RawURLEncoding

// otherKey is a second RSA-2048 key, which the issuer does not publish.
var otherKey = sync.OnceValues(cognitotest.GenerateKey)

type guardCase struct {
	name   string
	accept bool // only the valid token
	token  func(t *testing.T) string
}

// tokenKind is the kind of Cognito user token a set of peers verifies:
// access tokens (fix.peers) or ID tokens (fix.idPeers, where
// go-jwt-middleware is, as its validator requires "aud"). The guard cases
// are the same for both, minted as that kind.
type tokenKind struct {
	valid  func() string                                    // the fixture's token of this kind
	mint   func(o cognitotest.TokenOptions) (string, error) // a token of this kind
	other  func(o cognitotest.TokenOptions) (string, error) // the other kind, which must be refused
	otherN string                                           // the case name for it
	client string                                           // the claim that names the app client
}

var (
	accessKind = tokenKind{
		valid:  func() string { return fix.token },
		mint:   func(o cognitotest.TokenOptions) (string, error) { return fix.iss.MintAccess(o) },
		other:  func(o cognitotest.TokenOptions) (string, error) { return fix.iss.MintID(o) },
		otherN: "ID token (token_use id)",
		client: "client_id",
	}
	idKind = tokenKind{
		valid:  func() string { return fix.idToken },
		mint:   func(o cognitotest.TokenOptions) (string, error) { return fix.iss.MintID(o) },
		other:  func(o cognitotest.TokenOptions) (string, error) { return fix.iss.MintAccess(o) },
		otherN: "access token (token_use access, no aud)",
		client: "aud",
	}
)

// mint mints a token of kind k of the fixture's issuer with o, the same
// shape as the benchmarked token.
func (k tokenKind) mintCase(o cognitotest.TokenOptions) func(t *testing.T) string {
	return func(t *testing.T) string {
		t.Helper()
		if o.Username == "" {
			o.Username = "alice"
		}
		tok, err := k.mint(o)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

// mint is accessKind.mintCase.
func mint(o cognitotest.TokenOptions) func(t *testing.T) string { return accessKind.mintCase(o) }

func mustOtherKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := otherKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// requiredCases (for access tokens) and requiredIDCases: every peer must
// accept the first and refuse the others.
var (
	requiredCases   = requiredCasesFor(accessKind)
	requiredIDCases = requiredCasesFor(idKind)
)

func requiredCasesFor(k tokenKind) []guardCase {
	mint := k.mintCase
	return []guardCase{
		{name: "valid", accept: true, token: func(*testing.T) string { return k.valid() }},
		{name: "expired", token: mint(cognitotest.TokenOptions{Expired: true})},
		{name: "other key, its own kid", token: func(t *testing.T) string {
			return mint(cognitotest.TokenOptions{Signer: mustOtherKey(t)})(t)
		}},
		{name: "other key, the issuer's kid", token: func(t *testing.T) string {
			return mint(cognitotest.TokenOptions{Signer: mustOtherKey(t), KeyID: fix.kid})(t)
		}},
		{name: k.otherN, token: func(t *testing.T) string {
			tok, err := k.other(cognitotest.TokenOptions{Username: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}},
		{name: "other app client (" + k.client + ")", token: mint(cognitotest.TokenOptions{ClientID: "otherclient000000000000001"})},
		{name: "other issuer", token: mint(cognitotest.TokenOptions{Claims: map[string]any{
			"iss": "https://cognito-idp.us-east-1.amazonaws.com/" + cognitotest.DefaultPoolID,
		}})},
		{name: "token_use missing", token: mint(cognitotest.TokenOptions{Claims: map[string]any{"token_use": nil}})},
		{name: "alg none", token: func(t *testing.T) string {
			return handMade(t, `{"kid":`+quote(fix.kid)+`,"alg":"none"}`, k.payload(t), nil)
		}},
		{name: "HS256 keyed with the public key (alg confusion)", token: func(t *testing.T) string {
			der, err := x509.MarshalPKIXPublicKey(&fix.key.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return handMade(t, `{"kid":`+quote(fix.kid)+`,"alg":"HS256"}`, k.payload(t), func(in []byte) []byte {
				m := hmac.New(sha256.New, secret)
				m.Write(in)
				return m.Sum(nil)
			})
		}},
		{name: "other key embedded as a jwk header", token: func(t *testing.T) string {
			key := mustOtherKey(t)
			jwk := map[string]any{
				"kty": "RSA", "alg": "RS256", "use": "sig",
				"n": b64.EncodeToString(key.N.Bytes()),
				"e": b64.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
			}
			return mint(cognitotest.TokenOptions{Signer: key, Header: map[string]any{"jwk": jwk}})(t)
		}},
	}
}

// contractCases (access tokens) and contractIDCases are tokens signed by
// the issuer's own key that cognitojwt's contract refuses and that some
// peers accept. None of them can be made by an attacker without the pool's
// signing key (Cognito never issues them); they matter where a token
// passes through two parsers, or as defence in depth.
var (
	contractCases   = contractCasesFor(accessKind)
	contractIDCases = contractCasesFor(idKind)
)

func contractCasesFor(k tokenKind) []guardCase {
	mint := k.mintCase
	use := `"access"`
	if k.client == "aud" {
		use = `"id"`
	}
	other := `"id"`
	if use == `"id"` {
		other = `"access"`
	}
	return []guardCase{
		{name: "exp missing", token: mint(cognitotest.TokenOptions{Claims: map[string]any{"exp": nil}})},
		{name: "exp a JSON string", token: mint(cognitotest.TokenOptions{Claims: map[string]any{
			"exp": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10),
		}})},
		{name: "exp a JSON string, an hour ago", token: mint(cognitotest.TokenOptions{Claims: map[string]any{
			"exp": strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10),
		}})},
		{name: "nbf in an hour", token: mint(cognitotest.TokenOptions{NotBefore: time.Now().Add(time.Hour)})},
		{name: "nbf in two minutes (beyond the 5 s leeway)", token: mint(cognitotest.TokenOptions{NotBefore: time.Now().Add(2 * time.Minute)})},
		{name: "iat in an hour", token: mint(cognitotest.TokenOptions{IssuedAt: time.Now().Add(time.Hour)})},
		{name: "duplicate token_use (" + other + " then " + use + ")", token: func(t *testing.T) string {
			p := k.payload(t)
			return handMade(t, `{"kid":`+quote(fix.kid)+`,"alg":"RS256"}`, `{"token_use":`+other+`,`+p[1:], signRS256)
		}},
		{name: "duplicate " + k.client + " (other then ours)", token: func(t *testing.T) string {
			p := k.payload(t)
			return handMade(t, `{"kid":`+quote(fix.kid)+`,"alg":"RS256"}`, `{"`+k.client+`":"otherclient000000000000001",`+p[1:], signRS256)
		}},
		{name: "unknown crit header", token: mint(cognitotest.TokenOptions{Header: map[string]any{
			"crit": []string{"urn:example:must-understand"}, "urn:example:must-understand": true,
		}})},
	}
}

// payload is the claims JSON of a fresh, valid token of kind k.
func (k tokenKind) payload(t *testing.T) string {
	t.Helper()
	tok := k.mintCase(cognitotest.TokenOptions{})(t)
	seg := strings.Split(tok, ".")[1]
	p, err := b64.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// handMade builds a compact JWS from raw header and payload JSON; sign nil
// leaves the signature empty.
func handMade(t *testing.T, header, payload string, sign func(in []byte) []byte) string {
	t.Helper()
	if !json.Valid([]byte(header)) || !json.Valid([]byte(payload)) {
		t.Fatalf("invalid JSON: %s . %s", header, payload)
	}
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + b64.EncodeToString(sig)
}

// signRS256 signs with the issuer's own key.
func signRS256(in []byte) []byte {
	h := sha256.Sum256(in)
	sig, err := rsa.SignPKCS1v15(rand.Reader, fix.key, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return sig
}

func quote(s string) string { return strconv.Quote(s) }

// TestGuardRequired: every peer accepts the valid token and refuses
// expired tokens, tokens signed by another key (with its own kid, with the
// issuer's kid, or embedded as a jwk header), ID tokens, other clients,
// other issuers, alg none and HS256 alg confusion.
func TestGuardRequired(t *testing.T) { guardRequired(t, requiredCases, fix.peers) }

// TestGuardRequiredID is TestGuardRequired for the ID-token peers
// (cognitojwt with TokenUse IDToken, go-jwt-middleware), with the same
// cases minted as ID tokens: "other app client" is another aud, and the
// token of the other kind is an access token.
func TestGuardRequiredID(t *testing.T) { guardRequired(t, requiredIDCases, fix.idPeers) }

func guardRequired(t *testing.T, cases []guardCase, peers []peer) {
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			token := c.token(t)
			for _, p := range peers {
				err := p.verify(ctx, token)
				switch {
				case c.accept && err != nil:
					t.Errorf("%s refuses it: %v", p.name, err)
				case !c.accept && err == nil:
					t.Errorf("%s ACCEPTS it", p.name)
				default:
					t.Logf("%-20s %s", p.name, outcome(err))
				}
			}
		})
	}
}

// TestGuardContract: cognitojwt refuses every contract case; what each
// peer does is logged, and compared with the table in README.md.
func TestGuardContract(t *testing.T) { guardContract(t, contractCases, fix.peers) }

// TestGuardContractID is TestGuardContract for the ID-token peers.
func TestGuardContractID(t *testing.T) { guardContract(t, contractIDCases, fix.idPeers) }

func guardContract(t *testing.T, cases []guardCase, peers []peer) {
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			token := c.token(t)
			for _, p := range peers {
				err := p.verify(ctx, token)
				if err == nil && strings.HasPrefix(p.name, nameCacheOff) {
					t.Errorf("%s ACCEPTS it", p.name)
				}
				t.Logf("%-20s %s", p.name, outcome(err))
			}
		})
	}
}

func outcome(err error) string {
	if err == nil {
		return "accepts"
	}
	msg := err.Error()
	if len(msg) > 110 {
		msg = msg[:110] + "..."
	}
	return fmt.Sprintf("refuses: %s", msg)
}

// TestGuardDefaults shows why the golang-jwt and jwx setups above ask for
// exp explicitly: with their default options, both accept a token that has
// no exp at all (each documents that exp is checked only when present).
// It logs, and fails only if cognitojwt accepts the token.
func TestGuardDefaults(t *testing.T) {
	ctx := t.Context() // stops keyfunc's refresher at the end of the test
	token := mint(cognitotest.TokenOptions{Claims: map[string]any{"exp": nil}})(t)

	kf, err := keyfunc.NewDefaultCtx(ctx, []string{fix.iss.JWKSURL()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = golangjwt.NewParser(golangjwt.WithValidMethods([]string{"RS256"}), golangjwt.WithIssuer(fix.iss.IssuerURL())).
		Parse(token, kf.KeyfuncCtx(ctx))
	t.Logf("%-20s %s", "golang-jwt defaults", outcome(err))

	set, err := jwk.Fetch(ctx, fix.iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	_, err = jwxjwt.ParseString(token, jwxjwt.WithKeySet(set), jwxjwt.WithIssuer(fix.iss.IssuerURL()))
	t.Logf("%-20s %s", "jwx defaults", outcome(err))

	if err := peerNamed(nameCacheOff).verify(ctx, token); err == nil {
		t.Errorf("%s ACCEPTS a token without exp", nameCacheOff)
	}
}

// TestGuardKeysCached: every peer verifies from its cached key set, so
// the benchmarks and the e2e run measure verification, not a JWKS fetch
// per token (go-jwt-middleware's jwks.CachingProvider, in particular,
// refetches only after its TTL). Its control is the fetch each peer made
// for its first token in newFixture.
func TestGuardKeysCached(t *testing.T) {
	ctx := context.Background()
	if fix.iss.JWKSRequests() == 0 {
		t.Fatal("no peer fetched the JWKS: the fixture's check did not run")
	}
	for _, set := range []struct {
		peers []peer
		token string
	}{{fix.peers, fix.token}, {fix.idPeers, fix.idToken}} {
		for _, p := range set.peers {
			before := fix.iss.JWKSRequests()
			for range 20 {
				if err := p.verify(ctx, set.token); err != nil {
					t.Fatalf("%s: %v", p.name, err)
				}
			}
			if n := fix.iss.JWKSRequests() - before; n != 0 {
				t.Errorf("%s fetched the JWKS %d times for 20 verifications of a known kid", p.name, n)
			}
		}
	}
}
