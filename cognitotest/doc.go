// Package cognitotest provides a local Amazon Cognito-compatible token
// issuer for testing and local development, in the style of
// net/http/httptest.
//
// [NewIssuer] starts a loopback HTTP server that serves what a Cognito user
// pool serves to verifiers, under <URL>/<pool id>:
//
//   - /.well-known/jwks.json, in Cognito's exact shape, with key ids that
//     are standard base64 ("+", "/", "=") as Cognito's are, so a verifier
//     that assumes URL-safe ids fails in tests rather than in production;
//   - /.well-known/openid-configuration, the discovery document;
//
// and, at the root as on a Cognito domain, POST /oauth2/token for the
// client-credentials grant, so a local gateway can get machine-to-machine
// tokens with curl.
//
// The issuer mints access, ID and machine-to-machine (M2M) tokens with the
// claims, claim types and claim order Cognito uses, signed RS256 with a
// "kid" header: [Issuer.MintAccess], [Issuer.MintID], [Issuer.MintM2M], and
// [Issuer.AccessToken], [Issuer.IDToken], [Issuer.M2MToken], which end the
// test on error. [TokenOptions] crafts the unusual ones: expired, not yet
// valid, custom claims of any JSON type, claims removed, headers changed,
// signed by a key the issuer does not publish.
//
// Key rotation ([Issuer.Rotate], [Issuer.RemoveKey]) and failure injection
// ([Issuer.SetJWKSStatus], [Issuer.SetJWKSBody], [Issuer.JWKSRequests])
// exercise a verifier's refresh and outage paths, and [Issuer.Config]
// returns a cognitojwt.Config that trusts the issuer.
//
// An Issuer is safe for concurrent use. It keeps no global state: each one
// has its own keys, server and counters. Generating an RSA key takes a
// noticeable fraction of a second under the race detector, so tests that
// start many issuers can generate one key with [GenerateKey] and pass it to
// each ([NewIssuer] takes signing keys).
//
// It is not an authorization server: there is no user directory, no
// sign-in, no hosted UI, and the issued tokens are only as secret as the
// keys, which are written to disk in the clear by [SaveKeys]. Never point a
// production verifier at it.
package cognitotest
