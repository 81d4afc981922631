package lambdaauth_test

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cognitojwt/cognitojwt"
	lambdaauth "github.com/cognitojwt/cognitojwt/contrib/lambda"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// A REST API TOKEN authorizer. Everything is built once per execution
// environment, and Hydrate fetches the keys before the first event; in a
// real function the last line is lambda.Start(authorizer.Token).
func ExampleNewAuthorizer() {
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := v.Hydrate(context.Background()); err != nil {
		log.Print(err) // the first event retries; an outage answers 500, never Allow
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}
	authorizer, err := lambdaauth.NewAuthorizer(auth, &lambdaauth.AuthorizerOptions[*cognitojwt.Claims]{
		Require:   []httpauth.Requirement{httpauth.Scope("orders/read")},
		Resources: lambdaauth.StageResources, // the authorizer cache is on
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = authorizer.Token // lambda.Start(authorizer.Token)
}

// A handler behind an HTTP API (payload 2.0) that answers 401, 403 and
// 503 itself, as httpauth does; the claims are in its context.
func ExampleGuard_APIGatewayV2() {
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}
	orders := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		claims, _ := httpauth.ClaimsFrom[*cognitojwt.Claims](ctx)
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "orders of " + claims.Username}, nil
	}
	handler := lambdaauth.Require(auth, httpauth.Scope("orders/read")).APIGatewayV2(orders)
	_ = handler // lambda.Start(handler)
}
