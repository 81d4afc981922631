package lambdaauth

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// Guard wraps Lambda handlers of HTTP-like events so that they run only
// for requests an httpauth middleware admits. Build it with [Require] or
// [Optional]; it is safe for concurrent use. A refused request is
// answered by the middleware itself, with httpauth's status, headers
// (WWW-Authenticate, Cache-Control: no-store, Retry-After on 503) and
// body, converted to the event's response type; the handler does not run.
// An admitted handler finds the claims with [httpauth.ClaimsFrom] on its
// context.
type Guard struct {
	mw func(http.Handler) http.Handler
}

// Require returns a Guard that admits a request only when
// a.Require(reqs...) would; see [httpauth.Auth.Require]. httpauth.Check
// requirements get a request with the event's method, path, query and
// headers (no body). It panics, at set-up, on a requirement the claims
// type cannot answer.
func Require[C any](a *httpauth.Auth[C], reqs ...httpauth.Requirement) *Guard {
	return &Guard{mw: a.Require(reqs...)}
}

// Optional returns a Guard that admits a request without a token as
// anonymous and refuses a bad token; see [httpauth.Auth.Optional].
func Optional[C any](a *httpauth.Auth[C]) *Guard {
	return &Guard{mw: a.Optional()}
}

// admit runs the middleware on r. It returns the admitted request's
// context and the headers the middleware set for the handler's response
// (Cache-Control: private after a query token, RFC 6750 §2.3), or a nil
// context and the refusal it wrote.
func (g *Guard) admit(r *http.Request) (context.Context, *recorder) {
	var ctx context.Context
	rec := &recorder{header: make(http.Header)}
	g.mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ctx = r.Context()
	})).ServeHTTP(rec, r)
	if ctx != nil {
		return ctx, rec
	}
	if rec.status == 0 { // an ErrorHandler that wrote nothing: fail closed
		rec.status = http.StatusUnauthorized
	}
	return nil, rec
}

// keep adds the headers the middleware set on an admitted request to the
// handler's response, where the handler did not set them itself.
func keep(set http.Header, single map[string]string, multi map[string][]string) (map[string]string, map[string][]string) {
	for k, vs := range set {
		if multi != nil {
			if _, ok := multi[k]; !ok {
				multi[k] = vs
			}
			continue
		}
		if single == nil {
			single = make(map[string]string, len(set))
		}
		if _, ok := single[k]; !ok {
			single[k] = vs[0]
		}
	}
	return single, multi
}

// APIGateway wraps a handler of API Gateway REST API (payload 1.0)
// proxy events. Headers and query parameters are read from the
// multi-value maps, which hold every value.
func (g *Guard) APIGateway(h func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		r := newRequest(ctx, ev.HTTPMethod, ev.Path, encodeQuery(ev.QueryStringParameters, ev.MultiValueQueryStringParameters), headers(ev.Headers, ev.MultiValueHeaders))
		actx, rec := g.admit(r)
		if actx == nil {
			body, b64 := encodeBody(rec)
			return events.APIGatewayProxyResponse{StatusCode: rec.status, MultiValueHeaders: rec.header, Body: body, IsBase64Encoded: b64}, nil
		}
		res, err := h(actx, ev)
		if len(rec.header) > 0 {
			res.Headers, res.MultiValueHeaders = keep(rec.header, res.Headers, res.MultiValueHeaders)
		}
		return res, err
	}
}

// APIGatewayV2 wraps a handler of API Gateway HTTP API (payload 2.0)
// events.
func (g *Guard) APIGatewayV2(h func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r := newRequest(ctx, ev.RequestContext.HTTP.Method, ev.RawPath, ev.RawQueryString, v2Headers(ev.Headers, ev.Cookies))
		actx, rec := g.admit(r)
		if actx == nil {
			body, b64 := encodeBody(rec)
			return events.APIGatewayV2HTTPResponse{StatusCode: rec.status, Headers: single(rec.header), Body: body, IsBase64Encoded: b64}, nil
		}
		res, err := h(actx, ev)
		if len(rec.header) > 0 {
			res.Headers, res.MultiValueHeaders = keep(rec.header, res.Headers, res.MultiValueHeaders)
		}
		return res, err
	}
}

// FunctionURL wraps a handler of Lambda Function URL events (payload
// 2.0). Use it only with the URL's auth type NONE: with AWS_IAM the
// caller already signed the request with SigV4, and bearer tokens are
// another scheme.
func (g *Guard) FunctionURL(h func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error)) func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	return func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		r := newRequest(ctx, ev.RequestContext.HTTP.Method, ev.RawPath, ev.RawQueryString, v2Headers(ev.Headers, ev.Cookies))
		actx, rec := g.admit(r)
		if actx == nil {
			body, b64 := encodeBody(rec)
			return events.LambdaFunctionURLResponse{StatusCode: rec.status, Headers: single(rec.header), Body: body, IsBase64Encoded: b64}, nil
		}
		res, err := h(actx, ev)
		if len(rec.header) > 0 {
			res.Headers, _ = keep(rec.header, res.Headers, nil)
		}
		return res, err
	}
}

// ALB wraps a handler of Application Load Balancer target events. The
// refusal uses multi-value headers when the request had them (the target
// group's setting decides, and ALB needs the response to match). Query
// parameters reach the middleware as ALB passes them, still
// percent-encoded.
func (g *Guard) ALB(h func(context.Context, events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error)) func(context.Context, events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
	return func(ctx context.Context, ev events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
		r := newRequest(ctx, ev.HTTPMethod, ev.Path, rawQuery(ev.QueryStringParameters, ev.MultiValueQueryStringParameters), headers(ev.Headers, ev.MultiValueHeaders))
		actx, rec := g.admit(r)
		if actx == nil {
			body, b64 := encodeBody(rec)
			res := events.ALBTargetGroupResponse{
				StatusCode:        rec.status,
				StatusDescription: strconv.Itoa(rec.status) + " " + http.StatusText(rec.status),
				Body:              body,
				IsBase64Encoded:   b64,
			}
			if ev.MultiValueHeaders != nil {
				res.MultiValueHeaders = rec.header
			} else {
				res.Headers = single(rec.header)
			}
			return res, nil
		}
		res, err := h(actx, ev)
		if len(rec.header) > 0 {
			res.Headers, res.MultiValueHeaders = keep(rec.header, res.Headers, res.MultiValueHeaders)
		}
		return res, err
	}
}

// encodeBody returns the refusal's body, in base64 when it is not valid
// text (an ErrorHandler of the user's may write anything).
func encodeBody(rec *recorder) (string, bool) {
	b := rec.body.Bytes()
	if isText(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}
