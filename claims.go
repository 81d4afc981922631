package cognitojwt

import (
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// Claims are the claims of a verified Cognito token. The embedded
// oidc.Claims holds Issuer, Subject, Audience, ExpiresAt, NotBefore,
// IssuedAt, JTI, Scopes (from "scope"), Groups (from "cognito:groups"),
// and the methods HasScope, InGroup, Get, Raw and Decode (for custom claims
// such as "custom:tenant" or those a pre-token-generation trigger adds).
// A Claims value must not be modified.
type Claims struct {
	oidc.Claims

	// Username is "username" (access tokens) or "cognito:username" (ID
	// tokens). Machine-to-machine tokens have none.
	Username string

	// TokenUse is "access" or "id".
	TokenUse TokenUse

	// ClientID is the app client: "client_id" of an access token, or the
	// single "aud" of an ID token.
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
	if c.ClientID, err = str("client_id"); err != nil {
		return nil, err
	}
	if c.TokenUse == IDToken && c.ClientID == "" && len(c.Audience) == 1 {
		c.ClientID = c.Audience[0]
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
		return nil, nil, err
	}
	return tok.Header.Raw(), tok.Claims.Raw(), nil
}
