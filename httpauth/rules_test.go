package httpauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/oidc"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want httpauth.Reason
	}{
		{nil, httpauth.ReasonOK},
		{fmt.Errorf("%w: fetch failed", jwks.ErrKeysUnavailable), httpauth.ReasonKeysUnavailable},
		{fmt.Errorf("%w: %w", jwks.ErrKeysUnavailable, errors.New("deadline")), httpauth.ReasonKeysUnavailable},
		{&oidc.ValidationError{Claim: "exp", Err: oidc.ErrExpired}, httpauth.ReasonExpired},
		{&oidc.ValidationError{Claim: "token_use", Err: errors.New("x")}, httpauth.ReasonInvalidTokenUse},
		{oidc.ErrMissingScope, httpauth.ReasonMissingScope},
		{errors.New("something else"), httpauth.ReasonInvalidToken},
	} {
		if got := httpauth.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestRules(t *testing.T) {
	reader := &claims{Subject: "reader", Scopes: []string{"orders/read"}, Groups: []string{"users"}}
	admin := &claims{Subject: "admin", Scopes: []string{"openid"}, Groups: []string{"admin", "users"}}
	for _, tc := range []struct {
		name  string
		reqs  []httpauth.Requirement
		c     *claims
		want  httpauth.Reason
		scope []string
	}{
		{"none", nil, reader, "", nil},
		{"scope ok", []httpauth.Requirement{httpauth.Scope("orders/read", "orders/write")}, reader, "", []string{"orders/read", "orders/write"}},
		{"scope missing", []httpauth.Requirement{httpauth.Scope("orders/read")}, admin, httpauth.ReasonMissingScope, []string{"orders/read"}},
		{"all scopes", []httpauth.Requirement{httpauth.AllScopes("orders/read", "openid")}, reader, httpauth.ReasonMissingScope, []string{"orders/read", "openid"}},
		{"group ok", []httpauth.Requirement{httpauth.Group("admin")}, admin, "", nil},
		{"group missing", []httpauth.Requirement{httpauth.Group("admin")}, reader, httpauth.ReasonMissingGroup, nil},
		{"all groups", []httpauth.Requirement{httpauth.AllGroups("admin", "users")}, admin, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := httpauth.NewRules[*claims](tc.reqs...)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Allow(tc.c); got != tc.want {
				t.Errorf("Allow = %q, want %q", got, tc.want)
			}
			if got := r.Scope(); !slices.Equal(got, tc.scope) {
				t.Errorf("Scope = %q, want %q", got, tc.scope)
			}
		})
	}
}

func TestNewRulesRefuses(t *testing.T) {
	for name, reqs := range map[string][]httpauth.Requirement{
		"check":       {httpauth.Check(func(*http.Request, *claims) bool { return true })},
		"empty scope": {httpauth.Scope()},
		"bad scope":   {httpauth.Scope("a b")},
		"zero":        {{}},
		"token use":   {httpauth.TokenUse("access")}, // *claims has no Get
	} {
		if _, err := httpauth.NewRules[*claims](reqs...); err == nil || !strings.HasPrefix(err.Error(), "httpauth: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestContextWithClaims(t *testing.T) {
	c := &claims{Subject: "s"}
	ctx := httpauth.ContextWithClaims(t.Context(), c)
	if got, ok := httpauth.ClaimsFrom[*claims](ctx); !ok || got != c {
		t.Errorf("ClaimsFrom = %v, %v", got, ok)
	}
	// Claims of another type are not found: the key is per type.
	if _, ok := httpauth.ClaimsFrom[string](ctx); ok {
		t.Error("ClaimsFrom[string] found *claims")
	}
	if _, ok := httpauth.ClaimsFrom[*claims](t.Context()); ok {
		t.Error("ClaimsFrom found claims in a bare context")
	}
}
