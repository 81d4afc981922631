package oidc

import (
	"context"
	"errors"

	"github.com/cognitojwt/cognitojwt/revocation"
)

// Revocation errors, re-exported so that users of this package need
// import nothing else to match them.
var (
	ErrRevoked               = revocation.ErrRevoked     // the token was revoked: answer 401 invalid_token
	ErrRevocationUnavailable = revocation.ErrUnavailable // the revocation store cannot answer: answer 503, not 401
)

// revoked asks the config's revocation checker about a token that passed
// every rule. It runs on every Verify, cache hits included, so that a
// revoked token is never answered from the cache.
func (r *rules) revoked(ctx context.Context, c *Claims) error {
	if r.cfg.Revocation == nil {
		return nil
	}
	return r.cfg.Revocation.Check(ctx, RevocationToken(c))
}

// RevocationToken returns what a revocation.Checker needs of verified
// claims: iss, sub, jti, iat, and "origin_jti" when it is a string.
// Username is left empty: only Cognito names one (see package cognitojwt).
func RevocationToken(c *Claims) revocation.Token {
	t := revocation.Token{Issuer: c.Issuer, Subject: c.Subject, JTI: c.JTI, IssuedAt: c.IssuedAt}
	if v, ok := c.Get("origin_jti"); ok {
		t.OriginJTI, _ = v.AsString()
	}
	return t
}

// isRevocation reports whether err is a revocation refusal or outage,
// which must reach the caller as it is: not wrapped as a Check failure.
func isRevocation(err error) bool {
	return errors.Is(err, revocation.ErrRevoked) || errors.Is(err, revocation.ErrUnavailable)
}
