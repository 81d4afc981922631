package httpauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

// Verifier verifies a token and returns its claims. *cognitojwt.Verifier
// (C = *cognitojwt.Claims) and *oidc.Verifier (C = *oidc.Claims) satisfy
// it, and so does any type with this method: [New] infers C from it.
type Verifier[C any] interface {
	Verify(ctx context.Context, token string) (C, error)
}

// Defaults of [Options].
const (
	DefaultRealm        = "api"
	DefaultRetryAfter   = 5 * time.Second
	DefaultMaxTokenSize = jws.DefaultMaxTokenSize // 16 KiB, the verifiers' own limit
)

// Options tunes an [Auth]. The zero value, or a nil *Options, means every
// documented default: the realm "api", tokens from "Authorization: Bearer"
// only, a 16 KiB token limit, Retry-After 5 s, problem+json bodies, no logs
// and no metrics.
type Options struct {
	// Realm is the realm of the WWW-Authenticate challenge. Empty means
	// DefaultRealm ("api"). New refuses control characters and non-ASCII.
	Realm string

	// Sources are where tokens are looked for: [Bearer], [Header],
	// [Cookie], [ALBAccessToken], [Query]. Every listed source is read,
	// and a request that carries a token in more than one is refused
	// with 400 invalid_request; the order decides which problem is
	// reported when several sources are malformed. Nil means Bearer()
	// alone; a non-nil empty list, a zero Source or one listed twice is
	// refused by New. The query parameter is never read unless listed.
	Sources []Source

	// MaxTokenSize is the largest token accepted, in bytes; a larger one
	// is refused with 401 invalid_token before the verifier sees it, as
	// the verifier would refuse it. Zero means DefaultMaxTokenSize
	// (16 KiB); negative is refused by New.
	MaxTokenSize int

	// RetryAfter is sent in Retry-After, in whole seconds rounded up, when
	// the verifier cannot get its keys (503). Zero means
	// DefaultRetryAfter (5 s); negative is refused by New.
	RetryAfter time.Duration

	// ErrorHandler writes the response to a refused request. When it is
	// called, WWW-Authenticate (on 400, 401 and 403), Cache-Control:
	// no-store and Retry-After (on 503) are already set; it must write
	// the status e.Status, and should not echo anything from the request.
	// Nil means [WriteProblem] (RFC 9457 application/problem+json).
	ErrorHandler func(w http.ResponseWriter, r *http.Request, e *Error)

	// Logger, when not nil, records each refusal: the status, the reason,
	// the source and the route pattern, never the token; the verifier's
	// error only on a 503 (it names the JWKS URL and what failed). A
	// missing token is logged at Debug, other refusals at Info, 503s at
	// Warn. Nil means no output.
	Logger *slog.Logger

	// Observe, when not nil, is called once per request that reaches the
	// middleware, admitted or refused, before the handler or the error
	// response: count Event.Reason and Event.Status, time Event.Duration.
	// It runs on the request's goroutine and must be quick. Nil means no
	// calls.
	Observe func(r *http.Request, e Event)
}

// Event is what [Options.Observe] learns of one request.
type Event struct {
	Reason Reason // ReasonOK, ReasonAnonymous, or why it was refused
	Status int    // the refusal's status; 0 when the request was admitted
	Source Source // where the token was found; the zero Source when none was

	// Duration is the time spent in the middleware, token verification
	// included, before the handler or the error response.
	Duration time.Duration
}

// Auth is middleware that admits requests carrying a valid token, and
// answers the others as RFC 6750 §3 asks. It is safe for concurrent use;
// build it once with [New] and derive one middleware per route with
// [Auth.Require] or [Auth.Optional].
type Auth[C any] struct {
	v          Verifier[C]
	realm      string // escaped for a quoted-string
	sources    []Source
	maxSize    int
	retryAfter time.Duration
	retryHdr   string
	onError    func(http.ResponseWriter, *http.Request, *Error)
	log        *slog.Logger
	observe    func(*http.Request, Event)
	nilable    bool // C can be nil, and a nil claims value must be refused
}

// New returns an Auth that verifies tokens with v; C, the claims type, is
// inferred from v's Verify method. A nil opts means every default. It
// refuses a nil verifier and the invalid options listed on each field.
func New[C any](v Verifier[C], opts *Options) (*Auth[C], error) {
	if v == nil || isNil(v) {
		return nil, errors.New("httpauth: nil verifier")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	a := &Auth[C]{
		v:          v,
		maxSize:    o.MaxTokenSize,
		retryAfter: o.RetryAfter,
		onError:    o.ErrorHandler,
		log:        o.Logger,
		observe:    o.Observe,
	}

	realm := o.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	for i := 0; i < len(realm); i++ {
		if c := realm[i]; (c < 0x20 && c != '\t') || c >= 0x7f {
			return nil, fmt.Errorf("httpauth: invalid Realm %q: control characters and non-ASCII cannot be sent in a header", realm)
		}
	}
	a.realm = quoteRealm(realm)

	switch {
	case o.Sources == nil:
		a.sources = []Source{Bearer()}
	case len(o.Sources) == 0:
		return nil, errors.New("httpauth: Sources is empty but not nil: nil means Bearer()")
	default:
		a.sources = slices.Clone(o.Sources)
	}
	for i, s := range a.sources {
		if err := s.validate(); err != nil {
			return nil, err
		}
		if slices.Contains(a.sources[:i], s) {
			return nil, fmt.Errorf("httpauth: source %s listed twice", s)
		}
	}

	switch {
	case a.maxSize == 0:
		a.maxSize = DefaultMaxTokenSize
	case a.maxSize < 0:
		return nil, fmt.Errorf("httpauth: negative MaxTokenSize %d", a.maxSize)
	}
	switch {
	case a.retryAfter == 0:
		a.retryAfter = DefaultRetryAfter
	case a.retryAfter < 0:
		return nil, fmt.Errorf("httpauth: negative RetryAfter %v", a.retryAfter)
	}
	secs := (a.retryAfter + time.Second - 1) / time.Second
	a.retryAfter = secs * time.Second
	a.retryHdr = strconv.FormatInt(int64(secs), 10)
	if a.onError == nil {
		a.onError = WriteProblem
	}

	switch reflect.TypeFor[C]().Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		a.nilable = true
	}
	return a, nil
}

// Require returns middleware that passes a request on only when it
// carries exactly one well-formed token, the verifier accepts it, and the
// claims satisfy every requirement; the handler then finds the claims with
// [Auth.Claims] or [ClaimsFrom]. Otherwise it answers:
//
//   - 401 with a bare challenge when no source carries a token;
//   - 400 invalid_request when the request is malformed;
//   - 401 invalid_token when the token is refused;
//   - 403 insufficient_scope when a scope, group or Check fails;
//   - 503 with Retry-After when the verifier cannot get its keys.
//
// It panics when a requirement cannot be applied to C (see [Requirement]),
// so that a mistake shows at start-up, never as an open route.
func (a *Auth[C]) Require(reqs ...Requirement) func(http.Handler) http.Handler {
	rt, err := compile[C](reqs)
	if err != nil {
		panic(err)
	}
	return a.middleware(rt, false)
}

// Optional returns middleware that admits a request with no token as
// anonymous ([Auth.Claims] then reports false), and treats a request with
// a token as Require() does: a malformed request, a refused token or an
// outage is answered with an error, never downgraded to anonymous, so
// that a client learns its token is bad.
func (a *Auth[C]) Optional() func(http.Handler) http.Handler {
	return a.middleware(&route[C]{}, true)
}

func (a *Auth[C]) middleware(rt *route[C], optional bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("httpauth: nil handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a.serve(w, r, next, rt, optional)
		})
	}
}

// serve is the whole per-request path: find the token, verify it, apply
// the route's requirements, then admit or refuse.
func (a *Auth[C]) serve(w http.ResponseWriter, r *http.Request, next http.Handler, rt *route[C], optional bool) {
	var start time.Time
	if a.observe != nil {
		start = time.Now()
	}
	token, src, reason := a.extract(r)
	if reason == ReasonMissingToken && optional {
		if a.observe != nil {
			a.observe(r, Event{Reason: ReasonAnonymous, Duration: time.Since(start)})
		}
		next.ServeHTTP(w, r)
		return
	}
	if reason != "" {
		a.refuse(w, r, rt, &Error{Reason: reason, Source: src}, start)
		return
	}
	c, err := a.v.Verify(r.Context(), token)
	if err != nil {
		a.refuse(w, r, rt, &Error{Reason: classify(err), Source: src, Err: err}, start)
		return
	}
	if a.nilable && isNil(c) {
		// A verifier that returns neither claims nor an error is broken;
		// fail closed.
		a.refuse(w, r, rt, &Error{Reason: ReasonInvalidToken, Source: src}, start)
		return
	}
	if reason := rt.check(r, c); reason != "" {
		a.refuse(w, r, rt, &Error{Reason: reason, Source: src}, start)
		return
	}
	if src.kind == srcQuery {
		w.Header().Set("Cache-Control", "private") // RFC 6750 §2.3
	}
	if a.observe != nil {
		a.observe(r, Event{Reason: ReasonOK, Source: src, Duration: time.Since(start)})
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey[C]{}, c)))
}

// extract finds the request's one token. reason is "" when it did.
func (a *Auth[C]) extract(r *http.Request) (token string, src Source, reason Reason) {
	found := false
	for _, s := range a.sources {
		tok, res := s.lookup(r, a.maxSize)
		switch res {
		case absent:
			continue
		case present:
			if found {
				return "", Source{}, ReasonMultipleTokens
			}
			found, token, src = true, tok, s
		case repeated:
			return "", s, ReasonMultipleTokens
		case malformed:
			return "", s, ReasonMalformedRequest
		case tooLarge:
			return "", s, ReasonTokenTooLarge
		}
	}
	if !found {
		return "", Source{}, ReasonMissingToken
	}
	return token, src, ""
}

// refuse answers a refused request: headers first, then the error
// handler, with the log and the metric before both.
func (a *Auth[C]) refuse(w http.ResponseWriter, r *http.Request, rt *route[C], e *Error, start time.Time) {
	e.Status = e.Reason.Status()
	if e.Status == 0 { // an unknown reason cannot reach here; fail closed
		e.Reason, e.Status = ReasonInvalidToken, http.StatusUnauthorized
	}
	h := w.Header()
	switch e.Status {
	case http.StatusServiceUnavailable:
		e.RetryAfter = a.retryAfter
		h.Set("Retry-After", a.retryHdr)
	case http.StatusForbidden:
		e.Scope = slices.Clone(rt.scope) // the error handler may keep or change it
		fallthrough
	default:
		h.Set("WWW-Authenticate", challenge(a.realm, e))
	}
	// Errors about credentials must not be cached by anyone (RFC 6750 §3
	// leaves it open; RFC 9111 shared caches would otherwise be free to
	// keep a 401 keyed without the Authorization header).
	h.Set("Cache-Control", "no-store")

	if a.observe != nil {
		a.observe(r, Event{Reason: e.Reason, Status: e.Status, Source: e.Source, Duration: time.Since(start)})
	}
	if a.log != nil {
		a.logRefusal(r, e)
	}
	a.onError(w, r, e)
}

func (a *Auth[C]) logRefusal(r *http.Request, e *Error) {
	level := slog.LevelInfo
	switch {
	case e.Reason == ReasonMissingToken:
		level = slog.LevelDebug
	case e.Status >= 500:
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !a.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 5)
	attrs = append(attrs, slog.Int("status", e.Status), slog.String("reason", string(e.Reason)))
	if e.Source.kind != 0 {
		attrs = append(attrs, slog.String("source", e.Source.String()))
	}
	if r.Pattern != "" {
		attrs = append(attrs, slog.String("route", r.Pattern))
	}
	if e.Status >= 500 && e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	a.log.LogAttrs(ctx, level, "httpauth: request refused", attrs...)
}

// claimsKey is the context key of the claims, one per claims type, so that
// two Auths of different types never read each other's claims.
type claimsKey[C any] struct{}

// Claims returns the verified claims of a request admitted by one of a's
// middlewares, and false for an anonymous request (Optional) or a request
// that did not pass through one.
func (a *Auth[C]) Claims(r *http.Request) (C, bool) { return ClaimsFrom[C](r.Context()) }

// ClaimsFrom returns the claims of type C that an Auth[C] middleware put in
// ctx, and false when there are none (no middleware, an anonymous request,
// or claims of another type: *cognitojwt.Claims are not *oidc.Claims).
func ClaimsFrom[C any](ctx context.Context) (C, bool) {
	c, ok := ctx.Value(claimsKey[C]{}).(C)
	return c, ok
}

// isNil reports whether v holds a nil pointer, map, slice, func, chan or
// interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
