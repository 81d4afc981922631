package cognitojwt

import (
	"errors"
	"strings"

	"github.com/cognitojwt/cognitojwt/oidc"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// Errors, matched with errors.Is. Most are found by the lower layers and
// re-exported here, so that users import this package alone.
var (
	ErrMalformed            = oidc.ErrMalformed            // not a strict compact JWT
	ErrUnsupportedAlgorithm = oidc.ErrUnsupportedAlgorithm // alg not allowed (none and HS* included)
	ErrInvalidSignature     = oidc.ErrInvalidSignature     // the signature does not verify
	ErrInvalidKey           = oidc.ErrInvalidKey           // the key does not fit the token's alg
	ErrKeyNotFound          = oidc.ErrKeyNotFound          // no key with the token's kid, even after a refetch
	ErrKeysUnavailable      = oidc.ErrKeysUnavailable      // the JWKS could not be fetched and nothing usable is cached: answer 503
	ErrInvalidIssuer        = oidc.ErrInvalidIssuer        // "iss" is not a configured pool
	ErrExpired              = oidc.ErrExpired              // exp passed (or MaxAge exceeded)
	ErrNotYetValid          = oidc.ErrNotYetValid          // nbf or iat in the future
	ErrMissingClaim         = oidc.ErrMissingClaim         // a required claim (exp, token_use, client_id, aud…) is absent
	ErrInvalidClaim         = oidc.ErrInvalidClaim         // a claim has the wrong JSON type
	ErrMissingScope         = oidc.ErrMissingScope         // none (or not all) of the required scopes
	ErrMissingGroup         = oidc.ErrMissingGroup         // none (or not all) of the required groups
	ErrCheckFailed          = oidc.ErrCheckFailed          // Config.Check refused the token

	// ErrRevoked refuses a token that Config.Revocation says was revoked
	// (sign-out, disabled or deleted user): answer 401 invalid_token.
	ErrRevoked = revocation.ErrRevoked
	// ErrRevocationUnavailable means Config.Revocation could not tell
	// whether the token was revoked: answer 503 with Retry-After.
	ErrRevocationUnavailable = revocation.ErrUnavailable

	// ErrInvalidTokenUse reports a "token_use" other than the configured
	// one: an ID token where an access token is required, or the reverse.
	ErrInvalidTokenUse = errors.New("cognitojwt: invalid token_use")

	// ErrInvalidClient reports a token of an app client that is not in
	// ClientIDs ("client_id" of an access token, "aud" of an ID token).
	ErrInvalidClient = errors.New("cognitojwt: invalid client")
)

// ValidationError reports which claim a token failed, what was expected
// and what was found (sanitised). errors.As(err, &ve) finds it; its Err is
// the sentinel. With Config.ErrorClaims, ve.Claims holds the refused
// token's claims, and [ErrorClaims] types them.
type ValidationError = oidc.ValidationError

// ErrorClaims returns the Cognito claims of a token that was refused after
// its signature verified, when the verifier was configured with
// Config.ErrorClaims (for example to log who held an expired token). It
// returns false for every other error.
func ErrorClaims(err error) (*Claims, bool) {
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Claims == nil {
		return nil, false
	}
	c, cerr := newClaims(ve.Claims)
	if cerr != nil {
		return nil, false
	}
	return c, true
}

// userErr is every error of [New], [NewMulti], [Verifier.Verify] and
// [Verifier.Hydrate]: one sentence with one "cognitojwt: " prefix, the
// lower layers' own prefixes ("oidc: ", "jws: ", "jwks: ") taken out, so
// that a Cognito user reads "cognitojwt: token expired: exp is …" rather
// than the path the error took. Unwrap returns the error of the lower
// layer, so errors.Is finds every sentinel and errors.As finds a
// *ValidationError as before.
type userErr struct {
	msg string
	err error
}

func (e *userErr) Error() string { return e.msg }

// Unwrap returns the underlying error.
func (e *userErr) Unwrap() error { return e.err }

// layerPrefixes are the packages whose prefixes a Cognito user never needs.
var layerPrefixes = [...]string{"cognitojwt", "oidc", "jwks", "jws"}

// userError rewrites err's message as one "cognitojwt: " sentence. Token
// text inside it is already quoted by the layer that echoed it, so a
// quoted "jws: " in a kid is never taken for a prefix.
func userError(err error) error {
	if err == nil {
		return nil
	}
	var e *userErr
	if errors.As(err, &e) && e == err {
		return err
	}
	parts := strings.Split(err.Error(), ": ")
	kept := parts[:0]
	for _, p := range parts {
		if !isLayer(p) {
			kept = append(kept, p)
		}
	}
	return &userErr{msg: "cognitojwt: " + strings.Join(kept, ": "), err: err}
}

func isLayer(p string) bool {
	for _, l := range layerPrefixes {
		if p == l {
			return true
		}
	}
	return false
}
