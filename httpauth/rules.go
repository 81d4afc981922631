package httpauth

import (
	"context"
	"errors"
)

// Classify returns the reason a verifier's error refuses a token, as
// [Auth.Require] reports it: ReasonKeysUnavailable or ReasonInterrupted
// for an outage (a 503, never a 401), ReasonMissingScope for the
// verifier's own Scopes, ReasonExpired, and so on; ReasonInvalidToken for
// an error it does not recognise, so that an unknown failure is refused,
// never admitted. A nil error returns ReasonOK. It is for adapters that
// are not net/http (gRPC interceptors, API Gateway authorizers), so that
// every transport maps a verifier error the same way; Reason.Status gives
// the HTTP status.
func Classify(err error) Reason {
	if err == nil {
		return ReasonOK
	}
	return classify(err)
}

// Rules is a compiled list of requirements for adapters that have no
// *http.Request to give [Check] (gRPC, API Gateway authorizers): they
// apply [Scope], [AllScopes], [Group], [AllGroups] and [TokenUse] exactly
// as [Auth.Require] does. A Rules is immutable and safe for concurrent use.
type Rules[C any] struct {
	rt *route[C]
}

// NewRules compiles reqs for claims of type C. It refuses what Require
// panics on (a requirement C cannot answer, an empty or invalid name, a
// zero Requirement), and refuses [Check], whose function takes the HTTP
// request such adapters do not have: give the adapter its own check
// instead. No requirements is valid: every verified token passes.
func NewRules[C any](reqs ...Requirement) (*Rules[C], error) {
	rt, err := compile[C](reqs)
	if err != nil {
		return nil, err
	}
	if len(rt.checks) > 0 {
		return nil, errors.New("httpauth: Check needs an HTTP request, which this adapter does not have: use the adapter's own check")
	}
	return &Rules[C]{rt: rt}, nil
}

// Allow applies the rules to verified claims, and returns "" when they
// hold, or the reason of the refusal: ReasonInvalidTokenUse (401),
// ReasonMissingScope or ReasonMissingGroup (403). Claims that cannot
// answer a rule are refused.
func (r *Rules[C]) Allow(c C) Reason {
	return r.rt.check(nil, c)
}

// Scope returns every scope the rules name, in order and without repeats,
// for a challenge's scope attribute; nil when they name none.
func (r *Rules[C]) Scope() []string {
	if len(r.rt.scope) == 0 {
		return nil
	}
	return append([]string(nil), r.rt.scope...)
}

// ContextWithClaims returns a copy of ctx that carries c, where
// [ClaimsFrom] (and so [Auth.Claims]) finds it. Adapters for transports
// other than net/http (gRPC, AWS Lambda, fasthttp frameworks) call it
// after they verified a token, so that every transport hands claims to
// handlers through the one accessor. Call it only with claims a verifier
// accepted: whatever is in the context is what handlers trust.
func ContextWithClaims[C any](ctx context.Context, c C) context.Context {
	return context.WithValue(ctx, claimsKey[C]{}, c)
}
