package oidc

import (
	"crypto"
	"encoding/json"
	"slices"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

// Claims are the claims of a verified token: the registered ones typed,
// scopes and groups read by the configured rules, and every other claim
// reachable through Get and Decode. A Claims value must not be modified.
type Claims struct {
	Issuer    string    // "iss"
	Subject   string    // "sub"
	Audience  []string  // "aud"; nil when absent
	ExpiresAt time.Time // "exp"
	NotBefore time.Time // "nbf"; zero when absent
	IssuedAt  time.Time // "iat"; zero when absent
	JTI       string    // "jti"; empty when absent

	// Scopes are read from the configured scope claim (Config.ScopeClaim):
	// "scope" by default (RFC 8693 §4.2, RFC 9068 §2.2.3), one string of
	// scopes separated by U+0020 only (see [SplitScope]); "scp" (Entra ID,
	// Okta) when configured, a string split the same way or an array.
	// Nil when the token has no such claim.
	Scopes []string

	// Groups are read from the configured groups claim ("groups" by
	// default; "cognito:groups" for Cognito), a string or an array.
	Groups []string

	token     *jws.Token
	derived   any   // what Config.Derive made of these claims
	deriveErr error // what Config.Derive refused them with
}

// Derived returns what [Config.Derive] built from these claims, or nil
// when the config has no Derive.
func (c *Claims) Derived() any { return c.derived }

// Raw returns a copy of the token's claims JSON.
func (c *Claims) Raw() []byte { return c.token.Claims.Raw() }

// Get returns the top-level claim named exactly name, for claims that have
// no field (such as "custom:tenant" or "email_verified").
func (c *Claims) Get(name string) (jws.Value, bool) { return c.token.Claims.Get(name) }

// Decode unmarshals the claims JSON into v with encoding/json, for custom
// claims. The token's signature has been verified, so this is the
// issuer's data; note that encoding/json matches struct field names
// case-insensitively.
func (c *Claims) Decode(v any) error { return json.Unmarshal(c.token.Claims.Raw(), v) }

// KeyID returns the "kid" of the key that verified the token.
func (c *Claims) KeyID() string { return c.token.Header.KeyID }

// Header returns the token's protected JOSE header: "alg", "kid", "typ"
// and "cty" typed, and Raw for any other member. A Check can require, say,
// Type "at+jwt" (RFC 9068 §4), as aws-jwt-verify's customJwtCheck can.
// The header was covered by the signature that verified.
func (c *Claims) Header() jws.Header { return c.token.Header }

// Key returns the public key that verified the token's signature: an
// *rsa.PublicKey, an *ecdsa.PublicKey or an ed25519.PublicKey. A Check can
// pin a key or log its fingerprint. It is nil only for Claims that were
// not produced by a verifier.
func (c *Claims) Key() crypto.PublicKey { return c.token.VerifiedKey() }

// Algorithm returns the token's signature algorithm.
func (c *Claims) Algorithm() jws.Algorithm { return c.token.Header.Algorithm }

// HasScope reports whether the token carries scope s, compared exactly.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// InGroup reports whether the token lists group g, compared exactly.
func (c *Claims) InGroup(g string) bool { return slices.Contains(c.Groups, g) }

// typeClaims types the claims of tok into c; groupsClaim names the groups
// claim and scopeClaim the scope claim ("" is "scope").
func typeClaims(c *Claims, tok *jws.Token, groupsClaim, scopeClaim string) error {
	tc := &tok.Claims
	*c = Claims{
		Issuer:    tc.Issuer,
		Subject:   tc.Subject,
		Audience:  tc.Audience,
		ExpiresAt: tc.ExpiresAt,
		NotBefore: tc.NotBefore,
		IssuedAt:  tc.IssuedAt,
		JTI:       tc.ID,
		token:     tok,
	}
	if scopeClaim == "" {
		scopeClaim = "scope"
	}
	if v, ok := tc.Get(scopeClaim); ok {
		var err error
		switch {
		case v.Kind() == jws.String:
			var s string
			s, err = v.AsString()
			c.Scopes = SplitScope(s)
		case scopeClaim == "scope":
			// RFC 8693 §4.2: "scope" is a string, never an array.
			return &ValidationError{Claim: scopeClaim, Expected: "a space-separated string", Found: v.Kind().String(), Err: ErrInvalidClaim}
		default:
			c.Scopes, err = v.AsStrings()
		}
		if err != nil {
			return &ValidationError{Claim: scopeClaim, Expected: "a string or an array of strings", Found: v.Kind().String(), Err: ErrInvalidClaim}
		}
	}
	if groupsClaim != "" {
		if v, ok := tc.Get(groupsClaim); ok {
			g, err := v.AsStrings()
			if err != nil {
				return &ValidationError{Claim: groupsClaim, Expected: "a string or an array of strings", Found: v.Kind().String(), Err: ErrInvalidClaim}
			}
			c.Groups = g
		}
	}
	return nil
}
