package oidc

import (
	"context"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/jws"
)

// FuzzVerify: on any input Verify never panics and never accepts anything
// but the two genuine tokens of the corpus, byte for byte.
func FuzzVerify(f *testing.F) {
	ti := newTestIssuer(f)
	v := mustNew(f, ti.config(t0))
	genuine := ti.token(f, ti.claimsAt(t0))
	if _, err := v.Verify(context.Background(), genuine); err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(genuine, ".")
	f.Add(genuine)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + "." + parts[1] + "." + parts[2] + "A")
	f.Add("eyJhbGciOiJub25lIn0." + parts[1] + ".")
	genuineES := sign(f, jws.ES256, ecKey(), map[string]any{"alg": "ES256", "kid": "ec1"}, ti.claimsAt(t0))
	f.Add(genuineES)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		if err == nil && token != genuine && token != genuineES {
			t.Fatalf("accepted %q as %+v", token, c)
		}
		if err != nil && c != nil {
			t.Fatal("claims with an error")
		}
	})
}
