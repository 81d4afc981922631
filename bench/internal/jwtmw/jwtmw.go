// Package jwtmw is github.com/auth0/go-jwt-middleware/v2 set up for
// Cognito ID tokens, one set-up shared by the end-to-end helper
// (bench/e2e) and the correctness guards (bench, TestGuardRequiredID), so
// that the server measured is the one the guards checked.
//
// Why ID tokens: go-jwt-middleware's validator refuses to be built without
// an audience and always checks that "aud" holds one of them. Cognito
// access tokens carry no "aud" (the app client is "client_id"), so no
// access token can pass it, whatever a custom claims check says. Cognito ID
// tokens carry aud = the app client id, so both sides of the comparison
// verify the same ID tokens with the same rules: the pool's issuer, aud the
// app client, RS256 only, keys from the pool's JWKS fetched once and cached,
// exp/nbf/iat with cognitojwt's default leeway, and token_use "id".
package jwtmw

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
)

// Leeway is the clock skew allowed on exp, nbf and iat: cognitojwt's
// DefaultLeeway (5 s), repeated here so that this package imports nothing
// but the peer.
const Leeway = 5 * time.Second

// KeyTTL is how long the caching JWKS provider keeps the key set before it
// refetches it in the background.
const KeyTTL = 5 * time.Minute

// idClaims are the Cognito claims the validator does not know. Validate
// refuses anything but an ID token, the rule cognitojwt applies with
// TokenUse IDToken; a token without token_use is refused too.
type idClaims struct {
	TokenUse string `json:"token_use"`
}

func (c *idClaims) Validate(context.Context) error {
	if c.TokenUse != "id" {
		return fmt.Errorf("jwtmw: token_use %q, want \"id\"", c.TokenUse)
	}
	return nil
}

// NewValidator returns go-jwt-middleware's validator for the ID tokens of
// one pool and app client: issuer, audience clientID, RS256, the
// CachingProvider of package jwks on jwksURL (so the discovery document is
// never fetched), Leeway, and token_use "id". Nothing is fetched until the
// first token.
func NewValidator(issuer, jwksURL, clientID string) (*validator.Validator, error) {
	iu, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("jwtmw: issuer: %w", err)
	}
	ju, err := url.Parse(jwksURL)
	if err != nil {
		return nil, fmt.Errorf("jwtmw: JWKS URL: %w", err)
	}
	keys := jwks.NewCachingProvider(iu, KeyTTL, jwks.WithCustomJWKSURI(ju))
	v, err := validator.New(keys.KeyFunc, validator.RS256, issuer, []string{clientID},
		validator.WithAllowedClockSkew(Leeway),
		validator.WithCustomClaims(func() validator.CustomClaims { return &idClaims{} }),
	)
	if err != nil {
		return nil, fmt.Errorf("jwtmw: %w", err)
	}
	return v, nil
}

// Middleware is NewValidator behind jwtmiddleware.New with its defaults
// (the Authorization: Bearer extractor, 401 on a bad token, credentials
// required).
func Middleware(issuer, jwksURL, clientID string) (func(http.Handler) http.Handler, error) {
	v, err := NewValidator(issuer, jwksURL, clientID)
	if err != nil {
		return nil, err
	}
	return jwtmiddleware.New(v.ValidateToken).CheckJWT, nil
}
