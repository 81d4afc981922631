// Package conformance holds the cognitojwt conformance tests: Project
// Wycheproof vectors run against package jws and jwks, and differential
// tests against independent implementations.
//
// It is a nested module (its own go.mod) so that its test data and its
// third-party test dependencies never reach users of
// github.com/cognitojwt/cognitojwt. It has no API; run it with
//
//	cd conformance && go test ./...
//
// The differential test against the standard library's strict JSON
// implementation (encoding/json/v2) needs a Go experiment:
//
//	GOEXPERIMENT=jsonv2 go test -run Differential ./...
//	GOEXPERIMENT=jsonv2 go test -run '^$' -fuzz FuzzDifferential
//
// EXCEPTIONS.md lists every case whose outcome differs from the upstream
// label, with the reason.
//
// Package interop (conformance/interop) runs the library and the gateway
// against the cognito-local emulator, the oidc-provider OpenID provider and
// aws-jwt-verify, installed from npm (see its package doc).
package conformance
