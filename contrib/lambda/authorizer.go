package lambdaauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// ErrUnauthorized is the error an [Authorizer] returns for a request
// without a usable token. Its text is exactly "Unauthorized", which API
// Gateway answers with 401; any other error makes it answer 500.
var ErrUnauthorized = errors.New("Unauthorized")

// AuthorizerOptions tunes an [Authorizer]. A nil *AuthorizerOptions means
// every default.
type AuthorizerOptions[C any] struct {
	// Require lists requirements the verified claims must meet
	// (httpauth.Scope, Group, TokenUse, Check); a token that fails one
	// gets a Deny policy (403). Nil means none.
	Require []httpauth.Requirement

	// PrincipalID returns the policy's principalId for verified claims.
	// Nil means the "sub" claim; a token without one is refused.
	PrincipalID func(c C) string

	// Context returns the authorizer context: the values API Gateway
	// passes to the integration ($context.authorizer.<key>, or
	// requestContext.authorizer in a proxy event). API Gateway accepts
	// only strings, numbers and booleans there, so a map with any other
	// value (a slice, a map, nil) fails the authorizer with an error
	// (API Gateway answers 500) rather than losing the value silently.
	// Nil means [FlattenClaims] of the token's claims.
	Context func(c C) (map[string]any, error)

	// Resources returns the resources an Allow policy grants, given the
	// method ARN of the request. Nil means the method ARN alone. With the
	// authorizer cache on, API Gateway applies a cached policy to every
	// method the same token calls, so a policy for one method denies the
	// others until the cache expires: return [StageResources] then, and
	// keep per-method rules out of the authorizer (see docs/LAMBDA.md).
	Resources func(methodARN string) []string
}

// Authorizer is an API Gateway Lambda authorizer that verifies bearer
// tokens through an httpauth.Auth. It is safe for concurrent use. Its
// methods are Lambda handlers: pass one to lambda.Start.
//
// Every method answers the same way: a request with no, a malformed or a
// refused token gets [ErrUnauthorized] (401); a token that fails a
// requirement gets a Deny policy (REST, HTTP IAM) or isAuthorized false
// (HTTP simple) (403); a key outage gets another error (500), never a
// 401, never an Allow; an admitted token gets an Allow policy or
// isAuthorized true, with the principal and the context.
type Authorizer[C any] struct {
	mw        func(http.Handler) http.Handler
	principal func(C) string
	context   func(C) (map[string]any, error)
	resources func(string) []string
}

type rawClaims interface{ Raw() []byte }

// NewAuthorizer returns an Authorizer that verifies tokens with a. It
// refuses a nil a, and default PrincipalID or Context when C has no
// Raw() []byte method to read claims from (*cognitojwt.Claims and
// *oidc.Claims have one). It panics, as httpauth's Require does, on a
// requirement C cannot answer.
func NewAuthorizer[C any](a *httpauth.Auth[C], opts *AuthorizerOptions[C]) (*Authorizer[C], error) {
	if a == nil {
		return nil, errors.New("lambdaauth: nil Auth")
	}
	var o AuthorizerOptions[C]
	if opts != nil {
		o = *opts
	}
	z := &Authorizer[C]{mw: a.Require(o.Require...), principal: o.PrincipalID, context: o.Context, resources: o.Resources}
	hasRaw := reflect.TypeFor[C]().Implements(reflect.TypeFor[rawClaims]())
	if (z.principal == nil || z.context == nil) && !hasRaw {
		return nil, fmt.Errorf("lambdaauth: %v has no Raw() []byte method: set PrincipalID and Context", reflect.TypeFor[C]())
	}
	if z.resources == nil {
		z.resources = func(arn string) []string { return []string{arn} }
	}
	return z, nil
}

// decision is the outcome of one authorization.
type decision struct {
	allow     bool
	principal string
	context   map[string]any
}

// decide runs the middleware on r and turns its outcome into a decision,
// or the error to return.
func (z *Authorizer[C]) decide(r *http.Request) (decision, error) {
	var (
		c  C
		ok bool
	)
	rec := &recorder{header: make(http.Header)}
	z.mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		c, ok = httpauth.ClaimsFrom[C](r.Context())
	})).ServeHTTP(rec, r)
	if !ok {
		switch rec.status {
		case http.StatusForbidden:
			return decision{principal: "unauthorized"}, nil
		case http.StatusServiceUnavailable:
			// Not "Unauthorized": a 401 would tell the client its token
			// is bad, and API Gateway would cache nothing useful.
			return decision{}, errors.New("lambdaauth: the token signing keys are unavailable")
		}
		return decision{}, ErrUnauthorized
	}
	d := decision{allow: true}
	var fields map[string]any
	if z.principal == nil || z.context == nil {
		var err error
		if fields, err = FlattenClaims(any(c).(rawClaims).Raw()); err != nil {
			return decision{}, err
		}
	}
	if z.principal != nil {
		d.principal = z.principal(c)
	} else if s, ok := fields["sub"].(string); ok {
		d.principal = s
	}
	if d.principal == "" {
		return decision{}, ErrUnauthorized
	}
	if z.context != nil {
		ctx, err := z.context(c)
		if err != nil {
			return decision{}, fmt.Errorf("lambdaauth: authorizer context: %w", err)
		}
		if err := checkContext(ctx); err != nil {
			return decision{}, err
		}
		d.context = ctx
	} else {
		d.context = fields
	}
	return d, nil
}

func (z *Authorizer[C]) policy(d decision, arn string) events.APIGatewayCustomAuthorizerPolicy {
	effect, res := "Deny", []string{arn}
	if d.allow {
		effect, res = "Allow", z.resources(arn)
	}
	return events.APIGatewayCustomAuthorizerPolicy{
		Version:   "2012-10-17",
		Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: res}},
	}
}

// Token is the handler of a REST API TOKEN authorizer. The identity
// source header's value (authorizationToken) is read as an Authorization
// header, so it must be "Bearer <token>" and the Auth must read the
// Bearer source (its default). The event has no method or path: an
// httpauth.Check requirement sees GET "/".
func (z *Authorizer[C]) Token(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	h := http.Header{}
	if ev.AuthorizationToken != "" {
		h.Set("Authorization", ev.AuthorizationToken)
	}
	d, err := z.decide(newRequest(ctx, "", "/", "", h))
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	return events.APIGatewayCustomAuthorizerResponse{PrincipalID: d.principal, PolicyDocument: z.policy(d, ev.MethodArn), Context: d.context}, nil
}

// Request is the handler of a REST API REQUEST authorizer: the Auth's
// sources (Bearer, Header, Cookie, Query) are read from the event's
// headers and query parameters, and requirements see its method and path.
func (z *Authorizer[C]) Request(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	r := newRequest(ctx, ev.HTTPMethod, ev.Path, encodeQuery(ev.QueryStringParameters, ev.MultiValueQueryStringParameters), headers(ev.Headers, ev.MultiValueHeaders))
	d, err := z.decide(r)
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	return events.APIGatewayCustomAuthorizerResponse{PrincipalID: d.principal, PolicyDocument: z.policy(d, ev.MethodArn), Context: d.context}, nil
}

func v2AuthorizerRequest(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) *http.Request {
	return newRequest(ctx, ev.RequestContext.HTTP.Method, ev.RawPath, ev.RawQueryString, v2Headers(ev.Headers, ev.Cookies))
}

// HTTPSimple is the handler of an HTTP API Lambda authorizer with payload
// format 2.0 and simple responses enabled.
func (z *Authorizer[C]) HTTPSimple(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	d, err := z.decide(v2AuthorizerRequest(ctx, ev))
	if err != nil {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, err
	}
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: d.allow, Context: d.context}, nil
}

// HTTPIAM is the handler of an HTTP API Lambda authorizer with payload
// format 2.0 answering with IAM policies; the resource is the route ARN.
func (z *Authorizer[C]) HTTPIAM(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerIAMPolicyResponse, error) {
	d, err := z.decide(v2AuthorizerRequest(ctx, ev))
	if err != nil {
		return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{}, err
	}
	return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{PrincipalID: d.principal, PolicyDocument: z.policy(d, ev.RouteArn), Context: d.context}, nil
}

// StageResources returns the ARN of every method and path of the stage
// that methodARN belongs to ("arn:aws:execute-api:region:account:api/stage/*/*"),
// for [AuthorizerOptions.Resources] when the authorizer cache is on. It
// returns methodARN alone when it is not an execute-api method ARN, so a
// surprise never widens a policy.
func StageResources(methodARN string) []string {
	head, path, ok := strings.Cut(methodARN, "/")
	if !ok || !strings.HasPrefix(head, "arn:") || !strings.Contains(head, ":execute-api:") {
		return []string{methodARN}
	}
	stage, _, ok := strings.Cut(path, "/")
	if !ok || stage == "" {
		return []string{methodARN}
	}
	return []string{head + "/" + stage + "/*/*"}
}

// FlattenClaims returns the members of a JSON claims object in the form
// API Gateway accepts in an authorizer context: strings, numbers (as
// json.Number, exactly as written) and booleans as they are; arrays and
// objects (cognito:groups, a custom claim of a pre-token-generation
// trigger) as their JSON text, so that a handler reads them one way with
// json.Unmarshal; null members are left out. It refuses anything that is
// not one JSON object.
func FlattenClaims(raw []byte) (map[string]any, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("lambdaauth: claims are not a JSON object")
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || string(v) == "null":
			continue
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("lambdaauth: claim %q: %w", k, err)
			}
			out[k] = s
		case string(v) == "true":
			out[k] = true
		case string(v) == "false":
			out[k] = false
		case v[0] == '[' || v[0] == '{':
			out[k] = string(v)
		default:
			out[k] = json.Number(v)
		}
	}
	return out, nil
}

// checkContext refuses values API Gateway would fail the request for.
func checkContext(ctx map[string]any) error {
	for k, v := range ctx {
		switch v.(type) {
		case string, bool, json.Number, int, int64, int32, uint, uint32, uint64, float64, float32:
		default:
			return fmt.Errorf("lambdaauth: authorizer context %q is a %T: API Gateway takes only strings, numbers and booleans", k, v)
		}
	}
	return nil
}
