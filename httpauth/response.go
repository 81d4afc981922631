package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// Reason says why a request was refused, or how it was admitted, in a
// fixed word fit for a log field or a metric label. It never holds text
// from the request.
type Reason string

// The reasons. Each refusal has one status and one RFC 6750 error code;
// see the table in docs/HTTPAUTH.md.
const (
	ReasonOK        Reason = "ok"        // admitted with a valid token
	ReasonAnonymous Reason = "anonymous" // admitted without a token (Optional)

	// 401, no error code: no configured source carries a token.
	ReasonMissingToken Reason = "missing_token"

	// 400 invalid_request.
	ReasonMultipleTokens   Reason = "multiple_tokens"   // several sources, or one source twice
	ReasonMalformedRequest Reason = "malformed_request" // not a well-formed Bearer credential or token value

	// 401 invalid_token.
	ReasonTokenTooLarge        Reason = "token_too_large"       // over Options.MaxTokenSize
	ReasonMalformedToken       Reason = "malformed_token"       // not a strict compact JWT
	ReasonUnsupportedAlgorithm Reason = "unsupported_algorithm" // alg not accepted (none, HS*…)
	ReasonInvalidSignature     Reason = "invalid_signature"     // the signature does not verify, or the key does not fit
	ReasonUnknownKey           Reason = "unknown_key"           // no published key has the token's kid
	ReasonInvalidIssuer        Reason = "invalid_issuer"        // iss is not trusted
	ReasonInvalidAudience      Reason = "invalid_audience"      // aud or client_id is not accepted
	ReasonInvalidTokenUse      Reason = "invalid_token_use"     // an ID token where an access token is required, or the reverse
	ReasonExpired              Reason = "expired"               // exp passed
	ReasonNotYetValid          Reason = "not_yet_valid"         // nbf or iat in the future
	ReasonInvalidClaims        Reason = "invalid_claims"        // a required claim absent, or of the wrong type
	ReasonCheckFailed          Reason = "check_failed"          // the verifier's own Check refused it
	ReasonRevoked              Reason = "revoked"               // the token was revoked (sign-out, disabled user): revocation.ErrRevoked
	ReasonInvalidToken         Reason = "invalid_token"         // any other verifier error

	// 403 insufficient_scope.
	ReasonMissingScope Reason = "missing_scope" // a Scope requirement, or the verifier's Scopes
	ReasonMissingGroup Reason = "missing_group" // a Group requirement, or the verifier's Groups
	ReasonForbidden    Reason = "forbidden"     // a Check requirement returned false

	// 503 with Retry-After.
	ReasonKeysUnavailable Reason = "keys_unavailable" // no usable keys: the JWKS could not be fetched
	ReasonInterrupted     Reason = "interrupted"      // the request's context ended during verification

	ReasonRevocationUnavailable Reason = "revocation_unavailable" // the revocation store cannot answer: revocation.ErrUnavailable
)

// reasonInfo is the fixed response of each refusal.
type reasonInfo struct {
	status int
	code   string // RFC 6750 §3.1 error code; "" for none
	desc   string // error_description: fixed text, NQSCHAR only (no '"' or '\')
}

var reasons = map[Reason]reasonInfo{
	ReasonMissingToken: {http.StatusUnauthorized, "", "an access token is required"},

	ReasonMultipleTokens:   {http.StatusBadRequest, "invalid_request", "the request carries more than one access token"},
	ReasonMalformedRequest: {http.StatusBadRequest, "invalid_request", "the request does not carry a well-formed bearer token"},

	ReasonTokenTooLarge:        {http.StatusUnauthorized, "invalid_token", "the access token is too large"},
	ReasonMalformedToken:       {http.StatusUnauthorized, "invalid_token", "the access token is not a well-formed JWT"},
	ReasonUnsupportedAlgorithm: {http.StatusUnauthorized, "invalid_token", "the access token is signed with an algorithm that is not accepted"},
	ReasonInvalidSignature:     {http.StatusUnauthorized, "invalid_token", "the access token signature is invalid"},
	ReasonUnknownKey:           {http.StatusUnauthorized, "invalid_token", "the access token is signed by an unknown key"},
	ReasonInvalidIssuer:        {http.StatusUnauthorized, "invalid_token", "the access token issuer is not trusted"},
	ReasonInvalidAudience:      {http.StatusUnauthorized, "invalid_token", "the access token was issued to another client or audience"},
	ReasonInvalidTokenUse:      {http.StatusUnauthorized, "invalid_token", "the token is not of the kind this resource accepts"},
	ReasonExpired:              {http.StatusUnauthorized, "invalid_token", "the access token expired"},
	ReasonNotYetValid:          {http.StatusUnauthorized, "invalid_token", "the access token is not valid yet"},
	ReasonInvalidClaims:        {http.StatusUnauthorized, "invalid_token", "the access token claims are invalid"},
	ReasonCheckFailed:          {http.StatusUnauthorized, "invalid_token", "the access token was refused"},
	ReasonRevoked:              {http.StatusUnauthorized, "invalid_token", "the access token was revoked"},
	ReasonInvalidToken:         {http.StatusUnauthorized, "invalid_token", "the access token is invalid"},

	ReasonMissingScope: {http.StatusForbidden, "insufficient_scope", "the access token lacks a required scope"},
	ReasonMissingGroup: {http.StatusForbidden, "insufficient_scope", "the user is not in a required group"},
	ReasonForbidden:    {http.StatusForbidden, "insufficient_scope", "the access token does not grant access to this resource"},

	ReasonKeysUnavailable: {http.StatusServiceUnavailable, "", "the token signing keys are unavailable: try again later"},
	ReasonInterrupted:     {http.StatusServiceUnavailable, "", "the access token could not be verified in time: try again later"},

	ReasonRevocationUnavailable: {http.StatusServiceUnavailable, "", "the token revocation list is unavailable: try again later"},
}

// Status returns the HTTP status of a refusal for this reason, or 0 for
// ReasonOK, ReasonAnonymous and unknown reasons.
func (r Reason) Status() int { return reasons[r].status }

// Code returns the RFC 6750 §3.1 error code of the reason:
// "invalid_request", "invalid_token", "insufficient_scope", or "" (no
// token, 503, and the admitting reasons).
func (r Reason) Code() string { return reasons[r].code }

// Description returns the fixed text sent as error_description and as the
// problem's detail. It never contains request text.
func (r Reason) Description() string { return reasons[r].desc }

// Error is a refused request, handed to [Options.ErrorHandler]. Every
// field but Err is fixed text or configuration, safe to send to the
// client; Err is for logs.
type Error struct {
	Status int    // 400, 401, 403 or 503
	Reason Reason // why, in a fixed word
	Source Source // where the token was found; the zero Source when none was

	// Scope lists the scopes the route requires, on a 403 from a route
	// with Scope or AllScopes requirements; nil otherwise. It is
	// configuration, sent in the challenge's scope attribute.
	Scope []string

	// RetryAfter is the delay sent in Retry-After on a 503; zero
	// otherwise.
	RetryAfter time.Duration

	// Err is the verifier's error when the verifier refused the token, nil
	// when the middleware refused the request itself. It may quote claim
	// values (cut short and escaped by the verifiers) and is never sent
	// to the client by this package.
	Err error
}

// Error returns "httpauth: <status> <reason>", plus the verifier's error.
func (e *Error) Error() string {
	s := "httpauth: " + strconv.Itoa(e.Status) + " " + string(e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the verifier's error, so that errors.Is finds its
// sentinels.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the RFC 6750 error code of e.Reason.
func (e *Error) Code() string { return e.Reason.Code() }

// classify maps a verifier's error to a reason. Outages come first: an
// ErrKeysUnavailable is a 503 even when it also wraps a context error.
// Anything not recognised is invalid_token: fail closed.
func classify(err error) Reason {
	switch {
	case errors.Is(err, jwks.ErrKeysUnavailable):
		return ReasonKeysUnavailable
	case errors.Is(err, revocation.ErrUnavailable):
		return ReasonRevocationUnavailable
	case errors.Is(err, revocation.ErrRevoked):
		return ReasonRevoked
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ReasonInterrupted
	case errors.Is(err, oidc.ErrMissingScope):
		return ReasonMissingScope
	case errors.Is(err, oidc.ErrMissingGroup):
		return ReasonMissingGroup
	case errors.Is(err, oidc.ErrExpired):
		return ReasonExpired
	case errors.Is(err, oidc.ErrNotYetValid):
		return ReasonNotYetValid
	case errors.Is(err, jws.ErrMalformed):
		return ReasonMalformedToken
	case errors.Is(err, jws.ErrUnsupportedAlgorithm):
		return ReasonUnsupportedAlgorithm
	case errors.Is(err, jws.ErrInvalidSignature), errors.Is(err, jws.ErrInvalidKey):
		return ReasonInvalidSignature
	case errors.Is(err, jwks.ErrKeyNotFound):
		return ReasonUnknownKey
	case errors.Is(err, oidc.ErrInvalidIssuer):
		return ReasonInvalidIssuer
	case errors.Is(err, oidc.ErrInvalidAudience):
		return ReasonInvalidAudience
	case errors.Is(err, oidc.ErrCheckFailed):
		return ReasonCheckFailed
	}
	// cognitojwt's own sentinels (token_use, client) are told apart by the
	// claim its *ValidationError names, so that this package need not
	// import the Cognito verifier.
	var ve *oidc.ValidationError
	if errors.As(err, &ve) {
		switch ve.Claim {
		case "token_use":
			return ReasonInvalidTokenUse
		case "aud", "client_id":
			return ReasonInvalidAudience
		}
		if errors.Is(err, oidc.ErrMissingClaim) || errors.Is(err, oidc.ErrInvalidClaim) {
			return ReasonInvalidClaims
		}
	}
	return ReasonInvalidToken
}

// challenge is the WWW-Authenticate value for a refusal (RFC 6750 §3).
// Every value in it is configuration or fixed text: the realm (escaped),
// the code, the description, and the route's scopes.
func challenge(realm string, e *Error) string {
	var b strings.Builder
	b.Grow(64 + len(realm))
	b.WriteString(`Bearer realm="`)
	b.WriteString(realm)
	b.WriteByte('"')
	// §3.1: a request with no authentication information gets no error
	// code or other error information.
	if code := e.Reason.Code(); code != "" {
		b.WriteString(`, error="`)
		b.WriteString(code)
		b.WriteString(`", error_description="`)
		b.WriteString(e.Reason.Description())
		b.WriteByte('"')
	}
	if len(e.Scope) > 0 {
		b.WriteString(`, scope="`)
		for i, s := range e.Scope {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// quoteRealm escapes a realm for a quoted-string (RFC 9110 §5.6.4).
func quoteRealm(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// problem is an RFC 9457 problem details object, with the RFC 6750 error
// code and the reason as extension members.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Error  string `json:"error,omitempty"`
	Reason Reason `json:"reason"`
	Scope  string `json:"scope,omitempty"`
}

// WriteProblem is the default error handler: it writes e as an RFC 9457
// "application/problem+json" body with the status e.Status:
//
//	{"type":"about:blank","title":"Unauthorized","status":401,
//	 "detail":"the access token expired","error":"invalid_token","reason":"expired"}
//
// The body holds fixed text and configuration only (never the token, the
// path or a claim). The challenge, Cache-Control and Retry-After headers
// are already set when an error handler runs; WriteProblem adds
// Content-Type and X-Content-Type-Options. Call it from an error handler
// of your own to keep the default body.
func WriteProblem(w http.ResponseWriter, r *http.Request, e *Error) {
	body, err := json.Marshal(problem{
		Type:   "about:blank",
		Title:  http.StatusText(e.Status),
		Status: e.Status,
		Detail: e.Reason.Description(),
		Error:  e.Reason.Code(),
		Reason: e.Reason,
		Scope:  strings.Join(e.Scope, " "),
	})
	if err != nil { // cannot happen: every field is a string or an int
		body = []byte(`{"type":"about:blank","status":` + strconv.Itoa(e.Status) + `}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(e.Status)
	w.Write(append(body, '\n'))
}
