package httpauth

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// Every sentinel of the verifiers maps to its reason, however wrapped.
func TestClassify(t *testing.T) {
	ve := func(claim string, err error) error { return &oidc.ValidationError{Claim: claim, Err: err} }
	for _, tc := range []struct {
		err  error
		want Reason
	}{
		{fmt.Errorf("%w: fetch failed: %w", jwks.ErrKeysUnavailable, context.DeadlineExceeded), ReasonKeysUnavailable},
		{context.DeadlineExceeded, ReasonInterrupted},
		{fmt.Errorf("wrapped: %w", context.Canceled), ReasonInterrupted},
		{ve("scope", oidc.ErrMissingScope), ReasonMissingScope},
		{ve("cognito:groups", oidc.ErrMissingGroup), ReasonMissingGroup},
		{ve("exp", oidc.ErrExpired), ReasonExpired},
		{ve("nbf", oidc.ErrNotYetValid), ReasonNotYetValid},
		{fmt.Errorf("%w: two segments", jws.ErrMalformed), ReasonMalformedToken},
		{jws.ErrUnsupportedAlgorithm, ReasonUnsupportedAlgorithm},
		{jws.ErrInvalidSignature, ReasonInvalidSignature},
		{jws.ErrInvalidKey, ReasonInvalidSignature},
		{jwks.ErrKeyNotFound, ReasonUnknownKey},
		{ve("iss", oidc.ErrInvalidIssuer), ReasonInvalidIssuer},
		{ve("aud", oidc.ErrInvalidAudience), ReasonInvalidAudience},
		{ve("", errors.Join(oidc.ErrCheckFailed, errors.New("revoked"))), ReasonCheckFailed},
		{ve("token_use", errors.New("cognitojwt: invalid token_use")), ReasonInvalidTokenUse},
		{ve("client_id", errors.New("cognitojwt: invalid client")), ReasonInvalidAudience},
		{ve("aud", errors.New("cognitojwt: invalid client")), ReasonInvalidAudience},
		{ve("exp", oidc.ErrMissingClaim), ReasonInvalidClaims},
		{ve("custom", oidc.ErrInvalidClaim), ReasonInvalidClaims},
		{ve("custom", errors.New("other")), ReasonInvalidToken},
		{errors.New("database down"), ReasonInvalidToken},
		{fmt.Errorf("%w (origin_jti)", revocation.ErrRevoked), ReasonRevoked},
		{fmt.Errorf("%w: dial tcp: connection refused", revocation.ErrUnavailable), ReasonRevocationUnavailable},
		{ve("", errors.Join(oidc.ErrCheckFailed, revocation.ErrRevoked)), ReasonRevoked},
	} {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestChallenge(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{Reason: ReasonMissingToken}, `Bearer realm="r\"x"`},
		{Error{Reason: ReasonExpired}, `Bearer realm="r\"x", error="invalid_token", error_description="the access token expired"`},
		{Error{Reason: ReasonMissingScope, Scope: []string{"a/b", "c"}}, `Bearer realm="r\"x", error="insufficient_scope", error_description="the access token lacks a required scope", scope="a/b c"`},
	} {
		if got := challenge(quoteRealm(`r"x`), &tc.e); got != tc.want {
			t.Errorf("challenge = %s\nwant %s", got, tc.want)
		}
	}
}
