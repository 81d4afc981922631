package cognitojwt_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// A multi-tenant service gives every customer its own user pool and looks
// pools up at run time. The resolver is the allow-list: a token of a pool
// it does not know is refused before any key is fetched.
func ExampleNewResolving() {
	iss := exampleIssuer() // stands in for one tenant's pool
	defer iss.Close()

	// tenantDB maps pool ids to the tenant's rules; in production a
	// database or a cached table.
	tenantDB := map[string][]string{iss.PoolID: {iss.ClientID}}

	v, err := cognitojwt.NewResolving(cognitojwt.ResolverConfig{
		Resolve: func(ctx context.Context, poolID string) ([]cognitojwt.Config, error) {
			clients, ok := tenantDB[poolID]
			if !ok {
				return nil, cognitojwt.ErrUnknownPool
			}
			return []cognitojwt.Config{{
				UserPoolID: poolID,
				TokenUse:   cognitojwt.AccessToken,
				ClientIDs:  clients,
				Issuer:     iss.IssuerURL(), // only for the local issuer
			}}, nil
		},
		IssuerPrefixes: []string{iss.URL + "/"}, // only for the local issuer
	})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.Verify(context.Background(), iss.AccessToken(cognitotest.TokenOptions{Username: "alice"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Username)
	// Output: alice
}
