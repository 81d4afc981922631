package lambdaauth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	lambdaauth "github.com/cognitojwt/cognitojwt/contrib/lambda"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

type env struct {
	iss  *cognitotest.Issuer
	auth *httpauth.Auth[*cognitojwt.Claims]
	// tokens
	alice, bob, expired string
}

func setup(t testing.TB) env {
	t.Helper()
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	return env{
		iss:     iss,
		auth:    auth,
		alice:   iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}, Groups: []string{"admin", "staff"}}),
		bob:     iss.AccessToken(cognitotest.TokenOptions{Username: "bob"}),
		expired: iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}, Expired: true}),
	}
}

// event reads a fixture with the Authorization value filled in ("" drops
// it from the JSON text, leaving an empty value, which the tests that
// need no header replace).
func event(t testing.TB, name, authorization string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), "{{AUTHORIZATION}}", authorization))
}

// noAuthorization removes every authorization header of a fixture.
func noAuthorization(t testing.TB, name string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(event(t, name, ""), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"headers", "multiValueHeaders"} {
		if h, ok := m[k].(map[string]any); ok {
			delete(h, "authorization")
			delete(h, "Authorization")
		}
	}
	delete(m, "authorizationToken")
	b, _ := json.Marshal(m)
	return b
}

// invoke runs handler through aws-lambda-go's own handler machinery, as
// the runtime does: JSON in, JSON out.
func invoke(t testing.TB, handler any, payload []byte, out any) error {
	t.Helper()
	res, err := lambda.NewHandler(handler).Invoke(context.Background(), payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("response %s: %v", res, err)
	}
	return nil
}

// TestFixturesRoundTrip: the fixtures are the shapes aws-lambda-go's
// events types read; nothing the adapters use is lost in a round trip.
func TestFixturesRoundTrip(t *testing.T) {
	for name, typ := range map[string]any{
		"rest-token-authorizer.json":   &events.APIGatewayCustomAuthorizerRequest{},
		"rest-request-authorizer.json": &events.APIGatewayCustomAuthorizerRequestTypeRequest{},
		"http-authorizer-v2.json":      &events.APIGatewayV2CustomAuthorizerV2Request{},
		"rest-proxy.json":              &events.APIGatewayProxyRequest{},
		"http-proxy-v2.json":           &events.APIGatewayV2HTTPRequest{},
		"function-url.json":            &events.LambdaFunctionURLRequest{},
		"alb-target.json":              &events.ALBTargetGroupRequest{},
		"alb-target-multivalue.json":   &events.ALBTargetGroupRequest{},
	} {
		raw := event(t, name, "Bearer x.y.z")
		if err := json.Unmarshal(raw, typ); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		again, err := json.Marshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		second := reflect.New(reflect.TypeOf(typ).Elem()).Interface()
		if err := json.Unmarshal(again, second); err != nil || !reflect.DeepEqual(typ, second) {
			t.Errorf("%s: round trip changed the event: %v", name, err)
		}
		if !strings.Contains(string(again), "Bearer x.y.z") {
			t.Errorf("%s: the authorization value was lost", name)
		}
	}
}

func TestRESTAuthorizer(t *testing.T) {
	e := setup(t)
	z, err := lambdaauth.NewAuthorizer(e.auth, &lambdaauth.AuthorizerOptions[*cognitojwt.Claims]{
		Require: []httpauth.Requirement{httpauth.Scope("orders/read")},
	})
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders"
	for _, kind := range []struct {
		name    string
		handler any
		fixture string
		arn     string
	}{
		{"TOKEN", z.Token, "rest-token-authorizer.json", arn},
		{"REQUEST", z.Request, "rest-request-authorizer.json", arn + "/7"},
	} {
		t.Run(kind.name, func(t *testing.T) {
			for _, tc := range []struct {
				name, authorization string
				effect, err         string
			}{
				{"allowed", "Bearer " + e.alice, "Allow", ""},
				{"lower-case scheme", "bearer " + e.alice, "Allow", ""},
				{"no scope", "Bearer " + e.bob, "Deny", ""},
				{"expired", "Bearer " + e.expired, "", "Unauthorized"},
				{"no scheme", e.alice, "", "Unauthorized"},
				{"garbage", "Bearer a.b.c", "", "Unauthorized"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var res events.APIGatewayCustomAuthorizerResponse
					err := invoke(t, kind.handler, event(t, kind.fixture, tc.authorization), &res)
					if tc.err != "" {
						if err == nil || err.Error() != tc.err {
							t.Fatalf("err = %v, want %q (response %+v)", err, tc.err, res)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					st := res.PolicyDocument.Statement
					if res.PolicyDocument.Version != "2012-10-17" || len(st) != 1 || st[0].Effect != tc.effect ||
						!reflect.DeepEqual(st[0].Resource, []string{kind.arn}) || !reflect.DeepEqual(st[0].Action, []string{"execute-api:Invoke"}) {
						t.Fatalf("policy %+v", res.PolicyDocument)
					}
					if tc.effect == "Deny" {
						if len(res.Context) != 0 {
							t.Errorf("Deny carries context %v", res.Context)
						}
						return
					}
					if res.PrincipalID != e.iss.Subject("alice") {
						t.Errorf("principalId %q", res.PrincipalID)
					}
					checkContext(t, res.Context)
				})
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		var res events.APIGatewayCustomAuthorizerResponse
		if err := invoke(t, z.Request, noAuthorization(t, "rest-request-authorizer.json"), &res); err == nil || err.Error() != "Unauthorized" {
			t.Errorf("err = %v", err)
		}
		if err := invoke(t, z.Token, noAuthorization(t, "rest-token-authorizer.json"), &res); err == nil || err.Error() != "Unauthorized" {
			t.Errorf("TOKEN err = %v", err)
		}
	})
	t.Run("keys unavailable", func(t *testing.T) {
		e2 := setup(t)
		z2, err := lambdaauth.NewAuthorizer(e2.auth, nil)
		if err != nil {
			t.Fatal(err)
		}
		e2.iss.SetJWKSStatus(502)
		var res events.APIGatewayCustomAuthorizerResponse
		err = invoke(t, z2.Token, event(t, "rest-token-authorizer.json", "Bearer "+e2.alice), &res)
		if err == nil || err.Error() == "Unauthorized" || res.PolicyDocument.Statement != nil {
			t.Errorf("outage: err = %v, policy %+v", err, res.PolicyDocument)
		}
	})
}

// checkContext: the claims are in the context as strings, numbers and
// booleans only, arrays as their JSON text.
func checkContext(t *testing.T, ctx map[string]any) {
	t.Helper()
	if ctx["username"] != "alice" || ctx["token_use"] != "access" || ctx["scope"] != "orders/read" {
		t.Errorf("context %v", ctx)
	}
	if ctx["cognito:groups"] != `["admin","staff"]` {
		t.Errorf("groups %#v", ctx["cognito:groups"])
	}
	if _, ok := ctx["exp"].(float64); !ok { // a JSON number after the round trip
		t.Errorf("exp %#v", ctx["exp"])
	}
	for k, v := range ctx {
		switch v.(type) {
		case string, float64, bool:
		default:
			t.Errorf("context %q is a %T", k, v)
		}
	}
}

func TestHTTPAuthorizer(t *testing.T) {
	e := setup(t)
	z, err := lambdaauth.NewAuthorizer(e.auth, &lambdaauth.AuthorizerOptions[*cognitojwt.Claims]{
		Require: []httpauth.Requirement{httpauth.Group("admin")},
	})
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:execute-api:us-east-1:123456789012:f9g8h7j6k5/$default/GET/orders"
	for _, tc := range []struct {
		name, authorization string
		allow               bool
		err                 string
	}{
		{"allowed", "Bearer " + e.alice, true, ""},
		{"no group", "Bearer " + e.bob, false, ""},
		{"expired", "Bearer " + e.expired, false, "Unauthorized"},
		{"two tokens", "Bearer " + e.alice + ",Bearer " + e.alice, false, "Unauthorized"},
	} {
		t.Run("simple/"+tc.name, func(t *testing.T) {
			var res events.APIGatewayV2CustomAuthorizerSimpleResponse
			err := invoke(t, z.HTTPSimple, event(t, "http-authorizer-v2.json", tc.authorization), &res)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || res.IsAuthorized != tc.allow {
				t.Fatalf("err %v, isAuthorized %v", err, res.IsAuthorized)
			}
			if tc.allow {
				checkContext(t, res.Context)
			} else if len(res.Context) != 0 {
				t.Errorf("refusal carries context %v", res.Context)
			}
		})
		t.Run("iam/"+tc.name, func(t *testing.T) {
			var res events.APIGatewayV2CustomAuthorizerIAMPolicyResponse
			err := invoke(t, z.HTTPIAM, event(t, "http-authorizer-v2.json", tc.authorization), &res)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{true: "Allow", false: "Deny"}[tc.allow]
			st := res.PolicyDocument.Statement
			if len(st) != 1 || st[0].Effect != want || !reflect.DeepEqual(st[0].Resource, []string{arn}) {
				t.Fatalf("policy %+v", res.PolicyDocument)
			}
		})
	}
}

func TestAuthorizerOptions(t *testing.T) {
	e := setup(t)
	z, err := lambdaauth.NewAuthorizer(e.auth, &lambdaauth.AuthorizerOptions[*cognitojwt.Claims]{
		PrincipalID: func(c *cognitojwt.Claims) string { return "user:" + c.Username },
		Context: func(c *cognitojwt.Claims) (map[string]any, error) {
			return map[string]any{"user": c.Username, "admin": c.InGroup("admin")}, nil
		},
		Resources: lambdaauth.StageResources,
	})
	if err != nil {
		t.Fatal(err)
	}
	var res events.APIGatewayCustomAuthorizerResponse
	if err := invoke(t, z.Token, event(t, "rest-token-authorizer.json", "Bearer "+e.alice), &res); err != nil {
		t.Fatal(err)
	}
	if res.PrincipalID != "user:alice" || !reflect.DeepEqual(res.Context, map[string]any{"user": "alice", "admin": true}) ||
		!reflect.DeepEqual(res.PolicyDocument.Statement[0].Resource, []string{"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/*/*"}) {
		t.Errorf("response %+v", res)
	}

	// A context value API Gateway would refuse fails the authorizer (500),
	// rather than being dropped.
	bad, err := lambdaauth.NewAuthorizer(e.auth, &lambdaauth.AuthorizerOptions[*cognitojwt.Claims]{
		Context: func(c *cognitojwt.Claims) (map[string]any, error) { return map[string]any{"groups": c.Groups}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	err = invoke(t, bad.Token, event(t, "rest-token-authorizer.json", "Bearer "+e.alice), &res)
	if err == nil || err.Error() == "Unauthorized" {
		t.Errorf("slice in context: %v", err)
	}

	if _, err := lambdaauth.NewAuthorizer[*cognitojwt.Claims](nil, nil); err == nil {
		t.Error("nil Auth accepted")
	}
	sa, err := httpauth.New(stringVerifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambdaauth.NewAuthorizer(sa, nil); err == nil {
		t.Error("claims without Raw accepted with default PrincipalID")
	}
}

type stringVerifier struct{}

func (stringVerifier) Verify(context.Context, string) (string, error) { return "x", nil }

func TestStageResources(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/orders/7": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/*/*",
		"arn:aws:execute-api:us-east-1:123456789012:f9g8h7j6k5/$default/GET/":     "arn:aws:execute-api:us-east-1:123456789012:f9g8h7j6k5/$default/*/*",
		"arn:aws:s3:::bucket/key/x":  "arn:aws:s3:::bucket/key/x",
		"not an arn":                 "not an arn",
		"arn:aws:execute-api:x:y:z/": "arn:aws:execute-api:x:y:z/",
	} {
		if got := lambdaauth.StageResources(in); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("StageResources(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFlattenClaims(t *testing.T) {
	got, err := lambdaauth.FlattenClaims([]byte(`{"sub":"s","n":1.50,"b":false,"a":["x"],"o":{"k":1},"z":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"sub": "s", "n": json.Number("1.50"), "b": false, "a": `["x"]`, "o": `{"k":1}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	for _, bad := range []string{``, `[]`, `"s"`, `null`, `{`, `{"a":1}{}`} {
		if _, err := lambdaauth.FlattenClaims([]byte(bad)); err == nil {
			t.Errorf("FlattenClaims(%q) accepted", bad)
		}
	}
}
