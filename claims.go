package cognitojwt

import (
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// Claims are the claims of a verified Cognito token. The embedded
// oidc.Claims holds Issuer, Subject, Audience, ExpiresAt, NotBefore,
// IssuedAt, JTI, Scopes, Groups (from "cognito:groups"), and the methods
// HasScope, InGroup, Get, Raw and Decode (for custom claims such as
// "custom:tenant" or those a pre-token-generation trigger adds), Header
// (the protected header: typ, kid, alg) and Key (the key that verified
// the token). A Claims value must not be modified: the verified-token
// cache hands the same value to every call that verifies the same token,
// so it is shared, read-only, and safe to read from many goroutines.
//
// Each typed field has one meaning, whatever else a customized token
// carries: Scopes are the "scope" of an access token, split on U+0020
// only, and nil for an ID token (scopes are granted to access tokens; a
// "scope" or "scp" claim a trigger adds to an ID token is reachable with
// Get, never as a grant); "scp" is never read. ClientID and Username are
// read from the claim of the token's own kind, never from the other
// kind's.
type Claims struct {
	oidc.Claims

	// Username is "username" (access tokens) or "cognito:username" (ID
	// tokens). Machine-to-machine tokens have none.
	Username string

	// TokenUse is "access" or "id".
	TokenUse TokenUse

	// ClientID is the app client the verifier checked: "client_id" of an
	// access token (an "aud" a trigger added is not read), or the single
	// "aud" of an ID token (a "client_id" claim in an ID token is not
	// read). Empty for an ID token with several audiences.
	ClientID string

	AuthTime  time.Time // "auth_time": when the user authenticated; zero when absent
	OriginJTI string    // "origin_jti": the refresh-token lineage, for revocation
	EventID   string    // "event_id"
}

// IsMachine reports whether the token is a client-credentials
// (machine-to-machine) access token: its subject is the client itself and
// it names no user.
func (c *Claims) IsMachine() bool {
	return c.TokenUse == AccessToken && c.Subject != "" && c.Subject == c.ClientID && c.Username == ""
}

// newClaims reads the Cognito claims of verified oidc claims, strictly: a
// Cognito claim of the wrong JSON type is an error, never coerced.
func newClaims(oc *oidc.Claims) (*Claims, error) {
	c := &Claims{Claims: *oc}
	str := func(name string) (string, error) {
		v, ok := oc.Get(name)
		if !ok {
			return "", nil
		}
		s, err := v.AsString()
		if err != nil {
			return "", &ValidationError{Claim: name, Expected: "a string", Found: v.Kind().String(), Err: ErrInvalidClaim}
		}
		return s, nil
	}
	var err error
	var use string
	if use, err = str("token_use"); err != nil {
		return nil, err
	}
	c.TokenUse = TokenUse(use)
	switch c.TokenUse {
	case AccessToken:
		if c.ClientID, err = str("client_id"); err != nil {
			return nil, err
		}
	case IDToken:
		if len(c.Audience) == 1 {
			c.ClientID = c.Audience[0]
		}
		c.Scopes = nil // a grant is made to access tokens only
	default:
		c.Scopes = nil
	}
	name := "username"
	if c.TokenUse == IDToken {
		name = "cognito:username"
	}
	if c.Username, err = str(name); err != nil {
		return nil, err
	}
	if c.OriginJTI, err = str("origin_jti"); err != nil {
		return nil, err
	}
	if c.EventID, err = str("event_id"); err != nil {
		return nil, err
	}
	if v, ok := oc.Get("auth_time"); ok {
		if c.AuthTime, err = v.AsTime(); err != nil {
			return nil, &ValidationError{Claim: "auth_time", Expected: "a NumericDate", Found: v.Kind().String(), Err: ErrInvalidClaim}
		}
	}
	return c, nil
}

// DecodeUnverified parses token strictly and returns its header and claims
// JSON WITHOUT verifying anything: not the signature, not the issuer, not
// the expiry. It is for debugging and logging only; never make an
// authorization decision from its result.
func DecodeUnverified(token string) (header, claims []byte, err error) {
	tok, err := jws.Parse(token)
	if err != nil {
		return nil, nil, userError(err)
	}
	return tok.Header.Raw(), tok.Claims.Raw(), nil
}
