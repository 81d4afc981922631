package jws

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Errors returned by this package. Callers match them with [errors.Is]; the
// returned error usually wraps one of them with a short, sanitised detail.
var (
	// ErrMalformed reports a token that is not a strict compact JWS: size,
	// segments, base64url, JSON, or a header or claim of the wrong type.
	ErrMalformed = errors.New("jws: malformed token")

	// ErrUnsupportedAlgorithm reports an "alg" outside the allow-list.
	ErrUnsupportedAlgorithm = errors.New("jws: unsupported algorithm")

	// ErrAlgNone reports the unsecured algorithm "none" (RFC 7518 §3.6),
	// refused in every spelling. It wraps [ErrUnsupportedAlgorithm].
	ErrAlgNone = fmt.Errorf("%w: alg none is never accepted", ErrUnsupportedAlgorithm)

	// ErrSymmetricAlgorithm reports an HMAC algorithm (HS256, HS384,
	// HS512). A verifier that holds only public keys must never accept
	// them: doing so lets anyone who knows the public key forge tokens
	// (the RS/HS confusion attack). It wraps [ErrUnsupportedAlgorithm].
	ErrSymmetricAlgorithm = fmt.Errorf("%w: symmetric (HMAC) algorithms are never accepted", ErrUnsupportedAlgorithm)

	// ErrInvalidClaim reports a claim read as a JSON type it does not
	// have (a number in "username", say) by the accessors of [Value]:
	// the token is well-formed, its claim is not what the reader needs.
	// The message names the claim.
	ErrInvalidClaim = errors.New("jws: claim of the wrong type")

	// ErrInvalidSignature reports a signature that does not verify, or is
	// not of the exact encoding and length the algorithm requires.
	ErrInvalidSignature = errors.New("jws: invalid signature")

	// ErrInvalidKey reports a key that does not fit the algorithm (wrong
	// type or curve) or is too weak to be trusted (RSA under 2048 bits,
	// even modulus, exponent not odd or not greater than 1).
	ErrInvalidKey = errors.New("jws: invalid key")
)

// maxEcho bounds how much attacker-controlled text an error message repeats.
const maxEcho = 32

// sanitize returns s quoted, cut to maxEcho bytes (on a rune boundary), with
// every non-printable rune escaped, so that a hostile token cannot inject
// newlines or megabytes into logs through an error message.
func sanitize(s string) string {
	cut := false
	if len(s) > maxEcho {
		s = s[:maxEcho]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		cut = true
	}
	q := strconv.QuoteToASCII(s)
	if cut {
		q += "..."
	}
	return q
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
