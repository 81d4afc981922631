// Package oidc verifies JWTs from any OpenID Connect issuer (Auth0, Entra
// ID, Okta, Keycloak, Cognito…) against the issuer's published keys, then
// applies the issuer rules: exact "iss", "aud" any-of, exp/nbf/iat with
// leeway, an optional maximum age, required claims, scopes, groups, and a
// custom check that runs last.
//
// A [Verifier] is built once from one or more [Config] values and is safe
// for concurrent use. A token is matched to a configuration by its "iss"
// claim, read before any key is fetched, so a token naming an unknown
// issuer costs nothing but its parse. Keys come from the configured JWKS
// URL, or from the issuer's discovery document
// (<issuer>/.well-known/openid-configuration) when none is configured; see
// package jwks for how they are fetched, cached and refreshed.
//
// Every check fails closed: a verifier returns claims only when every rule
// passed, and otherwise an error that errors.Is matches to one of the
// Err values of this package (re-exported from jws and jwks where the
// fault is found there).
package oidc
