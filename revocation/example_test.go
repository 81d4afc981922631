package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cognitojwt/cognitojwt/revocation"
)

// A global sign-out revokes every token of the user issued until now; a
// token issued after it, at the next sign-in, stands.
func ExampleMemory() {
	ctx := context.Background()
	store := revocation.NewMemory(revocation.MemoryOptions{})
	signOut := time.Now()
	if err := store.Revoke(ctx, revocation.Entry{Kind: revocation.Subject, Value: "sub-1234", At: signOut}); err != nil {
		fmt.Println(err)
		return
	}
	before := revocation.Token{Subject: "sub-1234", IssuedAt: signOut.Add(-time.Minute)}
	after := revocation.Token{Subject: "sub-1234", IssuedAt: signOut.Add(time.Second)}
	fmt.Println(errors.Is(store.Check(ctx, before), revocation.ErrRevoked))
	fmt.Println(store.Check(ctx, after))
	// Output:
	// true
	// <nil>
}

// The text form of an entry is what stores and the command line exchange.
func ExampleEntry_MarshalText() {
	e := revocation.Entry{Kind: revocation.JTI, Value: "f1b2", At: time.Unix(1764583200, 0), Expires: time.Unix(1764669600, 0)}
	b, _ := e.MarshalText()
	fmt.Println(string(b))
	// Output: jti 1764583200000000000 1764669600000000000 f1b2
}
