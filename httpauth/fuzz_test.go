package httpauth

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseAuthorization: the parser never panics; what it accepts is
// exactly a b64token after a case-insensitive "Bearer" and spaces; and an
// accepted token round-trips through a canonical header.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"Bearer abc", "bearer a.b.c", "Bearer  x==", "Bearer", "Bearer ", "Basic x",
		"Bearer a b", "Bearer\ta", "Bearer =", "Bearer a=b", `Bearer realm="x"`, "",
		"BEARER eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "Bearer \x00", "Bearer é",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, ok := ParseAuthorization(v)
		if !ok {
			if tok != "" {
				t.Fatalf("refused %q but returned %q", v, tok)
			}
			return
		}
		if !isB64TokenSlow(tok) {
			t.Fatalf("accepted %q: %q is not a b64token", v, tok)
		}
		if len(v) < 8 || !strings.EqualFold(v[:6], "bearer") || v[6] != ' ' || strings.Trim(v[6:], " ") != tok || !strings.HasSuffix(v, tok) {
			t.Fatalf("accepted %q: not Bearer, spaces and %q", v, tok)
		}
		if again, ok := ParseAuthorization("Bearer " + tok); !ok || again != tok {
			t.Fatalf("round trip of %q = %q, %v", tok, again, ok)
		}
	})
}

// isB64TokenSlow is RFC 6750's b64token written out another way, as the
// oracle.
func isB64TokenSlow(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
	for _, r := range body {
		if !strings.ContainsRune(alphabet, r) {
			return false
		}
	}
	return true
}

// FuzzSources: whatever the Authorization, Cookie, token header and query
// hold, extraction never panics, and a token it returns is well-formed
// for its source and within the size limit.
func FuzzSources(f *testing.F) {
	f.Add("Bearer abc", "token=abc", "abc", "access_token=abc")
	f.Add("Basic x", "a=1; token=\"x\"", "", "")
	f.Add("", "token=a; token=b", "a b", "access_token=a%zz&access_token=b")
	a := &Auth[any]{
		sources: []Source{Bearer(), Cookie("token"), Header("accesstoken"), Query("")},
		maxSize: 64,
	}
	f.Fuzz(func(t *testing.T, authz, cookie, header, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		for k, v := range map[string]string{"Authorization": authz, "Cookie": cookie, "Accesstoken": header} {
			if v != "" {
				r.Header[k] = []string{v}
			}
		}
		tok, src, reason := a.extract(r)
		if reason != "" {
			if tok != "" {
				t.Fatalf("reason %s with token %q", reason, tok)
			}
			if reason.Status() == 0 || reason.Description() == "" {
				t.Fatalf("reason %q has no response", reason)
			}
			return
		}
		if len(tok) > a.maxSize || !isTokenValue(tok) {
			t.Fatalf("token %q from %s", tok, src)
		}
		if src == Bearer() && !isB64TokenSlow(tok) {
			t.Fatalf("Authorization token %q is not a b64token", tok)
		}
	})
}
