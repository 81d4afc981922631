// Package alb verifies the "x-amzn-oidc-data" header that an AWS
// Application Load Balancer adds after it has authenticated a user with
// OIDC or Cognito.
//
// The header is a JWT signed by the load balancer with ES256. Its JOSE
// header names the key ("kid"), the load balancer ("signer", its ARN), the
// identity provider ("iss", "client") and the expiry ("exp"); its payload
// holds the user claims from the provider's userinfo endpoint ("sub",
// "email", "username", …). The public key is a PEM document fetched from
// the regional endpoint https://public-keys.auth.elb.<region>.amazonaws.com/<kid>
// and cached for good: a kid's key never changes.
//
// Every ALB in a region signs with the same keys, so a valid signature
// proves only that some ALB made the token. [Config.ALBARNs] lists the
// load balancers whose tokens are accepted, and it is required.
//
// A [*Verifier] has the method set that httpauth.New expects, so it plugs
// into package httpauth with the httpauth.Header("X-Amzn-Oidc-Data")
// source and no adapter.
package alb
