package grpcauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Service prefixes of the standard services, for keys of
// [Options.Methods].
const (
	// HealthService is grpc.health.v1.Health, which load balancers and
	// Kubernetes probes call without a token. It is anonymous by default
	// (see [Options.Methods]).
	HealthService = "/grpc.health.v1.Health/"

	// ReflectionService and ReflectionServiceV1Alpha are server
	// reflection, which describes every service and message of the
	// server. They follow [Options.Default] (a valid token) unless
	// Methods names them: the schema of an API is information for its
	// users, not for anyone who can reach the port.
	ReflectionService        = "/grpc.reflection.v1.ServerReflection/"
	ReflectionServiceV1Alpha = "/grpc.reflection.v1alpha.ServerReflection/"
)

// Policy is what a method requires of a call. The zero Policy requires a
// valid token and nothing more.
type Policy struct {
	// Anonymous admits calls that carry no token; [Claims] then reports
	// false. A call that carries a token is still verified, and refused
	// when the token is bad (as httpauth's Optional), so that a client
	// learns its token is bad.
	Anonymous bool

	// Require lists requirements the verified claims must meet, built
	// with httpauth.Scope, AllScopes, Group, AllGroups and TokenUse; all
	// must hold. httpauth.Check is refused by [New] (it takes an HTTP
	// request): use [Options.Check]. Nil means none.
	Require []httpauth.Requirement
}

// Options tunes an [Auth]. A nil *Options means every default: every
// method requires a valid token, the health service is anonymous.
type Options[C any] struct {
	// Methods maps a full method name ("/package.Service/Method") or a
	// service prefix ("/package.Service/") to the policy of its calls. A
	// full name wins over its service's prefix; a method that neither
	// names gets Default. No other form is accepted: New refuses a key
	// that is not "/service/" or "/service/method" (a package prefix, a
	// missing slash, a bare "/"), because a key read as a prefix by one
	// person and as a name by another is a hole.
	//
	// [HealthService] is anonymous unless Methods has a key for it or for
	// one of its methods; a key for it, even the zero Policy, makes it
	// require what that policy says.
	Methods map[string]Policy

	// Default is the policy of methods Methods does not name. The zero
	// value requires a valid token.
	Default Policy

	// Check, when not nil, runs after every requirement of the method's
	// policy, with the call's context and full method name, for rules
	// that need both (a tenant in the request metadata that must match a
	// claim). False refuses the call with PermissionDenied (reason
	// "forbidden"). It is not called for anonymous calls.
	Check func(ctx context.Context, method string, c C) bool

	// MaxTokenSize is the largest token accepted, in bytes; a larger one
	// is refused before the verifier sees it. Zero means
	// httpauth.DefaultMaxTokenSize (16 KiB); negative is refused by New.
	MaxTokenSize int

	// Logger, when not nil, records each refusal: the code, the reason
	// and the method, never the token; the verifier's error only for
	// Unavailable. Missing tokens are logged at Debug, other refusals at
	// Info, Unavailable at Warn. Nil means no output.
	Logger *slog.Logger
}

// Auth verifies the tokens of gRPC calls. Build it once with [New]; it is
// safe for concurrent use.
type Auth[C any] struct {
	v       httpauth.Verifier[C]
	methods map[string]*policy[C]
	def     *policy[C]
	check   func(context.Context, string, C) bool
	maxSize int
	log     *slog.Logger
	nilable bool
}

type policy[C any] struct {
	anonymous bool
	rules     *httpauth.Rules[C]
}

// New returns an Auth that verifies tokens with v; C, the claims type, is
// inferred from v's Verify method. It refuses a nil verifier, a malformed
// Methods key, a requirement C cannot answer (httpauth.NewRules's
// errors), httpauth.Check, and a negative MaxTokenSize.
func New[C any](v httpauth.Verifier[C], opts *Options[C]) (*Auth[C], error) {
	if v == nil || isNil(v) {
		return nil, errors.New("grpcauth: nil verifier")
	}
	var o Options[C]
	if opts != nil {
		o = *opts
	}
	a := &Auth[C]{v: v, methods: make(map[string]*policy[C], len(o.Methods)+1), check: o.Check, maxSize: o.MaxTokenSize, log: o.Logger}
	switch {
	case a.maxSize == 0:
		a.maxSize = httpauth.DefaultMaxTokenSize
	case a.maxSize < 0:
		return nil, fmt.Errorf("grpcauth: negative MaxTokenSize %d", a.maxSize)
	}
	var err error
	if a.def, err = compilePolicy[C]("Default", o.Default); err != nil {
		return nil, err
	}
	healthNamed := false
	for key, p := range o.Methods {
		if err := validKey(key); err != nil {
			return nil, err
		}
		if strings.HasPrefix(key, HealthService) {
			healthNamed = true
		}
		if a.methods[key], err = compilePolicy[C](key, p); err != nil {
			return nil, err
		}
	}
	if !healthNamed {
		a.methods[HealthService] = &policy[C]{anonymous: true}
	}
	switch reflect.TypeFor[C]().Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		a.nilable = true
	}
	return a, nil
}

func compilePolicy[C any](name string, p Policy) (*policy[C], error) {
	r, err := httpauth.NewRules[C](p.Require...)
	if err != nil {
		return nil, fmt.Errorf("grpcauth: policy %s: %s", name, strings.TrimPrefix(err.Error(), "httpauth: "))
	}
	return &policy[C]{anonymous: p.Anonymous, rules: r}, nil
}

// validKey accepts "/service/" and "/service/method", where neither part
// is empty or holds a slash or whitespace.
func validKey(key string) error {
	rest, ok := strings.CutPrefix(key, "/")
	svc, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || svc == "" || strings.Contains(method, "/") || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return fmt.Errorf("grpcauth: invalid Methods key %q: want \"/package.Service/\" or \"/package.Service/Method\"", key)
	}
	return nil
}

// policyOf returns the policy of a full method name: its own entry, else
// its service's, else the default.
func (a *Auth[C]) policyOf(method string) *policy[C] {
	if p, ok := a.methods[method]; ok {
		return p
	}
	if i := strings.LastIndexByte(method, '/'); i > 0 {
		if p, ok := a.methods[method[:i+1]]; ok {
			return p
		}
	}
	return a.def
}

// Authenticate verifies the call to method whose incoming context is ctx,
// and returns ctx with the claims in it (unchanged for an anonymous call),
// or a status error: Unauthenticated, PermissionDenied or Unavailable.
// The interceptors and [Auth.AuthFunc] call it; call it yourself from an
// interceptor of your own.
func (a *Auth[C]) Authenticate(ctx context.Context, method string) (context.Context, error) {
	p := a.policyOf(method)
	token, reason := a.extract(ctx)
	if reason == httpauth.ReasonMissingToken && p.anonymous {
		return ctx, nil
	}
	if reason != "" {
		return nil, a.refuse(ctx, method, reason, nil)
	}
	c, err := a.v.Verify(ctx, token)
	if err != nil {
		return nil, a.refuse(ctx, method, httpauth.Classify(err), err)
	}
	if a.nilable && isNil(c) {
		return nil, a.refuse(ctx, method, httpauth.ReasonInvalidToken, nil) // a broken verifier: fail closed
	}
	if reason := p.rules.Allow(c); reason != "" {
		return nil, a.refuse(ctx, method, reason, nil)
	}
	if a.check != nil && !a.check(ctx, method, c) {
		return nil, a.refuse(ctx, method, httpauth.ReasonForbidden, nil)
	}
	return httpauth.ContextWithClaims(ctx, c), nil
}

// extract reads the one bearer token of the call's metadata.
func (a *Auth[C]) extract(ctx context.Context) (string, httpauth.Reason) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	switch len(vals) {
	case 0:
		return "", httpauth.ReasonMissingToken
	case 1:
	default:
		// Several values: which one is the credential is ambiguous.
		return "", httpauth.ReasonMultipleTokens
	}
	v := vals[0]
	// Refuse a huge value before scanning it; the slack is the scheme
	// and its spaces.
	if len(v) > a.maxSize+64 {
		return "", httpauth.ReasonTokenTooLarge
	}
	tok, ok := httpauth.ParseAuthorization(v)
	if !ok {
		// gRPC has no other scheme in use in this field: anything that
		// is not a Bearer credential is a malformed one.
		return "", httpauth.ReasonMalformedRequest
	}
	if len(tok) > a.maxSize {
		return "", httpauth.ReasonTokenTooLarge
	}
	return tok, ""
}

// Code returns the gRPC code of a refusal for reason: Unauthenticated for
// 400 and 401 reasons (the credentials are missing or unusable),
// PermissionDenied for 403, Unavailable for 503, and Unauthenticated for
// a reason it does not know, failing closed.
func Code(reason httpauth.Reason) codes.Code {
	switch reason.Status() {
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Unauthenticated
}

func (a *Auth[C]) refuse(ctx context.Context, method string, reason httpauth.Reason, err error) error {
	code := Code(reason)
	if a.log != nil {
		level := slog.LevelInfo
		switch {
		case reason == httpauth.ReasonMissingToken:
			level = slog.LevelDebug
		case code == codes.Unavailable:
			level = slog.LevelWarn
		}
		if a.log.Enabled(ctx, level) {
			attrs := []slog.Attr{slog.String("code", code.String()), slog.String("reason", string(reason)), slog.String("method", method)}
			if code == codes.Unavailable && err != nil {
				attrs = append(attrs, slog.String("error", err.Error()))
			}
			a.log.LogAttrs(ctx, level, "grpcauth: call refused", attrs...)
		}
	}
	desc := reason.Description()
	if desc == "" {
		desc = httpauth.ReasonInvalidToken.Description()
	}
	return status.Error(code, desc)
}

// UnaryServerInterceptor returns an interceptor that calls the handler
// only for calls [Auth.Authenticate] admits, with the claims in the
// handler's context.
func (a *Auth[C]) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := a.Authenticate(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns an interceptor that calls the handler
// only for streams [Auth.Authenticate] admits, before any message is
// read; the stream's Context carries the claims.
func (a *Auth[C]) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := a.Authenticate(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &stream{ServerStream: ss, ctx: ctx})
	}
}

// AuthFunc is [Auth.Authenticate] for the method of the call in ctx
// (grpc.Method), in the shape of go-grpc-middleware/v2's auth.AuthFunc:
//
//	grpc.ChainUnaryInterceptor(logging..., auth.UnaryServerInterceptor(a.AuthFunc))
//
// A context with no method (not a server call) is refused with
// Unauthenticated.
func (a *Auth[C]) AuthFunc(ctx context.Context) (context.Context, error) {
	method, ok := grpc.Method(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, httpauth.ReasonInvalidToken.Description())
	}
	return a.Authenticate(ctx, method)
}

// Claims returns the verified claims of the call, put in its context by
// an Auth[C], and false when there are none (an anonymous call, or no
// Auth). It is [httpauth.ClaimsFrom]: handlers shared with net/http code
// read claims the same way.
func Claims[C any](ctx context.Context) (C, bool) { return httpauth.ClaimsFrom[C](ctx) }

// stream is a ServerStream whose context carries the claims.
type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }

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
