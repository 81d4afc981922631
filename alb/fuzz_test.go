package alb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// FuzzVerify: Verify never panics, refuses with a known error class, and
// accepts nothing but the genuine tokens (one padded, one not): whatever
// it accepts has exactly a genuine token's signed header and payload. (The signature segment
// itself may differ: with or without padding, it decodes to the same
// bytes, and ECDSA signatures are malleable; neither changes what was
// signed.)
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, nil)
	genuine := []string{fx.token(f, nil, nil), mint(f, fx.key, albHeader(testKID), albClaims(), false)}
	signed := map[string]bool{}
	for _, g := range genuine {
		signed[g[:strings.LastIndexByte(g, '.')]] = true
		f.Add(g)
	}
	f.Add(strings.ReplaceAll(genuine[0], "=", ""))
	f.Add(mint(f, fx.key, albHeader("other/kid+1"), albClaims(), true))
	f.Add(mint(f, newKey(f), albHeader(testKID), albClaims(), true))
	f.Add(fx.token(f, func(h map[string]any) { h["signer"] = otherARN }, nil))
	f.Add(fx.token(f, func(h map[string]any) { h["alg"] = "none" }, nil))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := fx.v.Verify(context.Background(), token)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			for _, known := range []error{jws.ErrMalformed, jws.ErrUnsupportedAlgorithm, jws.ErrInvalidSignature,
				jwks.ErrKeyNotFound, jwks.ErrKeysUnavailable, oidc.ErrInvalidIssuer, oidc.ErrInvalidAudience,
				oidc.ErrExpired, oidc.ErrNotYetValid, oidc.ErrMissingClaim, oidc.ErrInvalidClaim} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("error of no known class: %v", err)
		}
		if i := strings.LastIndexByte(token, '.'); i < 0 || !signed[token[:i]] {
			t.Fatalf("accepted a token that is not the genuine one: %q", token)
		}
		if c.Signer != testARN || c.Email != "jane@example.com" {
			t.Fatalf("claims %+v", c)
		}
	})
}
