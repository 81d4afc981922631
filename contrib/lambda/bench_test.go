package lambdaauth_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	lambdaauth "github.com/cognitojwt/cognitojwt/contrib/lambda"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// BenchmarkColdStart is what a new execution environment pays before its
// first answer: New (config checks), Hydrate (one JWKS fetch from a
// loopback cognitotest issuer) and the first Verify of a token (a full
// RSA signature check, nothing cached). "init" stops after Hydrate;
// "first-request" adds the first verification. A real JWKS fetch from
// Cognito adds the network round trip to the Region's endpoint.
func BenchmarkColdStart(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	cfg := iss.Config(cognitojwt.AccessToken)
	tok := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	for _, first := range []bool{false, true} {
		name := map[bool]string{false: "init", true: "first-request"}[first]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := cognitojwt.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				if err := v.Hydrate(context.Background()); err != nil {
					b.Fatal(err)
				}
				if first {
					if _, err := v.Verify(context.Background(), tok); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkGuard is one warm invocation of an HTTP API (payload 2.0)
// handler through aws-lambda-go's handler machinery (JSON decode, call,
// JSON encode): "bare" is the handler alone, "guard" the same handler
// behind Require with a real verifier and a repeat token.
func BenchmarkGuard(b *testing.B) {
	e := setup(b)
	h := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "ok"}, nil
	}
	payload := event(b, "http-proxy-v2.json", "Bearer "+e.alice)
	for _, bc := range []struct {
		name    string
		handler any
	}{
		{"bare", h},
		{"guard", lambdaauth.Require(e.auth, httpauth.Scope("orders/read")).APIGatewayV2(h)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			lh := lambda.NewHandler(bc.handler)
			res, err := lh.Invoke(context.Background(), payload)
			if err != nil {
				b.Fatal(err)
			}
			var r events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(res, &r); err != nil || r.StatusCode != 200 {
				b.Fatalf("%s %v", res, err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := lh.Invoke(context.Background(), payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthorizer is one warm TOKEN authorizer invocation with a
// repeat token, claims flattened into the context.
func BenchmarkAuthorizer(b *testing.B) {
	e := setup(b)
	z, err := lambdaauth.NewAuthorizer(e.auth, nil)
	if err != nil {
		b.Fatal(err)
	}
	lh := lambda.NewHandler(z.Token)
	payload := event(b, "rest-token-authorizer.json", "Bearer "+e.alice)
	if _, err := lh.Invoke(context.Background(), payload); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lh.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}
