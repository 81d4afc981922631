package revocation

import (
	"context"
	"errors"
	"time"
)

// Errors, matched with errors.Is.
var (
	// ErrRevoked is the refusal of a revoked token: answer 401
	// invalid_token.
	ErrRevoked = errors.New("revocation: token revoked")

	// ErrUnavailable means the store cannot say whether the token is
	// revoked (Redis unreachable, or more revocations than the local
	// bound holds): answer 503 with Retry-After, never 401 and never a
	// pass.
	ErrUnavailable = errors.New("revocation: revocation store unavailable")

	// ErrFull refuses a new revocation because the store holds its limit
	// of live entries. No live entry is ever dropped to make room.
	ErrFull = errors.New("revocation: store full")
)

// DefaultMaxLifetime is the longest a token of the issuer can be valid
// when a store's MaxLifetime is zero: one day, the most Cognito allows
// for access and ID tokens.
const DefaultMaxLifetime = 24 * time.Hour

// DefaultMargin is added to every entry's lifetime, past MaxLifetime, to
// cover the verifier's leeway and clock skew between the revoker and the
// verifiers.
const DefaultMargin = 5 * time.Minute

// Token is what a Checker needs of a verified token. The verifiers fill it
// from the claims; empty strings and a zero IssuedAt mean the claim is
// absent.
type Token struct {
	Issuer    string    // "iss"
	Subject   string    // "sub"
	Username  string    // Cognito "username" or "cognito:username"; empty for other issuers
	JTI       string    // "jti"
	OriginJTI string    // Cognito "origin_jti": the sign-in the token descends from
	IssuedAt  time.Time // "iat"
}

// Checker says whether a verified token was revoked. Check returns nil
// for a token that stands, an error wrapping ErrRevoked for a revoked
// one, and an error wrapping ErrUnavailable when it cannot tell. It must
// be safe for concurrent use and fast: the verifiers call it on every
// Verify.
type Checker interface {
	Check(ctx context.Context, t Token) error
}

// Store is a Checker that also records revocations.
type Store interface {
	Checker

	// Revoke records e. It refuses an invalid entry, and ErrFull when
	// the store is at its limit; a failure of a remote store wraps
	// ErrUnavailable.
	Revoke(ctx context.Context, e Entry) error

	// List returns the live entries, in no particular order.
	List(ctx context.Context) ([]Entry, error)
}
