package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cognitojwt/cognitojwt"
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

	// Pools are the Cognito user pools whose tokens are accepted.
	Pools []PoolConfig `yaml:"pools"`
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
	// upstream (arrays are joined with ","), such as sub: X-Auth-Sub.
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
}

// TLSConfig names a certificate and key in PEM files.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// PoolConfig is one Cognito pool, as cognitojwt.Config.
type PoolConfig struct {
	UserPoolID        string   `yaml:"user_pool_id"`
	TokenUse          string   `yaml:"token_use"` // access (default), id, any
	ClientIDs         []string `yaml:"client_ids"`
	AllowAnyClient    bool     `yaml:"allow_any_client"`
	Issuer            string   `yaml:"issuer"`
	JWKSURL           string   `yaml:"jwks_url"`
	AllowInsecureHTTP bool     `yaml:"allow_insecure_http"`
	Leeway            Duration `yaml:"leeway"`
}

// IssuerConfig is one OpenID Connect issuer, as oidc.Config.
type IssuerConfig struct {
	Issuer            string   `yaml:"issuer"`
	Audiences         []string `yaml:"audiences"`
	AllowAnyAudience  bool     `yaml:"allow_any_audience"`
	JWKSURL           string   `yaml:"jwks_url"`
	GroupsClaim       string   `yaml:"groups_claim"`
	AllowInsecureHTTP bool     `yaml:"allow_insecure_http"`
	Leeway            Duration `yaml:"leeway"`
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

// Parse reads and validates a configuration document. Unknown fields are
// errors: a misspelt "grups" must not silently drop a requirement.
func Parse(data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (c *Config) validate() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.AdminListen == "" {
		c.AdminListen = "127.0.0.1:9090"
	}
	if c.Realm == "" {
		c.Realm = "cognitojwt"
	}
	if len(c.Sources) == 0 {
		c.Sources = []string{"bearer"}
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.TLS != nil && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		fail("tls: cert_file and key_file are both required")
	}
	if c.Upstream != "" {
		u, err := url.Parse(c.Upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail("upstream %q: want an absolute http or https URL", c.Upstream)
		}
	} else if c.ForwardAuthPath == "" {
		fail("upstream is required (or set forward_auth_path for forward-auth only)")
	}
	if c.ForwardAuthPath != "" && !strings.HasPrefix(c.ForwardAuthPath, "/") {
		fail("forward_auth_path %q must start with /", c.ForwardAuthPath)
	}
	if len(c.Pools) == 0 && len(c.Issuers) == 0 {
		fail("no pools and no issuers: nothing would be trusted")
	}
	for i, p := range c.Pools {
		if _, err := cognitojwt.New(p.cognito()); err != nil {
			fail("pools[%d]: %v", i, err)
		}
	}
	for i, is := range c.Issuers {
		if is.Issuer == "" {
			fail("issuers[%d]: issuer is required", i)
		} else if _, err := oidc.New(is.oidc()); err != nil {
			fail("issuers[%d]: %v", i, err)
		}
	}
	if _, err := parseSources(c.Sources); err != nil {
		fail("%v", err)
	}
	switch c.Default {
	case "":
		c.Default = "deny"
	case "deny", "authenticate":
	default:
		fail("default %q: want deny or authenticate", c.Default)
	}
	mux := http.NewServeMux()
	for i, r := range c.Routes {
		if r.Pattern == "" {
			fail("routes[%d]: pattern is required", i)
			continue
		}
		if err := register(mux, r.Pattern); err != nil {
			fail("routes[%d]: pattern %q: %v", i, r.Pattern, err)
		}
		if r.Anonymous && (len(r.Scopes) > 0 || len(r.Groups) > 0 || r.TokenUse != "") {
			fail("routes[%d] %q: anonymous routes cannot require scopes, groups or a token use", i, r.Pattern)
		}
		switch r.TokenUse {
		case "", "access", "id":
		default:
			fail("routes[%d] %q: token_use %q: want access or id", i, r.Pattern, r.TokenUse)
		}
	}
	seen := map[string]string{}
	for claim, header := range c.Headers {
		h := http.CanonicalHeaderKey(header)
		if claim == "" || header == "" || strings.ContainsAny(header, " :\t\r\n") {
			fail("headers: invalid mapping %q: %q", claim, header)
		}
		if other, dup := seen[h]; dup {
			fail("headers: %s is mapped from both %q and %q", h, other, claim)
		}
		seen[h] = claim
		switch h {
		case "Authorization", "Cookie", "Host", "Content-Length", "Transfer-Encoding", "Connection":
			fail("headers: %s cannot carry a claim", h)
		}
	}
	return errors.Join(errs...)
}

// register adds pattern to mux, turning ServeMux's panic on an invalid or
// conflicting pattern into an error.
func register(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return nil
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
		Leeway:            time.Duration(p.Leeway),
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
		Leeway:            is.Leeway.D(0),
	}
}
