package oidc_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/cognitojwt/cognitojwt/oidc"
)

// A verifier for an Auth0 API: the issuer has a trailing slash, and the
// audience is the API identifier. Keys are found through discovery on the
// first request (call Hydrate at start-up to fetch them earlier).
func ExampleNew() {
	v, err := oidc.New(oidc.Config{
		Issuer:    "https://example.us.auth0.com/",
		Audiences: []string{"https://api.example.com"},
		Scopes:    []string{"read:orders"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Issuers())
	// Output: [https://example.us.auth0.com/]
}

// Several issuers in one verifier: Entra ID (app roles as groups) and
// Okta. A token is matched to its issuer's config by "iss" alone.
func ExampleNewMulti() {
	v, err := oidc.NewMulti([]oidc.Config{{
		Issuer:      "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
		Audiences:   []string{"api://orders"},
		GroupsClaim: "roles",
		Groups:      []string{"Orders.Admin"},
	}, {
		Issuer:    "https://example.okta.com/oauth2/default",
		Audiences: []string{"api://default"},
	}})
	if err != nil {
		log.Fatal(err)
	}
	_, err = v.Verify(context.Background(), "not-a-token")
	fmt.Println(errors.Is(err, oidc.ErrMalformed))
	// Output: true
}
