// Package cognitojwt verifies Amazon Cognito access and ID tokens locally:
// the signature against the user pool's published keys (fetched once,
// cached, refreshed when an unknown key id appears, and served stale
// through an outage), then Cognito's rules: the issuer derived from the
// pool id, "token_use", the app client ("client_id" in access tokens,
// "aud" in ID tokens), groups, scopes, and exp/nbf/iat with leeway,
// followed by a check of your own.
//
//	v, err := cognitojwt.New(cognitojwt.Config{
//		UserPoolID: "us-east-1_AbCdEfGhI",
//		TokenUse:   cognitojwt.AccessToken,
//		ClientIDs:  []string{"1example23456789"},
//	})
//	claims, err := v.Verify(ctx, token)
//
// A Verifier is safe for concurrent use; build it once. Every check fails
// closed, and errors are values: match them with errors.Is (ErrExpired,
// ErrInvalidClient, ErrKeysUnavailable, …) and errors.As (*ValidationError
// says which claim failed). Package cognitotest runs a local
// Cognito-compatible issuer for tests; package oidc verifies tokens of any
// other OpenID Connect issuer.
package cognitojwt
