package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// Config is the gateway's configuration file. Zero fields mean the
// documented defaults; Load refuses unknown fields and invalid values.
type Config struct {
	// Listen is the address of the main listener. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// AdminListen serves /healthz, /readyz and /metrics. Default
	// 127.0.0.1:9090; "off" disables it.
	AdminListen string `yaml:"admin_listen"`
	// TLS, when set, serves the main listener over TLS.
	TLS *TLSConfig `yaml:"tls"`

	// Upstream is the URL requests are proxied to. Required unless only
	// forward-auth is used (ForwardAuthPath set and no route proxies).
	Upstream string `yaml:"upstream"`
	// ForwardAuthPath, when set (such as "/_auth"), answers nginx
	// auth_request and Traefik ForwardAuth checks there instead of
	// proxying: 200 with identity headers, or 401/403/503.
	ForwardAuthPath string `yaml:"forward_auth_path"`
	// ExtAuthzPrefix, when set (such as "/_ext_authz"), answers Envoy
	// ext_authz HTTP-service checks (and Istio's envoyExtAuthzHttp) whose
	// path is this prefix followed by the original path: the original
	// method and path are the check request's own, not headers.
	ExtAuthzPrefix string `yaml:"ext_authz_prefix"`

	// Pools are the Cognito user pools whose tokens are accepted.
	Pools []PoolConfig `yaml:"pools"`
	// PoolsFrom, when set, also trusts the pools of a directory, one file
	// per pool, read when a pool's first token arrives (multi-tenant
	// services; see poolsfrom.go and docs/GATEWAY.md).
	PoolsFrom *PoolsFromConfig `yaml:"pools_from"`
	// Issuers are other OpenID Connect issuers whose tokens are accepted.
	Issuers []IssuerConfig `yaml:"issuers"`

	// Sources are where the token is read from, in order: "bearer",
	// "header:<name>", "cookie:<name>", "query:<name>", "alb". Default
	// ["bearer"].
	Sources []string `yaml:"sources"`
	// Realm is the RFC 6750 realm of challenges. Default "cognitojwt".
	Realm string `yaml:"realm"`

	// Routes are matched as Go http.ServeMux patterns ("GET /api/",
	// "/admin/{id}"); the most specific pattern wins.
	Routes []RouteConfig `yaml:"routes"`
	// Default is what happens to a request no route matches: "deny"
	// (403, the default) or "authenticate" (any valid token).
	Default string `yaml:"default"`

	// Headers maps claim names to the request headers that carry them
	// upstream (arrays as HeaderEncoding says), such as sub: X-Auth-Sub.
	// Every one of these headers is removed from incoming requests, so a
	// client cannot spoof them.
	Headers map[string]string `yaml:"headers"`
	// ClaimsHeader, when set, carries the whole claims JSON, base64url.
	ClaimsHeader string `yaml:"claims_header"`
	// StripToken removes the token from the upstream request. Default
	// false: upstreams that verify again need it.
	StripToken bool `yaml:"strip_token"`

	// Timeouts of the servers and the upstream.
	Timeouts Timeouts `yaml:"timeouts"`
	// MaxHeaderBytes bounds request headers. Default 64 KiB.
	MaxHeaderBytes int `yaml:"max_header_bytes"`

	// AllowPathParams lets ";" through in path segments. Default false:
	// servlet containers (Tomcat, Jetty) drop ";…" from every segment, so
	// "/admin;x/" is "/admin/" to them and "/admin;x/" (another route) to
	// the gateway. Set it only when the upstream does not strip ";".
	AllowPathParams bool `yaml:"allow_path_params"`
	// CaseSensitive declares that the upstream routes paths case-
	// sensitively. Default false: a request whose case-folded path selects
	// another route than its literal path is refused (400), because
	// Express, ASP.NET Core and IIS route "/ADMIN/" as "/admin/".
	CaseSensitive bool `yaml:"case_sensitive"`
	// CustomMethods are methods besides the standard ones (GET, HEAD,
	// POST, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE) that a route
	// pattern may name, such as PROPFIND. Default none: "GETT /admin/" is
	// a typo, not a method.
	CustomMethods []string `yaml:"custom_methods"`
	// MethodOverrideHeaders are removed before the upstream (proxy mode)
	// and refused with 400 (forward-auth mode), so the method judged is
	// the method executed. Absent means X-HTTP-Method-Override,
	// X-HTTP-Method and X-Method-Override; an explicit [] turns it off.
	MethodOverrideHeaders []string `yaml:"method_override_headers"`
	// HeaderEncoding is how array claims are written into headers:
	// "structured" (default: an RFC 8941 list of strings, "ops", "admin")
	// or "comma" (ops,admin; a value containing "," is not forwarded).
	HeaderEncoding string `yaml:"header_encoding"`
	// Limits bound slow and many clients.
	Limits Limits `yaml:"limits"`
	// Revocation, when set, refuses revoked tokens, shared with other
	// instances through Redis (see revocation.go).
	Revocation *RevocationConfig `yaml:"revocation"`
	// CacheSize is the number of verified tokens remembered, so that a
	// repeated token skips the parse and the signature (every rule still
	// runs on each request), for the pools and for the issuers each; see
	// oidc.Config.CacheSize. Zero means oidc.DefaultCacheSize; negative
	// turns the cache off.
	CacheSize int `yaml:"cache_size"`
	// Pprof serves Go's profiler (net/http/pprof) under /debug/pprof/ on
	// the admin listener, for profiling the gateway under load. Off by
	// default: profiles show memory contents such as tokens, and a CPU
	// profile costs CPU, so never expose it beyond the admin network. It
	// cannot change on reload.
	Pprof bool `yaml:"pprof"`

	// lines are the YAML lines of keys, for errors found after decoding.
	lines *yaml.Node
}

// Limits bound what clients can hold. Zero means the default given on
// each; -1 means no limit.
type Limits struct {
	// MaxConnections caps open client connections on the main listener;
	// further connections wait in the kernel's accept queue. Default 2048.
	MaxConnections int `yaml:"max_connections"`
	// MaxInFlight caps requests being served at once; beyond it the
	// answer is 503 with Retry-After. Default 512.
	MaxInFlight int `yaml:"max_in_flight"`
	// MinBodyRate is the slowest average request-body rate accepted, in
	// bytes per second, after BodyGrace; a slower client gets 408 and its
	// connection is closed. Default 1024.
	MinBodyRate int `yaml:"min_body_rate"`
	// BodyGrace is how long a body may take before MinBodyRate applies.
	// Default 10s.
	BodyGrace Duration `yaml:"body_grace"`
}

// TLSConfig names a certificate and key in PEM files.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// PoolConfig is one Cognito pool, as cognitojwt.Config.
type PoolConfig struct {
	UserPoolID        string    `yaml:"user_pool_id"`
	TokenUse          string    `yaml:"token_use"` // access (default), id, any
	ClientIDs         []string  `yaml:"client_ids"`
	AllowAnyClient    bool      `yaml:"allow_any_client"`
	Issuer            string    `yaml:"issuer"`
	JWKSURL           string    `yaml:"jwks_url"`
	AllowInsecureHTTP bool      `yaml:"allow_insecure_http"`
	Leeway            *Duration `yaml:"leeway"`
	// Algorithms widens or narrows the accepted signature algorithms
	// (RS256, ES256, …, EdDSA). Absent means RS256, what Cognito signs
	// with; emulators may sign otherwise.
	Algorithms []string `yaml:"algorithms"`
}

// IssuerConfig is one OpenID Connect issuer, as oidc.Config.
type IssuerConfig struct {
	Issuer            string    `yaml:"issuer"`
	Audiences         []string  `yaml:"audiences"`
	AllowAnyAudience  bool      `yaml:"allow_any_audience"`
	JWKSURL           string    `yaml:"jwks_url"`
	GroupsClaim       string    `yaml:"groups_claim"`
	AllowInsecureHTTP bool      `yaml:"allow_insecure_http"`
	Leeway            *Duration `yaml:"leeway"`
	// Algorithms narrows the accepted signature algorithms. Absent means
	// every supported asymmetric algorithm.
	Algorithms []string `yaml:"algorithms"`
}

// RouteConfig is what a route requires.
type RouteConfig struct {
	// Pattern is an http.ServeMux pattern. Required.
	Pattern string `yaml:"pattern"`
	// Anonymous lets requests without a token through (a token that is
	// present must still be valid, and its claims are forwarded).
	Anonymous bool `yaml:"anonymous"`
	// Scopes and Groups are any-of lists; All* require every one.
	Scopes    []string `yaml:"scopes"`
	AllScopes bool     `yaml:"all_scopes"`
	Groups    []string `yaml:"groups"`
	AllGroups bool     `yaml:"all_groups"`
	// TokenUse narrows the route to "access" or "id" tokens.
	TokenUse string `yaml:"token_use"`
}

// Timeouts of the gateway. Zero means the default given on each.
type Timeouts struct {
	ReadHeader Duration `yaml:"read_header"` // default 10s
	Read       Duration `yaml:"read"`        // default 0: bodies may stream
	Write      Duration `yaml:"write"`       // default 0: responses may stream
	Idle       Duration `yaml:"idle"`        // default 120s
	Upstream   Duration `yaml:"upstream"`    // upstream response headers; default 30s
	Shutdown   Duration `yaml:"shutdown"`    // graceful shutdown; default 15s
	// ReloadKeys bounds fetching the key sets of a reloaded configuration;
	// a reload whose keys do not come within it is refused. Default 10s.
	ReloadKeys Duration `yaml:"reload_keys"`
}

// Duration is a time.Duration written as "1m30s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: duration must be a string such as \"30s\"", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: invalid duration %q", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration, or def when d is zero.
func (d Duration) D(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse reads and validates a configuration document. Unknown keys are
// errors (a misspelt "grups" must not silently drop a requirement), and
// so is anything that would drop, weaken or silently change a rule: a
// configuration Parse accepts is one New builds. Errors name the YAML key
// and its line.
func Parse(data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("invalid configuration: %s", yamlMessage(err))
	}
	if len(root.Content) == 0 {
		return nil, errors.New("invalid configuration: the document is empty")
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("invalid configuration: line %d: want a mapping of keys (listen:, pools:, routes:, …)", root.Content[0].Line)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("invalid configuration: %s", yamlMessage(err))
	}
	cfg.lines = root.Content[0]
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	// The last word: the configuration must build. Every rule above
	// exists so that this never fails; if it does, refusing here keeps
	// a start or a reload from failing later.
	if _, err := (&Gateway{log: discardLog, metrics: newMetrics()}).build(&cfg); err != nil {
		return nil, fmt.Errorf("invalid configuration: %v", err)
	}
	return &cfg, nil
}

var goTypeWords = strings.NewReplacer(
	"[]gateway.RouteConfig", "a list of routes", "[]gateway.PoolConfig", "a list of pools",
	"[]gateway.IssuerConfig", "a list of issuers", "map[string]string", "a mapping of names",
	"[]string", "a list of strings", "*gateway.TLSConfig", "a mapping", "gateway.Timeouts", "a mapping",
	"gateway.Limits", "a mapping", "gateway.Config", "a mapping", "gateway.RouteConfig", "a mapping",
	"gateway.PoolConfig", "a mapping", "gateway.IssuerConfig", "a mapping",
)

var (
	reUnknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)
	reUnmarshal    = regexp.MustCompile("cannot unmarshal !!(\\w+) (`[^`]*` )?into (\\S+)")
)

// yamlMessage rewrites the decoder's errors, which name Go types, into
// the terms of the file.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			m = reUnknownField.ReplaceAllString(m, `unknown key "$1"`)
			m = reUnmarshal.ReplaceAllStringFunc(m, func(s string) string {
				sub := reUnmarshal.FindStringSubmatch(s)
				want := goTypeWords.Replace(sub[3])
				switch want {
				case "string":
					want = "a string"
				case "bool":
					want = "true or false"
				case "int":
					want = "an integer"
				}
				return fmt.Sprintf("want %s, not a %s %s", want, yamlKind(sub[1]), strings.Trim(sub[2], "` "))
			})
			msgs[i] = m
		}
		return strings.Join(msgs, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func yamlKind(tag string) string {
	switch tag {
	case "seq":
		return "list"
	case "map":
		return "mapping"
	case "str":
		return "string"
	}
	return tag
}

// checker collects validation errors, each with the YAML key and line.
type checker struct {
	root *yaml.Node
	errs []error
}

// fail records an error at the key path (strings for keys, ints for
// list indexes), such as "routes", 0, "groups".
func (c *checker) fail(path []any, format string, args ...any) {
	line, name := 0, ""
	n := c.root
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if name != "" {
				name += "."
			}
			name += p
			if n != nil && n.Kind == yaml.MappingNode {
				var next *yaml.Node
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == p {
						line, next = n.Content[i].Line, n.Content[i+1]
					}
				}
				n = next
			} else {
				n = nil
			}
		case int:
			name += fmt.Sprintf("[%d]", p)
			if n != nil && n.Kind == yaml.SequenceNode && p < len(n.Content) {
				n = n.Content[p]
				line = n.Line
			} else {
				n = nil
			}
		}
	}
	msg := fmt.Sprintf(format, args...)
	if name != "" {
		msg = name + ": " + msg
	}
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	c.errs = append(c.errs, errors.New(msg))
}

func at(path ...any) []any { return path }

// standardMethods are the methods a route pattern may name without
// custom_methods (RFC 9110 §9, RFC 5789).
var standardMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}

// defaultMethodOverrideHeaders are the headers Express method-override,
// Rails, Symfony, Laravel and others read as the "real" method.
var defaultMethodOverrideHeaders = []string{"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"}

func (c *Config) validate() error {
	ck := &checker{root: c.lines}
	fail := ck.fail
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.AdminListen == "" {
		c.AdminListen = "127.0.0.1:9090"
	}
	if c.Realm == "" {
		c.Realm = "cognitojwt"
	} else if !visibleASCII(c.Realm) {
		fail(at("realm"), "%q: only printable ASCII can be sent in WWW-Authenticate", c.Realm)
	}
	if c.Sources == nil {
		c.Sources = []string{"bearer"}
	} else if len(c.Sources) == 0 {
		fail(at("sources"), "empty list: no token could be read (leave the key out for [bearer])")
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = 64 << 10
	} else if c.MaxHeaderBytes < 0 {
		fail(at("max_header_bytes"), "must be positive")
	}
	if c.TLS != nil && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		fail(at("tls"), "cert_file and key_file are both required")
	}
	if c.Upstream != "" {
		u, err := url.Parse(c.Upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			fail(at("upstream"), "%q: want an absolute http or https URL without credentials, query or fragment", c.Upstream)
		}
	} else if c.ForwardAuthPath == "" {
		fail(at("upstream"), "required (or set forward_auth_path for forward-auth only)")
	}
	if p := c.ForwardAuthPath; p != "" {
		switch {
		case !strings.HasPrefix(p, "/"):
			fail(at("forward_auth_path"), "%q must start with /", p)
		case p == "/" && c.Upstream != "":
			fail(at("forward_auth_path"), `"/" would take every path from the proxied routes: name a path of its own, such as /_auth`)
		case strings.ContainsFunc(p, func(r rune) bool { return !plainPathRune(r) }) || checkPath(p, false) != nil:
			fail(at("forward_auth_path"), "%q: want a plain canonical path such as /_auth (no wildcards, spaces, dot segments or ;)", p)
		}
	}
	if p := c.ExtAuthzPrefix; p != "" {
		switch {
		case !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || p == c.ForwardAuthPath:
			fail(at("ext_authz_prefix"), "%q must start with /, not end with /, and differ from forward_auth_path", p)
		case strings.ContainsFunc(p, func(r rune) bool { return !plainPathRune(r) }) || checkPath(p, false) != nil:
			fail(at("ext_authz_prefix"), "%q: want a plain canonical path such as /_ext_authz (no wildcards, spaces, dot segments or ;)", p)
		case c.Upstream == "" && c.ForwardAuthPath == "":
			fail(at("ext_authz_prefix"), "needs an upstream or a forward_auth_path beside it")
		}
	}
	if len(c.Pools) == 0 && len(c.Issuers) == 0 && c.PoolsFrom == nil {
		fail(nil, "no pools, pools_from or issuers: nothing would be trusted")
	}
	if c.Pools != nil && len(c.Pools) == 0 {
		fail(at("pools"), "empty list")
	}
	if c.Issuers != nil && len(c.Issuers) == 0 {
		fail(at("issuers"), "empty list")
	}
	for i := range c.Pools {
		checkPool(ck, at("pools", i), &c.Pools[i])
	}
	c.validatePoolsFrom(ck)
	for i, is := range c.Issuers {
		checkAlgorithms(ck, at("issuers", i, "algorithms"), is.Algorithms)
		checkNames(ck, at("issuers", i, "audiences"), is.Audiences, true)
		if is.Issuer == "" {
			fail(at("issuers", i), "issuer is required")
		} else if _, err := oidc.New(is.oidc()); err != nil {
			fail(at("issuers", i), "%s", libraryMessage(err))
		}
	}
	for i, s := range c.Sources {
		if _, err := parseSources([]string{s}); err != nil {
			fail(at("sources", i), "%q: want bearer, alb, header:<name>, cookie:<name> or query:<name>", s)
		} else if kind, name, _ := strings.Cut(s, ":"); (kind == "header" && !validHeaderName(name)) || (kind != "header" && strings.ContainsAny(name, " \t\r\n;,=\"")) {
			fail(at("sources", i), "%q: invalid name", s)
		}
	}
	switch c.Default {
	case "":
		c.Default = "deny"
	case "deny", "authenticate":
	default:
		fail(at("default"), "%q: want deny or authenticate", c.Default)
	}
	switch c.HeaderEncoding {
	case "":
		c.HeaderEncoding = "structured"
	case "structured", "comma":
	default:
		fail(at("header_encoding"), "%q: want structured or comma", c.HeaderEncoding)
	}
	for i, m := range c.CustomMethods {
		if !validMethod(m) {
			fail(at("custom_methods", i), "%q: want an upper-case method token", m)
		} else if slices.Contains(standardMethods, m) {
			fail(at("custom_methods", i), "%q is a standard method", m)
		}
	}
	if c.MethodOverrideHeaders == nil {
		c.MethodOverrideHeaders = defaultMethodOverrideHeaders
	}
	for i, h := range c.MethodOverrideHeaders {
		if !validHeaderName(h) {
			fail(at("method_override_headers", i), "%q is not a header name", h)
		}
	}
	c.validateLimits(ck)
	c.validateRoutes(ck)
	c.validateHeaders(ck)
	return errors.Join(ck.errs...)
}

func (c *Config) validateLimits(ck *checker) {
	for _, l := range []struct {
		key string
		v   *int
		def int
	}{
		{"max_connections", &c.Limits.MaxConnections, 2048},
		{"max_in_flight", &c.Limits.MaxInFlight, 512},
		{"min_body_rate", &c.Limits.MinBodyRate, 1024},
	} {
		switch {
		case *l.v == 0:
			*l.v = l.def
		case *l.v < -1:
			ck.fail(at("limits", l.key), "%d: want a positive number, or -1 for no limit", *l.v)
		}
	}
}

func (c *Config) validateRoutes(ck *checker) {
	fail := ck.fail
	if c.Routes != nil && len(c.Routes) == 0 {
		fail(at("routes"), "empty list (leave the key out: every request then gets the default)")
	}
	for i, r := range c.Routes {
		key := func(k ...any) []any { return append(at("routes", i), k...) }
		if r.Pattern == "" {
			fail(key("pattern"), "required")
			continue
		}
		method, host, _, err := splitPattern(r.Pattern)
		switch {
		case err != nil:
			fail(key("pattern"), "%q: %v", r.Pattern, err)
		case method != "" && !slices.Contains(standardMethods, method) && !slices.Contains(c.CustomMethods, method):
			fail(key("pattern"), "%q: unknown method %q (a typo would let the request fall to another route; list a real custom method in custom_methods)", r.Pattern, method)
		case host != "" && canonicalPatternHost(host) != host:
			fail(key("pattern"), "%q: host %q: write it lower case, without a trailing dot or a port (request hosts are matched that way)", r.Pattern, host)
		}
		if r.Anonymous && (r.Scopes != nil || r.Groups != nil || r.TokenUse != "" || r.AllScopes || r.AllGroups) {
			fail(key("anonymous"), "anonymous routes cannot require scopes, groups or a token use")
		}
		if r.Scopes != nil && len(r.Scopes) == 0 {
			fail(key("scopes"), "empty list: it would require nothing (leave the key out for any valid token)")
		}
		if r.Groups != nil && len(r.Groups) == 0 {
			fail(key("groups"), "empty list: it would require nothing (leave the key out for any valid token)")
		}
		if r.AllScopes && len(r.Scopes) == 0 {
			fail(key("all_scopes"), "set without scopes: it would require nothing")
		}
		if r.AllGroups && len(r.Groups) == 0 {
			fail(key("all_groups"), "set without groups: it would require nothing")
		}
		for j, s := range r.Scopes {
			// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ),
			// separated by U+0020 only. A name with a space can never be
			// granted; a name with another space or control character
			// would be read differently by each party.
			if !validScopeToken(s) {
				fail(key("scopes", j), "%q: a scope is printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)", s)
			}
		}
		for j, g := range r.Groups {
			if strings.TrimSpace(g) != g || g == "" || strings.ContainsFunc(g, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
				fail(key("groups", j), "%q: a group name is not blank and has no spaces or control characters", g)
			}
		}
		switch r.TokenUse {
		case "", "access", "id":
		default:
			fail(key("token_use"), "%q: want access or id", r.TokenUse)
		}
	}
	// The route trees exactly as build makes them, so a conflict (two
	// routes, a route and the default "/") is found here, not at start.
	if _, err := newRouteTable(c); err != nil {
		var re *routeError
		if errors.As(err, &re) && re.index >= 0 {
			fail(at("routes", re.index, "pattern"), "%v", re.err)
		} else {
			fail(at("routes"), "%v", err)
		}
	}
}

func (c *Config) validateHeaders(ck *checker) {
	seen := map[string]string{}
	reserved := func(h string) bool {
		switch h {
		case "Authorization", "Cookie", "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection",
			"Upgrade", "Te", "Trailer", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Forwarded",
			"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Original-Uri", "X-Original-Method",
			"X-Original-Host", "X-Forwarded-Uri", "X-Forwarded-Method":
			return true
		}
		for _, m := range c.MethodOverrideHeaders {
			if http.CanonicalHeaderKey(m) == h {
				return true
			}
		}
		return false
	}
	claims := make([]string, 0, len(c.Headers))
	for claim := range c.Headers {
		claims = append(claims, claim)
	}
	slices.Sort(claims)
	for _, claim := range claims {
		header := c.Headers[claim]
		h := canonicalIdentityName(header)
		switch {
		case claim == "" || strings.TrimSpace(claim) != claim:
			ck.fail(at("headers"), "claim name %q is blank or padded", claim)
		case !validHeaderName(header):
			ck.fail(at("headers", claim), "%q is not a header name", header)
		case reserved(h):
			ck.fail(at("headers", claim), "%s cannot carry a claim", h)
		}
		if other, dup := seen[h]; dup {
			ck.fail(at("headers", claim), "%s is mapped from both %q and %q", h, other, claim)
		}
		seen[h] = claim
	}
	if c.ClaimsHeader != "" {
		h := canonicalIdentityName(c.ClaimsHeader)
		switch {
		case !validHeaderName(c.ClaimsHeader):
			ck.fail(at("claims_header"), "%q is not a header name", c.ClaimsHeader)
		case reserved(h):
			ck.fail(at("claims_header"), "%s cannot carry the claims", h)
		case seen[h] != "":
			ck.fail(at("claims_header"), "%s is also mapped from %q", h, seen[h])
		}
	}
}

// canonicalIdentityName is a header's name as the strip rule compares it:
// "_" and "-" are the same to CGI-style servers.
func canonicalIdentityName(h string) string {
	return http.CanonicalHeaderKey(strings.ReplaceAll(h, "_", "-"))
}

// checkNames refuses blank or padded entries of a list of identifiers.
func checkNames(ck *checker, path []any, names []string, allowEmptyList bool) {
	if !allowEmptyList && names != nil && len(names) == 0 {
		ck.fail(path, "empty list")
	}
	for j, n := range names {
		if n == "" || strings.TrimSpace(n) != n || strings.ContainsFunc(n, unicode.IsControl) {
			ck.fail(append(path, j), "%q is blank, padded or has a control character", n)
		}
	}
}

// checkPool checks one pool, of pools: or of a pools_from file.
func checkPool(ck *checker, path []any, p *PoolConfig) {
	checkAlgorithms(ck, slices.Concat(path, at("algorithms")), p.Algorithms)
	checkNames(ck, slices.Concat(path, at("client_ids")), p.ClientIDs, true)
	if _, err := cognitojwt.New(p.cognito()); err != nil {
		ck.fail(path, "%s", libraryMessage(err))
	}
}

func checkAlgorithms(ck *checker, path []any, algs []string) {
	if algs != nil && len(algs) == 0 {
		ck.fail(path, "empty list: no token could be verified (leave the key out for the default)")
	}
	for j, a := range algs {
		if !slices.Contains(jws.Algorithms(), jws.Algorithm(a)) {
			names := make([]string, 0, 10)
			for _, s := range jws.Algorithms() {
				names = append(names, string(s))
			}
			ck.fail(append(path, j), "%q: want one of %s", a, strings.Join(names, ", "))
		}
	}
}

// libraryMessage turns a cognitojwt or oidc config error, which names Go
// fields, into the YAML keys of the file.
var libraryKeys = strings.NewReplacer(
	"UserPoolID", "user_pool_id", "ClientIDs", "client_ids", "AllowAnyClient", "allow_any_client",
	"TokenUse", "token_use", "JWKSURL", "jwks_url", "AllowInsecureHTTP", "allow_insecure_http",
	"AllowAnyAudience", "allow_any_audience", "Audiences", "audiences", "GroupsClaim", "groups_claim",
	"Algorithms", "algorithms", "Leeway", "leeway", "Issuer", "issuer",
)

func libraryMessage(err error) string {
	return libraryKeys.Replace(err.Error())
}

func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainPathRune reports whether r may appear unencoded in a path and
// means nothing to a ServeMux pattern (RFC 3986 pchar less ";", "{", "}").
func plainPathRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-._~!$&'()*+,=:@", r)
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// validHeaderName reports whether h is an RFC 9110 §5.1 field name (a
// token).
func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// leeway maps the YAML value onto the library's: absent is the library
// default (5 s), and an explicit 0s is none (a negative Leeway there).
func leeway(d *Duration) time.Duration {
	switch {
	case d == nil:
		return 0
	case *d == 0:
		return -1
	}
	return time.Duration(*d)
}

func algorithms(names []string) []jws.Algorithm {
	if names == nil {
		return nil
	}
	out := make([]jws.Algorithm, len(names))
	for i, n := range names {
		out[i] = jws.Algorithm(n)
	}
	return out
}

func (p PoolConfig) cognito() cognitojwt.Config {
	use := cognitojwt.TokenUse(p.TokenUse)
	if use == "" {
		use = cognitojwt.AccessToken
	}
	return cognitojwt.Config{
		UserPoolID:        p.UserPoolID,
		TokenUse:          use,
		ClientIDs:         p.ClientIDs,
		AllowAnyClient:    p.AllowAnyClient,
		Issuer:            p.Issuer,
		JWKSURL:           p.JWKSURL,
		AllowInsecureHTTP: p.AllowInsecureHTTP,
		Leeway:            leeway(p.Leeway),
		Algorithms:        algorithms(p.Algorithms),
	}
}

func (is IssuerConfig) oidc() oidc.Config {
	return oidc.Config{
		Issuer:            is.Issuer,
		Audiences:         is.Audiences,
		AllowAnyAudience:  is.AllowAnyAudience,
		JWKSURL:           is.JWKSURL,
		GroupsClaim:       is.GroupsClaim,
		AllowInsecureHTTP: is.AllowInsecureHTTP,
		Leeway:            leeway(is.Leeway),
		Algorithms:        algorithms(is.Algorithms),
	}
}
