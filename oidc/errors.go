package oidc

import (
	"errors"
	"strings"

	"github.com/cognitojwt/cognitojwt/internal/safehttp"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// Errors found by the lower layers, re-exported so that users of this
// package need import nothing else to match them.
var (
	ErrMalformed            = jws.ErrMalformed            // not a strict compact JWS/JWT
	ErrUnsupportedAlgorithm = jws.ErrUnsupportedAlgorithm // alg not allowed (none and HS* included)
	ErrInvalidSignature     = jws.ErrInvalidSignature     // the signature does not verify
	ErrInvalidKey           = jws.ErrInvalidKey           // the key does not fit the token's alg
	ErrKeyNotFound          = jwks.ErrKeyNotFound         // no key for the token's kid, even after a refetch
	ErrKeysUnavailable      = jwks.ErrKeysUnavailable     // keys could not be fetched and nothing usable is cached
	ErrInvalidClaim         = jws.ErrInvalidClaim         // a claim has the wrong JSON type
)

// Errors found by the issuer rules. They reach the caller inside a
// *ValidationError, which says which claim failed.
var (
	ErrInvalidIssuer   = errors.New("oidc: invalid issuer")
	ErrInvalidAudience = errors.New("oidc: invalid audience")
	ErrExpired         = errors.New("oidc: token expired")
	ErrNotYetValid     = errors.New("oidc: token not yet valid")
	ErrMissingClaim    = errors.New("oidc: required claim missing")
	ErrMissingScope    = errors.New("oidc: required scope missing")
	ErrMissingGroup    = errors.New("oidc: required group missing")
	ErrCheckFailed     = errors.New("oidc: token refused by check")
)

// ValidationError reports a rule a token failed. Err is the sentinel
// (ErrExpired, ErrInvalidAudience, …) that errors.Is matches. Found is
// taken from the token and is therefore attacker-controlled: it is
// truncated and quoted, and never the whole token.
type ValidationError struct {
	Claim    string // the claim that failed, such as "exp" or "aud"
	Expected string // what the verifier required, in words
	Found    string // what the token had, sanitised; empty when absent
	Err      error  // the sentinel; for a failed Check, the Check's error too

	// Claims of the refused token, set only when the verifier was
	// configured with ErrorClaims and the token's signature verified (so
	// that logs can say who held an expired token). Nil otherwise.
	Claims *Claims
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Claim != "" {
		b.WriteString(": ")
		b.WriteString(e.Claim)
	}
	if e.Found != "" {
		b.WriteString(" is ")
		b.WriteString(e.Found)
	} else if e.Claim != "" {
		b.WriteString(" is absent")
	}
	if e.Expected != "" {
		b.WriteString(", want ")
		b.WriteString(e.Expected)
	}
	return b.String()
}

// Unwrap returns the sentinel so that errors.Is and errors.As see it.
func (e *ValidationError) Unwrap() error { return e.Err }

// maxEcho bounds token text repeated in errors.
const maxEcho = 48

// echo quotes a token-supplied string for an error message, cut short and
// escaped (see safehttp.Quote).
func echo(s string) string { return safehttp.Quote(s, maxEcho) }

// echoList quotes at most a few elements of a token-supplied list.
func echoList(list []string) string {
	const most = 4
	parts := make([]string, 0, most+1)
	for i, s := range list {
		if i == most {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, echo(s))
	}
	return "[" + strings.Join(parts, " ") + "]"
}
