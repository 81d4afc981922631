// Package lambdaauth verifies bearer tokens in AWS Lambda functions
// (github.com/aws/aws-lambda-go), in a module of its own so that the core
// never depends on the Lambda runtime. It has two halves, both built on
// package httpauth so that every rule (token sources, requirements,
// classification of verifier errors, claims accessor) is the one
// net/http code uses:
//
//   - [Authorizer]: an API Gateway Lambda authorizer. REST API TOKEN and
//     REQUEST authorizers answer with an IAM policy whose principalId is
//     the token's subject and whose context holds the claims, flattened as
//     API Gateway requires; HTTP API (payload 2.0) authorizers answer with a
//     simple response or an IAM policy.
//   - [Guard]: a wrapper for handlers of API Gateway REST (v1) and HTTP API
//     (v2) proxy events, ALB target events and Function URL events, that
//     answers 401, 403 and 503 exactly as httpauth does (status,
//     WWW-Authenticate, Cache-Control, Retry-After, problem+json body) and
//     hands the handler a context with the claims in it.
//
// Build the verifier once per execution environment, outside the handler,
// and fetch its keys there with Hydrate, so that no invocation pays for
// the JWKS fetch:
//
//	var guard *lambdaauth.Guard
//
//	func main() {
//		v, err := cognitojwt.New(cognitojwt.Config{ /* … */ })
//		if err != nil { log.Fatal(err) }
//		if err := v.Hydrate(context.Background()); err != nil {
//			log.Print(err) // not fatal: the first request retries, and gets a 503 if it cannot
//		}
//		auth, err := httpauth.New(v, nil)
//		if err != nil { log.Fatal(err) }
//		lambda.Start(lambdaauth.Require(auth, httpauth.Scope("orders/read")).APIGatewayV2(orders))
//	}
//
// See docs/LAMBDA.md for the cold-start cost, the SAM wiring and the
// authorizer cache: a policy API Gateway caches outlives a revoked token.
package lambdaauth
