package httpauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// TestScopeRequirementSeparators: a route's Scope requirement is met only
// by a scope the token grants, split on U+0020 alone. One granted scope
// "orders/read<X>orders/write", for every Unicode space and control
// character X, is refused with 403; the same scopes separated by U+0020
// pass (the control); a route scope containing X panics at set-up.
// An ID token never meets a Scope requirement, whatever its claims.
func TestScopeRequirementSeparators(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(configFor(iss, cognitojwt.AnyTokenUse))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := auth.Require(httpauth.Scope("orders/write"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	status := func(token string) int {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if got := status(iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read", "orders/write"}})); got != 200 {
		t.Fatalf("control: status %d", got)
	}
	if got := status(iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": "orders/write"}})); got != 403 {
		t.Errorf("ID token with a scope claim: status %d, want 403", got)
	}
	var suspects []rune
	for r := rune(0); r <= 0x3000; r++ {
		if r != ' ' && (unicode.Is(unicode.White_Space, r) || unicode.IsControl(r)) {
			suspects = append(suspects, r)
		}
	}
	suspects = append(suspects, 0xfeff, 0x200b)
	for _, r := range suspects {
		t.Run(fmt.Sprintf("U+%04X", r), func(t *testing.T) {
			scope := "orders/read" + string(r) + "orders/write"
			if got := status(iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": scope}})); got != 403 {
				t.Errorf("status %d, want 403", got)
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Scope(%q) did not panic", scope)
					}
				}()
				auth.Require(httpauth.Scope(scope))
			}()
		})
	}
}
