package cognitotest_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// TestMintRefusesOddScopes: cognitotest mints what Cognito mints, so a
// scope with any Unicode space or control character (which verifiers
// could split two ways) is refused by every Mint method and by
// Issuer.Scopes; the same scopes as scope-tokens mint (the control).
func TestMintRefusesOddScopes(t *testing.T) {
	iss := newIssuer(t)
	if _, err := iss.MintAccess(cognitotest.TokenOptions{Scopes: []string{"test-api/read", "test-api/write"}}); err != nil {
		t.Fatalf("control: %v", err)
	}
	var suspects []rune
	for r := rune(0); r <= 0x3000; r++ {
		if unicode.Is(unicode.White_Space, r) || unicode.IsControl(r) {
			suspects = append(suspects, r) // U+0020 included: one scope never holds a space
		}
	}
	suspects = append(suspects, 0xfeff, 0x200b, '"', '\\', 'é')
	for _, r := range suspects {
		scope := "test-api/read" + string(r) + "test-api/write"
		t.Run(fmt.Sprintf("U+%04X", r), func(t *testing.T) {
			if _, err := iss.MintAccess(cognitotest.TokenOptions{Scopes: []string{scope}}); err == nil || !strings.Contains(err.Error(), "scope-token") {
				t.Errorf("MintAccess: err = %v", err)
			}
			if _, err := iss.MintM2M(cognitotest.TokenOptions{Scopes: []string{scope}}); err == nil {
				t.Error("MintM2M accepted it")
			}
			un := cognitotest.NewUnstartedIssuer()
			un.Scopes = []string{scope}
			if _, err := un.Handler(); err == nil || !strings.Contains(err.Error(), "not a custom scope") {
				t.Errorf("Issuer.Scopes: err = %v", err)
			}
		})
	}
}
