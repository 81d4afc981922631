// Command quickstart is the README's quick start: it verifies a Cognito
// access token minted by a local issuer. Swap the issuer for your pool.
package main

import (
	"context"
	"fmt"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

func main() {
	iss := cognitotest.NewUnstartedIssuer() // stands in for your user pool
	if err := iss.Start(); err != nil {
		panic(err)
	}
	defer iss.Close()
	// With a real pool: cognitojwt.Config{UserPoolID: "us-east-1_…", TokenUse: cognitojwt.AccessToken, ClientIDs: []string{"…"}}
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		panic(err)
	}
	token, _ := iss.MintAccess(cognitotest.TokenOptions{Username: "alice"})
	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		panic(err) // errors.Is(err, cognitojwt.ErrExpired), ErrInvalidClient, …
	}
	fmt.Println(claims.Username, claims.Scopes) // alice [aws.cognito.signin.user.admin]
}
