package lambdaauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cognitojwt/cognitojwt"
	lambdaauth "github.com/cognitojwt/cognitojwt/contrib/lambda"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// response is what the tests read of every event kind's response.
type response struct {
	status int
	header http.Header
	body   string
}

func user(ctx context.Context) string {
	c, ok := httpauth.ClaimsFrom[*cognitojwt.Claims](ctx)
	if !ok {
		return "anonymous"
	}
	return c.Username
}

// kinds wraps one handler per event kind with g, and invokes each through
// aws-lambda-go's handler machinery.
func kinds(g *lambdaauth.Guard, ran *atomic.Int64) map[string]struct {
	fixture string
	handler any
	read    func(t *testing.T, raw []byte) response
} {
	type kind = struct {
		fixture string
		handler any
		read    func(t *testing.T, raw []byte) response
	}
	decode := func(t *testing.T, raw []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	one := func(m map[string]string) http.Header {
		h := http.Header{}
		for k, v := range m {
			h.Set(k, v)
		}
		return h
	}
	return map[string]kind{
		"rest": {"rest-proxy.json", g.APIGateway(func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			ran.Add(1)
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: user(ctx) + " " + ev.Path}, nil
		}), func(t *testing.T, raw []byte) response {
			var r events.APIGatewayProxyResponse
			decode(t, raw, &r)
			return response{r.StatusCode, http.Header(r.MultiValueHeaders), r.Body}
		}},
		"http": {"http-proxy-v2.json", g.APIGatewayV2(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			ran.Add(1)
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: user(ctx) + " " + ev.RawPath}, nil
		}), func(t *testing.T, raw []byte) response {
			var r events.APIGatewayV2HTTPResponse
			decode(t, raw, &r)
			return response{r.StatusCode, one(r.Headers), r.Body}
		}},
		"function-url": {"function-url.json", g.FunctionURL(func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
			ran.Add(1)
			return events.LambdaFunctionURLResponse{StatusCode: 200, Body: user(ctx) + " " + ev.RawPath}, nil
		}), func(t *testing.T, raw []byte) response {
			var r events.LambdaFunctionURLResponse
			decode(t, raw, &r)
			return response{r.StatusCode, one(r.Headers), r.Body}
		}},
		"alb": {"alb-target.json", g.ALB(albHandler(ran)), func(t *testing.T, raw []byte) response {
			var r events.ALBTargetGroupResponse
			decode(t, raw, &r)
			if r.MultiValueHeaders != nil || (r.StatusCode != 200 && r.StatusDescription == "") {
				t.Errorf("ALB response %+v", r)
			}
			return response{r.StatusCode, one(r.Headers), r.Body}
		}},
		"alb-multivalue": {"alb-target-multivalue.json", g.ALB(albHandler(ran)), func(t *testing.T, raw []byte) response {
			var r events.ALBTargetGroupResponse
			decode(t, raw, &r)
			if r.StatusCode != 200 && (r.Headers != nil || r.StatusDescription == "") {
				t.Errorf("ALB multi-value response %+v", r)
			}
			return response{r.StatusCode, http.Header(r.MultiValueHeaders), r.Body}
		}},
	}
}

func albHandler(ran *atomic.Int64) func(context.Context, events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
	return func(ctx context.Context, ev events.ALBTargetGroupRequest) (events.ALBTargetGroupResponse, error) {
		ran.Add(1)
		return events.ALBTargetGroupResponse{StatusCode: 200, StatusDescription: "200 OK", Body: user(ctx) + " " + ev.Path}, nil
	}
}

func TestGuard(t *testing.T) {
	e := setup(t)
	ran := new(atomic.Int64)
	g := lambdaauth.Require(e.auth, httpauth.Scope("orders/read"))
	for name, k := range kinds(g, ran) {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				name    string
				payload []byte
				status  int
				www     string
			}{
				{"admitted", event(t, k.fixture, "Bearer "+e.alice), 200, ""},
				{"no token", noAuthorization(t, k.fixture), 401, `Bearer realm="api"`},
				{"expired", event(t, k.fixture, "Bearer "+e.expired), 401, `Bearer realm="api", error="invalid_token", error_description="the access token expired"`},
				{"malformed", event(t, k.fixture, "Bearer a b"), 400, `Bearer realm="api", error="invalid_request", error_description="the request does not carry a well-formed bearer token"`},
				{"no scope", event(t, k.fixture, "Bearer "+e.bob), 403, `Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders/read"`},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := ran.Load()
					raw, err := invokeRaw(k.handler, tc.payload)
					if err != nil {
						t.Fatal(err)
					}
					res := k.read(t, raw)
					if res.status != tc.status {
						t.Fatalf("status %d, want %d: %s", res.status, tc.status, raw)
					}
					if tc.status == 200 {
						if res.body != "alice /orders" || ran.Load()-before != 1 {
							t.Errorf("body %q", res.body)
						}
						return
					}
					if ran.Load() != before {
						t.Error("handler ran for a refused request")
					}
					if got := res.header.Get("WWW-Authenticate"); got != tc.www {
						t.Errorf("WWW-Authenticate %q\nwant %q", got, tc.www)
					}
					if res.header.Get("Content-Type") != "application/problem+json" || res.header.Get("Cache-Control") != "no-store" {
						t.Errorf("headers %v", res.header)
					}
					var p struct {
						Status int
						Reason string
					}
					if err := json.Unmarshal([]byte(res.body), &p); err != nil || p.Status != tc.status {
						t.Errorf("body %q", res.body)
					}
				})
			}
		})
	}
}

func invokeRaw(handler any, payload []byte) ([]byte, error) {
	return lambda.NewHandler(handler).Invoke(context.Background(), payload)
}

func TestGuardKeysUnavailable(t *testing.T) {
	e := setup(t)
	e.iss.SetJWKSStatus(502)
	ran := new(atomic.Int64)
	for name, k := range kinds(lambdaauth.Require(e.auth), ran) {
		raw, err := invokeRaw(k.handler, event(t, k.fixture, "Bearer "+e.alice))
		if err != nil {
			t.Fatal(err)
		}
		res := k.read(t, raw)
		if res.status != 503 || res.header.Get("Retry-After") != "5" || res.header.Get("WWW-Authenticate") != "" {
			t.Errorf("%s: %d %v", name, res.status, res.header)
		}
	}
	if ran.Load() != 0 {
		t.Error("handler ran during an outage")
	}
}

func TestGuardOptional(t *testing.T) {
	e := setup(t)
	ran := new(atomic.Int64)
	for name, k := range kinds(lambdaauth.Optional(e.auth), ran) {
		raw, err := invokeRaw(k.handler, noAuthorization(t, k.fixture))
		if err != nil {
			t.Fatal(err)
		}
		if res := k.read(t, raw); res.status != 200 || res.body != "anonymous /orders" {
			t.Errorf("%s anonymous: %d %q", name, res.status, res.body)
		}
		raw, err = invokeRaw(k.handler, event(t, k.fixture, "Bearer "+e.expired))
		if err != nil {
			t.Fatal(err)
		}
		if res := k.read(t, raw); res.status != 401 {
			t.Errorf("%s expired: %d", name, res.status)
		}
	}
}

// Two Authorization fields in a REST event (multi-value headers hold
// both) are refused, as httpauth refuses them.
func TestGuardTwoAuthorizationFields(t *testing.T) {
	e := setup(t)
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(event(t, "rest-proxy.json", "Bearer "+e.alice), &ev); err != nil {
		t.Fatal(err)
	}
	ev.MultiValueHeaders["Authorization"] = append(ev.MultiValueHeaders["Authorization"], "Bearer "+e.alice)
	h := lambdaauth.Require(e.auth).APIGateway(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		t.Error("handler ran")
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	})
	res, err := h(t.Context(), ev)
	if err != nil || res.StatusCode != 400 {
		t.Errorf("%v %d", err, res.StatusCode)
	}
}

// A token from the query string (only when listed in Options.Sources)
// makes httpauth mark the response private (RFC 6750 §2.3); the Guard
// keeps that header on the handler's response, without overriding one
// the handler set.
func TestGuardQueryTokenIsPrivate(t *testing.T) {
	e := setup(t)
	v, err := cognitojwt.New(e.iss.Config(cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{Sources: []httpauth.Source{httpauth.Bearer(), httpauth.Query("")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, own := range []string{"", "no-store"} {
		h := lambdaauth.Require(auth).APIGatewayV2(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			res := events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: user(ctx)}
			if own != "" {
				res.Headers = map[string]string{"Cache-Control": own}
			}
			return res, nil
		})
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/orders", RawQueryString: "access_token=" + e.bob}
		ev.RequestContext.HTTP.Method = "GET"
		res, err := h(t.Context(), ev)
		want := map[string]string{"": "private", "no-store": "no-store"}[own]
		if err != nil || res.StatusCode != 200 || res.Body != "bob" || res.Headers["Cache-Control"] != want {
			t.Errorf("own %q: %v %+v", own, err, res)
		}
	}
}
