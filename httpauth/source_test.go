package httpauth

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	for _, tc := range []struct {
		in, tok string
		ok      bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER abc", "abc", true},
		{"bEaReR abc", "abc", true},
		{"Bearer   abc", "abc", true}, // 1*SP (RFC 6750 §2.1)
		{"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true},
		{"Bearer a-._~+/Z09", "a-._~+/Z09", true},
		{"Bearer abc==", "abc==", true},
		{"Bearer abc=", "abc=", true},

		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer    ", "", false},
		{"Bearer =", "", false},     // at least one alphabet character
		{"Bearer ==abc", "", false}, // "=" only at the end
		{"Bearer ab=c", "", false},
		{"Bearer abc def", "", false},
		{"Bearer abc ", "", false},
		{" Bearer abc", "", false},
		{"Bearer abc,", "", false},
		{`Bearer realm="x"`, "", false},
		{"Bearer abc, error=x", "", false},
		{"Bearer\tabc", "", false},
		{"Bearer ab\"c", "", false},
		{"Bearer ab%63", "", false},
		{"Bearer ab\x00c", "", false},
		{"Bearer ab\xffc", "", false},
		{"Bearer ab\nc", "", false},
		{"Bearerabc", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Token abc", "", false},
		{"Bearer: abc", "", false},
	} {
		tok, ok := ParseAuthorization(tc.in)
		if tok != tc.tok || ok != tc.ok {
			t.Errorf("ParseAuthorization(%q) = %q, %v; want %q, %v", tc.in, tok, ok, tc.tok, tc.ok)
		}
	}
}

// The Authorization source tells "another scheme" (no bearer token: 401)
// from "a broken Bearer credential" (400).
func TestBearerLookup(t *testing.T) {
	for _, tc := range []struct {
		vals []string
		want lookResult
	}{
		{nil, absent},
		{[]string{"Basic dXNlcjpwYXNz"}, absent},
		{[]string{"Digest username=x"}, absent},
		{[]string{"Bearerish abc"}, absent},
		{[]string{"Bearer abc"}, present},
		{[]string{""}, malformed},
		{[]string{"Bearer"}, malformed},
		{[]string{"bearer"}, malformed},
		{[]string{"Bearer\tabc"}, malformed},
		{[]string{"Bearer abc def"}, malformed},
		{[]string{"Bearer abc", "Bearer abc"}, repeated},
		{[]string{"Bearer abc", "Basic x"}, repeated},
		{[]string{"Bearer " + strings.Repeat("a", 33)}, tooLarge},
		{[]string{"Bearer " + strings.Repeat("a", 32)}, present},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.vals != nil {
			r.Header["Authorization"] = tc.vals
		}
		if _, got := Bearer().lookup(r, 32); got != tc.want {
			t.Errorf("Authorization %q: lookup = %v, want %v", tc.vals, got, tc.want)
		}
	}
}

func TestCookieLookup(t *testing.T) {
	for _, tc := range []struct {
		fields []string
		tok    string
		want   lookResult
	}{
		{nil, "", absent},
		{[]string{"other=1"}, "", absent},
		{[]string{"token=abc"}, "abc", present},
		{[]string{"a=1; token=abc; b=2"}, "abc", present},
		{[]string{"a=1;token=abc"}, "abc", present},
		{[]string{`token="abc"`}, "abc", present},
		{[]string{"a=1", "token=abc"}, "abc", present}, // HTTP/2 splits Cookie
		{[]string{"Token=abc"}, "", absent},            // names are case-sensitive
		{[]string{"xtoken=abc"}, "", absent},
		{[]string{"token=abc; token=def"}, "", repeated}, // cookie tossing
		{[]string{"token=abc", "token=abc"}, "", repeated},
		{[]string{"token="}, "", malformed},
		{[]string{`token=""`}, "", malformed},
		{[]string{"token=a,b"}, "", malformed},
		{[]string{"token=a b"}, "", malformed},
		{[]string{"token=ab=.cd=.ef=="}, "ab=.cd=.ef==", present}, // ALB-style padding
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.fields != nil {
			r.Header["Cookie"] = tc.fields
		}
		tok, got := Cookie("token").lookup(r, 1024)
		if tok != tc.tok || got != tc.want {
			t.Errorf("Cookie %q: lookup = %q, %v; want %q, %v", tc.fields, tok, got, tc.tok, tc.want)
		}
	}
}

func TestQueryLookup(t *testing.T) {
	for _, tc := range []struct {
		query string
		tok   string
		want  lookResult
	}{
		{"", "", absent},
		{"a=1", "", absent},
		{"access_token=abc", "abc", present},
		{"a=1&access_token=abc&b=2", "abc", present},
		{"access%5Ftoken=abc", "abc", present},
		{"access_token=ab%2Ecd", "ab.cd", present},
		{"access_token=abc&access_token=abc", "", repeated},
		{"access_token=", "", malformed},
		{"access_token", "", malformed},
		{"access_token=a%zz", "", malformed},
		{"access_token=a+b", "", malformed}, // "+" is a space in a query
		{"%zz=1&access_token=abc", "abc", present},
	} {
		r := httptest.NewRequest("GET", "/?"+tc.query, nil)
		tok, got := Query("").lookup(r, 1024)
		if tok != tc.tok || got != tc.want {
			t.Errorf("query %q: lookup = %q, %v; want %q, %v", tc.query, tok, got, tc.tok, tc.want)
		}
	}
}

func TestHeaderLookup(t *testing.T) {
	for _, tc := range []struct {
		vals []string
		tok  string
		want lookResult
	}{
		{nil, "", absent},
		{[]string{"abc"}, "abc", present},
		{[]string{"a.b=.c=="}, "a.b=.c==", present},
		{[]string{""}, "", malformed},
		{[]string{"Bearer abc"}, "", malformed}, // the bare token, no scheme
		{[]string{"abc", "abc"}, "", repeated},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.vals != nil {
			r.Header["Accesstoken"] = tc.vals
		}
		tok, got := Header("accesstoken").lookup(r, 1024)
		if tok != tc.tok || got != tc.want {
			t.Errorf("accesstoken %q: lookup = %q, %v; want %q, %v", tc.vals, tok, got, tc.tok, tc.want)
		}
	}
}

func TestSourceString(t *testing.T) {
	for s, want := range map[Source]string{
		Bearer():              "bearer",
		Header("accesstoken"): "header:Accesstoken",
		ALBAccessToken():      "header:X-Amzn-Oidc-Accesstoken",
		Cookie("id"):          "cookie:id",
		Query(""):             "query:access_token",
		Query("t"):            "query:t",
		{}:                    "",
	} {
		if got := s.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

// The header and cookie sources read the request without allocating.
func TestLookupAllocs(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer abc.def.ghi")
	r.Header.Set("Accesstoken", "abc.def.ghi")
	r.Header.Set("Cookie", "a=1; token=abc.def.ghi; b=2")
	for _, s := range []Source{Bearer(), Header("accesstoken"), Cookie("token")} {
		if n := testing.AllocsPerRun(100, func() { s.lookup(r, 1024) }); n != 0 {
			t.Errorf("%s: %v allocations", s, n)
		}
	}
}

// Every byte value, at every position of a string longer than the
// unrolled loop, against the RFC's alphabet written out.
func TestAlphabet(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
	for c := 0; c < 256; c++ {
		in := strings.IndexByte(alphabet, byte(c)) >= 0
		for pos := 0; pos < 7; pos++ {
			b := []byte("abcdefg")
			b[pos] = byte(c)
			s := string(b)
			if got := isB64Token(s); got != in && !(c == '=' && pos == 6) {
				t.Errorf("isB64Token(%q) = %v", s, got)
			}
			if got := isTokenValue(s); got != (in || c == '=') {
				t.Errorf("isTokenValue(%q) = %v", s, got)
			}
		}
	}
	for s, want := range map[string]bool{"a=": true, "a==": true, "=": false, "": false, "=a": false, "a=a": false} {
		if isB64Token(s) != want {
			t.Errorf("isB64Token(%q) != %v", s, want)
		}
	}
}
