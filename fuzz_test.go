package cognitojwt_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// FuzzVerify: Verify never panics on any input and accepts nothing but the
// two genuine tokens of the corpus (RS256 signatures are deterministic, so no
// other encoding of a valid token exists).
func FuzzVerify(f *testing.F) {
	iss := cognitotest.NewIssuer(f, testKey())
	v := mustNew(f, configFor(iss, cognitojwt.AnyTokenUse))
	genuine := iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin"}})
	if _, err := v.Verify(context.Background(), genuine); err != nil {
		f.Fatal(err)
	}
	genuineID := iss.IDToken()
	parts := strings.Split(genuine, ".")
	f.Add(genuine)
	f.Add(genuineID)
	f.Add(iss.AccessToken(cognitotest.TokenOptions{Expired: true}))
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("eyJhbGciOiJub25lIn0." + parts[1] + ".")
	f.Add(strings.Repeat(".", 100))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		if err != nil {
			if c != nil {
				t.Fatal("claims with an error")
			}
			return
		}
		if token != genuine && token != genuineID {
			t.Fatalf("accepted a token that is not the genuine one: %q", token)
		}
	})
}
