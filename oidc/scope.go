package oidc

import "strings"

// SplitScope splits an OAuth 2.0 "scope" string into its scopes, the one
// way RFC 6749 §3.3 allows: scope-tokens are separated by U+0020 SPACE
// and by nothing else. TAB, LF, U+00A0, U+3000 and every other Unicode
// space or control character are not separators: they stay inside the
// scope they occur in, which is then not a scope-token (see
// [IsScopeToken]) and never equals a scope a verifier or route requires,
// since those must be scope-tokens. Runs of spaces and leading or
// trailing spaces yield no empty scopes. The result is nil when s has no
// scope.
//
// strings.Fields would instead let one granted scope
// "orders/read\u00a0orders/write" satisfy a requirement of
// "orders/write": the issuer, which granted one odd scope, and the
// verifier would read the same claim two ways.
func SplitScope(s string) []string {
	n := 0 // scopes: one allocation, as strings.Fields makes
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && (i == 0 || s[i-1] == ' ') {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for len(s) > 0 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		if i > 0 {
			out = append(out, s[:i])
		}
		s = s[i+1:]
	}
	return out
}

// IsScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ), printable ASCII except the space, the
// double quote and the backslash. Required scopes must be scope-tokens;
// a granted scope that is not one can never meet a requirement.
func IsScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return true
}
