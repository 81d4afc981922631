package jwks

import (
	"errors"

	"github.com/cognitojwt/cognitojwt/internal/safehttp"
	"github.com/cognitojwt/cognitojwt/jws"
)

// Errors returned by this package, matched with [errors.Is]. The error a
// function returns usually wraps one of them with a short detail; any text
// that came from a token (a kid, an alg) is quoted and cut to 32 bytes.
var (
	// ErrInvalidKey reports a JWK that is refused (malformed, weak, private,
	// not for signatures, or whose alg does not fit its kty/crv) or a key
	// that does not fit the algorithm a token asks for. It is
	// [jws.ErrInvalidKey] itself, so errors.Is works with either name.
	ErrInvalidKey = jws.ErrInvalidKey

	// ErrInvalidSet reports a JWK Set document that cannot be used at all:
	// not a single JSON object, no "keys" array, a duplicate member name,
	// or more keys than the limit. A single bad key inside a good document
	// is not this error: it is skipped (see [SkippedKey]).
	ErrInvalidSet = errors.New("jwks: invalid key set")

	// ErrAmbiguousKeyID reports keys dropped because several keys in one
	// set share a kid and could verify the same algorithm, so the kid
	// alone would not say which key to trust. See [NewSet].
	ErrAmbiguousKeyID = errors.New("jwks: ambiguous key id")

	// ErrKeyNotFound reports a kid that is not in the key set, even after
	// the refetch that the rate limit allowed (or after the refetch was
	// suppressed by it). An HTTP layer answers 401: the token names a key
	// the issuer does not publish.
	ErrKeyNotFound = errors.New("jwks: key not found")

	// ErrKeysUnavailable reports that no usable key set is cached and the
	// JWKS could not be fetched: nothing was ever fetched, or the last good
	// set is older than its TTL plus the stale-if-error window. It is an
	// outage, not a bad token: an HTTP layer answers 503, not 401. The
	// error also wraps the cause (a [*FetchError] or a context error).
	ErrKeysUnavailable = errors.New("jwks: keys unavailable")
)

// FetchError describes one failed fetch of a JWKS document: a transport
// error, a timeout, a refused redirect, a status other than 200 or 304, a
// response over the size limit, or a document refused with
// [ErrInvalidSet]. Err holds the cause and is matched by errors.Is and
// errors.As through Unwrap.
type FetchError struct {
	URL        string // the JWKS URL
	StatusCode int    // the HTTP status, or 0 when no response arrived
	Err        error  // the cause
}

// Error returns "jwks: fetch <url>: <cause>".
func (e *FetchError) Error() string {
	return "jwks: fetch " + e.URL + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// detailError is a sentinel with a message of its own: "jwks: key "x" not
// found" rather than "jwks: key not found: key "x"". It matches kind, and
// cause when there is one.
type detailError struct {
	msg   string
	kind  error
	cause error
}

func (e *detailError) Error() string { return e.msg }

func (e *detailError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// keyError is a refused JWK: "jwks: invalid key: <why>". It matches
// ErrInvalidKey and, when set, the error from jws that explained why.
type keyError struct {
	why   string
	cause error
}

func (e *keyError) Error() string { return "jwks: invalid key: " + e.why }

func (e *keyError) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrInvalidKey, e.cause}
	}
	return []error{ErrInvalidKey}
}

func invalidKey(why string) error { return &keyError{why: why} }

func setError(why string) error {
	return &detailError{msg: "jwks: invalid key set: " + why, kind: ErrInvalidSet}
}

// maxEcho bounds how much attacker-controlled text (a kid or alg from a
// token, a member name from a document) an error message or event repeats.
const maxEcho = 32

// quote returns s quoted, cut short and escaped (see safehttp.Quote).
func quote(s string) string { return safehttp.Quote(s, maxEcho) }

// clip is quote without the surrounding quotes, for event fields.
func clip(s string) string {
	q := quote(s)
	end := len(q) - 1
	if q[end] == '.' { // quote appended "..." after the closing quote
		return q[1:end-3] + "..."
	}
	return q[1:end]
}
