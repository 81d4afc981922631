package cognitojwt_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// A verifier with a revocation store refuses the tokens of a user signed
// out with AdminUserGlobalSignOut, and keeps accepting everyone else's.
// For a fleet, use the Redis store of the nested module
// github.com/cognitojwt/cognitojwt/revocation/redis instead of Memory.
func ExampleConfig_revocation() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	store := revocation.NewMemory(revocation.MemoryOptions{})
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{iss.ClientID},
		Revocation: store,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	bob := iss.AccessToken(cognitotest.TokenOptions{Username: "bob"})

	// AdminUserGlobalSignOut of alice: every token issued until now.
	if err := store.Revoke(ctx, revocation.Entry{Kind: revocation.Username, Value: "alice", At: time.Now()}); err != nil {
		log.Fatal(err)
	}
	_, err = v.Verify(ctx, alice)
	fmt.Println("alice:", errors.Is(err, cognitojwt.ErrRevoked))
	_, err = v.Verify(ctx, bob)
	fmt.Println("bob:", err)
	// Output:
	// alice: true
	// bob: <nil>
}
