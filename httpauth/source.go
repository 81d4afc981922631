package httpauth

import (
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// Source is one place a request may carry its access token. Build one with
// [Bearer], [Header], [Cookie], [ALBAccessToken] or [Query]; the zero Source
// is refused by [New]. A request that carries a token in more than one of
// the configured sources, or twice in one of them, is refused as
// invalid_request (RFC 6750 §2: clients MUST NOT use more than one method).
type Source struct {
	kind sourceKind
	name string // canonical header name, cookie name or query parameter
}

type sourceKind uint8

const (
	srcBearer sourceKind = iota + 1
	srcHeader
	srcCookie
	srcQuery
)

// Bearer is the Authorization request header with the Bearer scheme
// (RFC 6750 §2.1): "Authorization: Bearer <token>". The scheme is matched
// case-insensitively and may be followed by one or more spaces; the token
// must be a b64token (letters, digits, "-._~+/", then only "=") with
// nothing after it. Another scheme (Basic, Digest…) is not a bearer token:
// the request is treated as carrying none. It is the default source.
func Bearer() Source { return Source{kind: srcBearer, name: "Authorization"} }

// Header is a request header that holds the bare token with no scheme,
// such as cognito-express's "accesstoken". Its name is matched
// case-insensitively. The value must be the token alone: b64token
// characters, with "=" also allowed inside (ALB's padded JWTs). Use
// [Bearer] for the Authorization header and [Cookie] for a cookie; New
// refuses Header("Authorization") and Header("Cookie").
func Header(name string) Source {
	return Source{kind: srcHeader, name: textproto.CanonicalMIMEHeaderKey(name)}
}

// ALBAccessToken is the "x-amzn-oidc-accesstoken" header, where an AWS
// Application Load Balancer with OIDC or Cognito authentication forwards
// the user's access token. Trust it only when the ALB is the sole way in:
// anyone who reaches the service directly can set the header.
func ALBAccessToken() Source { return Header("X-Amzn-Oidc-Accesstoken") }

// Cookie is the cookie with this exact name (names are case-sensitive,
// RFC 6265). A value in double quotes is unquoted; the characters allowed
// are those of [Header]. Two cookies of the same name (a cookie-tossing
// attack from a sibling subdomain) are refused as invalid_request.
// Cookies are sent by browsers without the page asking: protect
// state-changing routes that accept a cookie token against cross-site
// requests (SameSite=Strict or Lax, or a CSRF token).
func Cookie(name string) Source { return Source{kind: srcCookie, name: name} }

// Query is the URI query parameter with this name, "access_token" when
// name is empty (RFC 6750 §2.3). It is never a source unless listed in
// [Options.Sources]: URLs end up in access logs, browser history and
// Referer headers. A request that passes with a query token gets
// "Cache-Control: private", as §2.3 asks of the server.
func Query(name string) Source {
	if name == "" {
		name = "access_token"
	}
	return Source{kind: srcQuery, name: name}
}

// String names the source for logs and metrics: "bearer",
// "header:<Name>", "cookie:<name>" or "query:<name>"; "" for the zero
// Source.
func (s Source) String() string {
	switch s.kind {
	case srcBearer:
		return "bearer"
	case srcHeader:
		return "header:" + s.name
	case srcCookie:
		return "cookie:" + s.name
	case srcQuery:
		return "query:" + s.name
	}
	return ""
}

// validate refuses a source that cannot be read reliably.
func (s Source) validate() error {
	switch s.kind {
	case srcBearer:
		return nil
	case srcHeader:
		if !isToken(s.name) {
			return fmt.Errorf("httpauth: invalid header name %q", s.name)
		}
		switch s.name {
		case "Authorization":
			return fmt.Errorf("httpauth: Header(%q) would read a bare token: use Bearer()", s.name)
		case "Cookie":
			return fmt.Errorf("httpauth: Header(%q) would read every cookie: use Cookie(name)", s.name)
		}
		return nil
	case srcCookie:
		if !isToken(s.name) {
			return fmt.Errorf("httpauth: invalid cookie name %q", s.name)
		}
		return nil
	case srcQuery:
		if strings.ContainsAny(s.name, "&=#") {
			return fmt.Errorf("httpauth: invalid query parameter name %q", s.name)
		}
		return nil
	}
	return fmt.Errorf("httpauth: zero Source: use Bearer, Header, Cookie, ALBAccessToken or Query")
}

// lookResult is what one source found in a request.
type lookResult uint8

const (
	absent    lookResult = iota // no token here
	present                     // one well-formed token
	malformed                   // something is here, but not a well-formed token
	repeated                    // the source occurs more than once
	tooLarge                    // one token, over the size limit
)

// lookup reads the source's token from r, without allocating for header
// and cookie sources. A token over limit bytes is reported before its
// characters are scanned.
func (s Source) lookup(r *http.Request, limit int) (string, lookResult) {
	var (
		tok string
		res lookResult
	)
	switch s.kind {
	case srcBearer:
		vals := r.Header["Authorization"]
		switch len(vals) {
		case 0:
			return "", absent
		case 1:
		default:
			// Several Authorization fields: intermediaries may have
			// merged or split them, and which one is "the" credential
			// is ambiguous (RFC 9110 §5.3 forbids repeating it).
			return "", repeated
		}
		var ok bool
		if tok, ok = cutBearer(vals[0]); !ok {
			if !isBearerScheme(vals[0]) {
				return "", absent // another scheme (Basic…): not a bearer token
			}
			return "", malformed
		}
		if len(tok) > limit {
			return "", tooLarge
		}
		if !isB64Token(tok) {
			return "", malformed
		}
		return tok, present
	case srcHeader:
		vals := r.Header[s.name]
		switch len(vals) {
		case 0:
			return "", absent
		case 1:
			tok = vals[0]
		default:
			return "", repeated
		}
	case srcCookie:
		tok, res = cookie(r.Header["Cookie"], s.name)
		if res != present {
			return "", res
		}
	case srcQuery:
		tok, res = queryParam(r.URL.RawQuery, s.name)
		if res != present {
			return "", res
		}
	default:
		return "", absent
	}
	if len(tok) > limit {
		return "", tooLarge
	}
	if !isTokenValue(tok) {
		return "", malformed
	}
	return tok, present
}

// ParseAuthorization returns the token of an Authorization field value
// holding Bearer credentials, as RFC 6750 §2.1 defines them:
//
//	credentials = "Bearer" 1*SP b64token
//	b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// The scheme is matched case-insensitively (RFC 9110 §11.1). It returns
// false for any other value: another scheme, "Bearer" with no token, a
// token with other characters, a second token or auth-params after it,
// a tab instead of spaces, surrounding whitespace.
func ParseAuthorization(v string) (token string, ok bool) {
	tok, ok := cutBearer(v)
	if !ok || !isB64Token(tok) {
		return "", false
	}
	return tok, true
}

// cutBearer returns what follows "Bearer" and its spaces, without checking
// its characters. ok is false when v is not Bearer credentials with a
// non-empty remainder; tok is then "".
func cutBearer(v string) (tok string, ok bool) {
	const scheme = "Bearer"
	if len(v) <= len(scheme) || v[len(scheme)] != ' ' || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false
	}
	tok = strings.TrimLeft(v[len(scheme)+1:], " ")
	return tok, tok != ""
}

// isBearerScheme reports whether v starts with the Bearer scheme, whatever
// follows (nothing, a tab, spaces): such a value is a malformed Bearer
// credential rather than another scheme. An empty value is treated as
// malformed too: an Authorization field was sent, with nothing in it.
func isBearerScheme(v string) bool {
	const scheme = "Bearer"
	if v == "" {
		return true
	}
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return false
	}
	// "Bearerx" is another scheme; "Bearer", "Bearer\t…", "Bearer …" are ours.
	return len(v) == len(scheme) || v[len(scheme)] == ' ' || v[len(scheme)] == '\t'
}

// outside marks, with 1, the bytes outside RFC 6750's b64token alphabet
// (letters, digits, "-._~+/"); "=" is outside too, since it may only end
// a b64token. outsideValue is the same with "=" allowed.
var outside, outsideValue = func() (t, v [256]uint8) {
	for i := range t {
		c := byte(i)
		in := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0
		if !in {
			t[i], v[i] = 1, 1
		}
	}
	v['='] = 0
	return t, v
}()

// isB64Token reports whether s is a b64token: one or more characters of
// the alphabet, then only "=".
func isB64Token(s string) bool {
	s = strings.TrimRight(s, "=")
	return s != "" && none(s, &outside)
}

// isTokenValue is the looser rule of the header, cookie and query
// sources: b64token characters with "=" anywhere, since ALB's JWTs pad
// every segment. It still excludes spaces, quotes, commas, semicolons and
// every control or non-ASCII byte.
func isTokenValue(s string) bool {
	return s != "" && none(s, &outsideValue)
}

// none reports whether no byte of s is marked in table. It reads every
// byte without branching on them (a token is at most MaxTokenSize long),
// which is faster on the success path, where every byte is read anyway.
func none(s string, table *[256]uint8) bool {
	var bad uint8
	for len(s) >= 4 {
		bad |= table[s[0]] | table[s[1]] | table[s[2]] | table[s[3]]
		s = s[4:]
	}
	for i := 0; i < len(s); i++ {
		bad |= table[s[i]]
	}
	return bad == 0
}

// cookie finds the cookie called name in the Cookie header fields, which
// HTTP/2 may split into several. It does not allocate.
func cookie(fields []string, name string) (string, lookResult) {
	var (
		val string
		n   int
	)
	for _, line := range fields {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, ok := strings.Cut(textproto.TrimString(part), "=")
			if !ok || k != name {
				continue
			}
			n++
			val = v
		}
	}
	switch {
	case n == 0:
		return "", absent
	case n > 1:
		return "", repeated
	}
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		val = val[1 : len(val)-1]
	}
	if val == "" {
		return "", malformed
	}
	return val, present
}

// queryParam finds the parameter called name in a raw query, decoding
// only what it must.
func queryParam(raw, name string) (string, lookResult) {
	var (
		val string
		n   int
	)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
		}
		if k != name {
			continue
		}
		n++
		val = v
	}
	switch {
	case n == 0:
		return "", absent
	case n > 1:
		return "", repeated
	}
	val, err := url.QueryUnescape(val)
	if err != nil || val == "" {
		return "", malformed
	}
	return val, present
}

// isToken reports whether s is an RFC 9110 token, the syntax of header
// field names and of cookie names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
