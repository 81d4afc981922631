package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the one reading of a request that every decision and
// every forwarded byte comes from: the method, the host and the path are
// put in canonical form, or the request is refused with 400, before any
// route is chosen, in proxy and forward-auth mode alike.

// routeID names the route a request is judged by: an index into
// Config.Routes, or defaultRoute.
type routeID int

const defaultRoute routeID = -1

func (routeID) ServeHTTP(http.ResponseWriter, *http.Request) {}

// routeTable chooses routes. literal holds the patterns as written;
// folded, unless the upstream is declared case-sensitive, holds them with
// their literal path text case-folded, for the request's folded path.
type routeTable struct {
	literal, folded *http.ServeMux
	allowParams     bool
}

// routeError is a pattern http.ServeMux refused; index is the route, or
// -1 for the default route.
type routeError struct {
	index int
	err   error
}

func (e *routeError) Error() string { return e.err.Error() }

var reRegisteredAt = regexp.MustCompile(`\s*\(registered at [^)]*\)`)

// register adds pattern to mux, turning ServeMux's panic on an invalid or
// conflicting pattern into an error (without the Go source positions the
// panic names).
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := reRegisteredAt.ReplaceAllString(fmt.Sprint(r), "")
			err = errors.New(strings.Join(strings.Fields(msg), " "))
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// hasRootRoute reports whether a route is the "/" route (which replaces
// the default).
func hasRootRoute(cfg *Config) bool {
	for _, rc := range cfg.Routes {
		if rc.Pattern == "/" {
			return true
		}
	}
	return false
}

// newRouteTable registers every route, and the default "/" unless a route
// is "/", exactly as requests will be matched.
func newRouteTable(cfg *Config) (*routeTable, error) {
	t := &routeTable{literal: http.NewServeMux(), allowParams: cfg.AllowPathParams}
	if !cfg.CaseSensitive {
		t.folded = http.NewServeMux()
	}
	add := func(i int, pattern string) error {
		if err := register(t.literal, pattern, routeID(i)); err != nil {
			return &routeError{i, err}
		}
		if t.folded == nil {
			return nil
		}
		if err := register(t.folded, foldPattern(pattern), routeID(i)); err != nil {
			return &routeError{i, fmt.Errorf("%v: routes that differ only in letter case are one route to a case-insensitive upstream (set case_sensitive: true if the upstream is not)", err)}
		}
		return nil
	}
	for i, rc := range cfg.Routes {
		if err := add(i, rc.Pattern); err != nil {
			return nil, err
		}
	}
	if !hasRootRoute(cfg) {
		if err := add(int(defaultRoute), "/"); err != nil {
			var re *routeError
			errors.As(err, &re)
			return nil, fmt.Errorf("a route conflicts with the default route \"/\" (write the pattern \"/\" to replace the default): %v", re.err)
		}
	}
	return t, nil
}

// splitPattern splits an http.ServeMux pattern "[METHOD ][HOST]/PATH" as
// ServeMux does.
func splitPattern(p string) (method, host, path string, err error) {
	rest := p
	if m, r, ok := strings.Cut(p, " "); ok {
		method, rest = m, strings.TrimLeft(r, " \t")
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return "", "", "", errors.New("missing the path (want [METHOD ][HOST]/PATH)")
	}
	return method, rest[:i], rest[i:], nil
}

// foldPattern folds the literal text of a pattern's path; method, host
// and wildcard names stay.
func foldPattern(p string) string {
	method, host, path, err := splitPattern(p)
	if err != nil {
		return p
	}
	var b strings.Builder
	if method != "" {
		b.WriteString(method + " ")
	}
	b.WriteString(host)
	depth := 0
	for _, r := range path {
		switch r {
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth > 0 || r == '}' {
			b.WriteRune(r)
		} else {
			b.WriteRune(foldRune(r))
		}
	}
	return b.String()
}

// foldPath folds every letter of a decoded path.
func foldPath(p string) string { return strings.Map(foldRune, p) }

// foldRune maps a letter to one representative of every letter an
// upstream may take it for: ASCII lower case, and for a non-ASCII letter
// whose upper or lower case (or simple fold) is ASCII, that ASCII letter
// (U+0131 dotless i and U+017F long s upper-case to I and S in .NET's
// OrdinalIgnoreCase; U+212A Kelvin folds to k).
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return unicode.ToLower(r)
	}
	for _, c := range [...]rune{unicode.ToUpper(r), unicode.ToLower(r)} {
		if c < utf8.RuneSelf {
			return unicode.ToLower(c)
		}
	}
	for c := unicode.SimpleFold(r); c != r; c = unicode.SimpleFold(c) {
		if c < utf8.RuneSelf {
			return unicode.ToLower(c)
		}
	}
	return unicode.ToLower(r)
}

// requestError is why a request is not canonical; its text is the 400
// answer (it never echoes the request).
type requestError string

func (e requestError) Error() string { return string(e) }

// checkPath reports why a decoded path is not canonical: not absolute,
// not UTF-8, a control character or NUL, a backslash, a ";" (unless
// allowParams), an empty segment, a dot segment, or a segment ending in
// "." or a space (Windows and IIS drop those).
func checkPath(p string, allowParams bool) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return requestError("the path must start with /")
	case !utf8.ValidString(p):
		return requestError("the path is not UTF-8")
	case strings.ContainsFunc(p, unicode.IsControl):
		return requestError("the path has a control character")
	case strings.ContainsRune(p, '\\'):
		return requestError("the path has a backslash")
	case !allowParams && strings.ContainsRune(p, ';'):
		return requestError("the path has a ; parameter")
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		seg, _, _ = strings.Cut(seg, ";")
		switch {
		case seg == "" && i < len(segs)-1:
			return requestError("the path has an empty segment")
		case seg == "." || seg == "..":
			return requestError("the path has a dot segment")
		case strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " "):
			return requestError("a path segment ends in a dot or a space")
		}
	}
	return nil
}

// checkRawPath refuses encoded slashes and backslashes: the route is
// chosen on the decoded path, and upstreams differ on whether %2F
// separates segments.
func checkRawPath(escaped string) error {
	raw := strings.ToLower(escaped)
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return requestError("the path has an encoded slash or backslash")
	}
	return nil
}

// judge puts r in canonical form and returns the route that judges it:
// the method must be an upper-case token, the host is canonicalised (see
// canonicalHost), the path checked (checkPath, checkRawPath) and, when it
// still holds percent escapes, decoded again: if that second reading is
// not canonical or selects another route, the request is refused, as it
// is when its case-folded path selects another route. r.Host becomes
// canonical and r.URL.RawPath is cleared, so the upstream receives the
// path the route was chosen by, encoded one way.
func (t *routeTable) judge(r *http.Request) (routeID, http.Handler, string, error) {
	if !validMethod(r.Method) {
		return 0, nil, "", requestError("the method is not an upper-case token")
	}
	host, err := canonicalHost(r.Host)
	if err != nil {
		return 0, nil, "", err
	}
	r.Host = host
	if err := checkRawPath(r.URL.EscapedPath()); err != nil {
		return 0, nil, "", err
	}
	if err := checkPath(r.URL.Path, t.allowParams); err != nil {
		return 0, nil, "", err
	}
	r.URL.RawPath = ""
	h, pattern := t.literal.Handler(r)
	id, ok := h.(routeID)
	if !ok {
		return 0, h, pattern, nil // a redirect to the clean path, judged when followed
	}
	if err := t.sameRoute(r, id, r.URL.Path); err != nil {
		return 0, nil, "", err
	}
	if strings.ContainsRune(r.URL.Path, '%') {
		if twice, err := unescapePath(r.URL.Path); err == nil && twice != r.URL.Path {
			if err := checkPath(twice, t.allowParams); err != nil {
				return 0, nil, "", requestError("the path decoded twice is not canonical: " + err.Error())
			}
			if t.routeOf(t.literal, r, twice) != id {
				return 0, nil, "", requestError("the path decoded twice selects another route")
			}
			if err := t.sameRoute(r, id, twice); err != nil {
				return 0, nil, "", err
			}
		}
	}
	return id, h, pattern, nil
}

// sameRoute refuses a path whose case-folded form selects another route.
func (t *routeTable) sameRoute(r *http.Request, id routeID, path string) error {
	if t.folded == nil {
		return nil
	}
	if t.routeOf(t.folded, r, foldPath(path)) != id {
		return requestError("letter case selects another route")
	}
	return nil
}

func (t *routeTable) routeOf(mux *http.ServeMux, r *http.Request, path string) routeID {
	probe := &http.Request{Method: r.Method, Host: r.Host, URL: &url.URL{}}
	probe.URL.Path = path
	h, _ := mux.Handler(probe)
	if id, ok := h.(routeID); ok {
		return id
	}
	return -2 // not a route (a redirect): never the same as a route
}

func unescapePath(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && ishex(p[i+1]) && ishex(p[i+2]) {
			v, _ := strconv.ParseUint(p[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String(), nil
}

func ishex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// canonicalHost returns host in the form routes are matched by: lower
// case, one trailing dot removed, the default ports 80 and 443 removed,
// IP literals in their canonical text. A host that is neither a DNS name
// (letters, digits, "-" and "_" in labels of 1 to 63, at most 253, the
// last label not all digits) nor an IPv4 or bracketed IPv6 literal is
// refused: "0x7f.1", "2130706433", "a..b" and non-ASCII names (send the
// A-label, xn--…) mean one host to one resolver and another, or nothing,
// to the next.
func canonicalHost(host string) (string, error) {
	bad := requestError("the host is neither a DNS name nor an IP literal")
	if host == "" {
		return "", requestError("the request names no host")
	}
	name, port := host, ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "", bad
		}
		name, port = host[:end+1], host[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return "", bad
		}
		port = strings.TrimPrefix(port, ":")
		a, err := netip.ParseAddr(name[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", bad
		}
		name = "[" + a.String() + "]"
	} else {
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			name, port = host[:i], host[i+1:]
		}
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
			name = a.String()
		} else if !dnsName(name) {
			return "", bad
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", requestError("the host has an invalid port")
		}
		if n == 80 || n == 443 {
			port = ""
		}
	}
	if port != "" {
		return name + ":" + port, nil
	}
	return name, nil
}

func dnsName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// canonicalPatternHost is the host of a route pattern in canonical form
// without a port ("" if it is not a host): ServeMux compares hosts
// without their port.
func canonicalPatternHost(h string) string {
	c, err := canonicalHost(h)
	if err != nil {
		return ""
	}
	if !strings.HasSuffix(c, "]") {
		if i := strings.LastIndexByte(c, ':'); i >= 0 {
			return ""
		}
	}
	return c
}

// validMethod reports whether m is a method the gateway judges: an
// upper-case token of at most 32 letters. Methods are case-sensitive
// (RFC 9110 §9.1) and routes name them in upper case.
func validMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
