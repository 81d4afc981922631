package oidc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// DefaultLeeway is the clock skew allowed on exp, nbf and iat when
// [Config.Leeway] is zero.
const DefaultLeeway = 5 * time.Second

// NoLeeway, as Config.Leeway, allows no clock skew at all: the zero
// value means DefaultLeeway, so "none" is spelled with a negative
// duration, and this is that duration. aws-jwt-verify's graceSeconds: 0
// is NoLeeway here.
const NoLeeway time.Duration = -1

// DefaultCacheSize is the number of verified tokens remembered when
// [Config.CacheSize] is zero. A Cognito access token's entry costs about
// 3.5 KB (the token, its decoded form and the typed claims), so a full
// cache holds about 14 MiB, and at most 24 MiB whatever the tokens' size:
// small enough for a 128 MB Lambda or a sidecar, and enough for 4,096
// users active within their tokens' hour. A miss costs one signature
// (30 to 60 µs), so raise it for more active users when memory allows.
const DefaultCacheSize = 4096

// maxCacheSize bounds Config.CacheSize: 16 Mi entries, a 512 MiB table.
const maxCacheSize = 1 << 24

// KeySource looks up the key for a token's kid and alg; the key must fit
// alg (see jwks.Key.Fits). *jwks.Remote satisfies it, and [StaticKeys]
// adapts a *jwks.Set.
type KeySource interface {
	Key(ctx context.Context, kid string, alg jws.Algorithm) (*jwks.Key, error)
}

// StaticKeys is a KeySource over a fixed key set, for keys distributed out
// of band and for tests.
type StaticKeys struct{ Set *jwks.Set }

// Key looks kid up in the set; see jwks.Set.Lookup.
func (s StaticKeys) Key(_ context.Context, kid string, alg jws.Algorithm) (*jwks.Key, error) {
	if s.Set == nil {
		return nil, fmt.Errorf("%w: empty static key set", ErrKeysUnavailable)
	}
	return s.Set.Lookup(kid, alg)
}

// Config describes the tokens of one issuer that a verifier accepts. Zero
// fields mean the documented defaults; [New] refuses an invalid Config.
type Config struct {
	// Issuer is compared exactly with the "iss" claim (a trailing slash
	// matters: Auth0's issuers have one). Required. It must be https, or
	// http on a loopback host or with AllowInsecureHTTP.
	Issuer string

	// Audiences are the accepted "aud" values: a token passes when one of
	// its audiences equals one of these exactly (no prefix or substring
	// match, and an empty "aud" never matches). Empty is a configuration
	// error unless AllowAnyAudience is set.
	Audiences []string

	// AllowAnyAudience skips the "aud" check, for tokens that have no
	// audience (Cognito access tokens) or when another rule decides.
	AllowAnyAudience bool

	// JWKSURL is where the issuer's keys are. Zero means discovery: the
	// jwks_uri of <Issuer>/.well-known/openid-configuration, fetched on
	// first use, whose "issuer" must equal Issuer.
	JWKSURL string

	// Keys, when not nil, is used instead of fetching any URL.
	Keys KeySource

	// KeyOptions tunes the remote key set (see jwks.Options); its
	// HTTPClient and AllowInsecureHTTP are taken from this Config.
	KeyOptions jwks.Options

	// HTTPClient fetches discovery and keys. Nil means jwks's default
	// client (timeouts, proxies from the environment).
	HTTPClient *http.Client

	// AllowInsecureHTTP permits http Issuer, JWKSURL and jwks_uri on
	// hosts other than loopback. Never in production.
	AllowInsecureHTTP bool

	// Algorithms are the accepted signature algorithms. Nil means every
	// algorithm package jws supports (keys are bound to their algorithm,
	// so this is safe); list fewer to follow the issuer's policy.
	Algorithms []jws.Algorithm

	// Leeway is the clock skew allowed on exp, nbf and iat. Zero means
	// DefaultLeeway (5 s); negative, such as NoLeeway, means none.
	Leeway time.Duration

	// MaxAge, when positive, refuses a token whose "iat" is older than
	// this (or that has no "iat"), whatever its exp says.
	MaxAge time.Duration

	// RequiredClaims must each be present in the token, whatever their
	// value.
	RequiredClaims []string

	// Scopes, when not nil, requires at least one of these scopes (all
	// of them with AllScopes). A non-nil empty list is an error, as is a
	// name that is not an RFC 6749 §3.3 scope-token (see IsScopeToken):
	// no granted scope could ever equal it.
	Scopes    []string
	AllScopes bool

	// ScopeClaim names the claim scopes are read from. Zero means "scope"
	// (RFC 8693 §4.2), a string split on U+0020 only. Set "scp" for Entra
	// ID (a string) and Okta (an array); no other claim is read, so a
	// token cannot bring its scopes under a second name.
	ScopeClaim string

	// Groups, when not nil, requires at least one of these groups (all of
	// them with AllGroups), read from GroupsClaim. A non-nil empty list
	// is an error.
	Groups    []string
	AllGroups bool

	// GroupsClaim names the claim groups are read from. Zero means
	// "groups"; Entra ID app roles are "roles", Cognito's
	// "cognito:groups".
	GroupsClaim string

	// Check, when not nil, runs last, after the signature and every rule
	// above passed, with the typed claims. A non-nil error refuses the
	// token; it is returned inside a *ValidationError wrapping both
	// ErrCheckFailed and the error itself, unless it is already a
	// *ValidationError, which is returned as it is.
	Check func(ctx context.Context, c *Claims) error

	// Revocation, when not nil, is asked about every token that passed
	// the signature and every rule above, before Check, on every Verify
	// (cache hits included). Its refusal (ErrRevoked) and its outage
	// (ErrRevocationUnavailable: answer 503) are returned as they are.
	// Nil means no revocation check. See package revocation.
	Revocation revocation.Checker

	// Derive, when not nil, builds a value from a token's claims once,
	// when its signature has verified (so it is kept with the token in the
	// verified-token cache and not rebuilt on a repeat), for packages
	// that layer typed claims on this one, as cognitojwt does; Check and
	// the caller read it with [Claims.Derived]. It must depend on the
	// claims alone, not on the time or the request. An error refuses the
	// token as a failed Check would, after every rule above passed.
	Derive func(c *Claims) (any, error)

	// ErrorClaims attaches the claims of a token that failed a rule after
	// its signature verified to the *ValidationError. Off by default.
	ErrorClaims bool

	// CacheSize is the number of verified tokens remembered so that a
	// repeated token skips parsing and the signature (every time rule and
	// claim rule still runs on each call, and the key must still be in
	// the issuer's key set). An entry is never served at or after its
	// token's exp. The cache is also bounded by bytes, at 6 KiB per entry
	// on average, which only tokens of over 3 KB reach. Zero means
	// DefaultCacheSize; negative turns the cache off; over 16,777,216 is
	// a configuration error (the cache's table, 32 bytes per entry of
	// the bound, is allocated up front). With several configs the
	// largest value wins.
	CacheSize int

	// MaxTokenSize is the largest token accepted, in bytes. Zero means
	// jws.DefaultMaxTokenSize (16 KiB). With several configs the largest
	// value wins.
	MaxTokenSize int

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// validate checks c on its own.
func (c *Config) validate() error {
	if c.Issuer == "" {
		return fmt.Errorf("oidc: Issuer is required")
	}
	if err := CheckURL("Issuer", c.Issuer, c.AllowInsecureHTTP); err != nil {
		return err
	}
	if c.JWKSURL != "" {
		if err := CheckURL("JWKSURL", c.JWKSURL, c.AllowInsecureHTTP); err != nil {
			return err
		}
	}
	if len(c.Audiences) == 0 && !c.AllowAnyAudience {
		return fmt.Errorf("oidc: Audiences is empty for issuer %q: list the accepted audiences, or set AllowAnyAudience", clip(c.Issuer))
	}
	for _, a := range c.Audiences {
		if a == "" {
			return fmt.Errorf("oidc: empty audience for issuer %q", clip(c.Issuer))
		}
	}
	for _, a := range c.Algorithms {
		if !a.Supported() {
			return fmt.Errorf("oidc: algorithm %q is not supported", clip(string(a)))
		}
	}
	if c.CacheSize > maxCacheSize {
		return fmt.Errorf("oidc: CacheSize %d is over the limit of %d", c.CacheSize, maxCacheSize)
	}
	if c.Algorithms != nil && len(c.Algorithms) == 0 {
		return fmt.Errorf("oidc: Algorithms is empty but not nil: nil means every supported algorithm")
	}
	if c.Scopes != nil && len(c.Scopes) == 0 {
		return fmt.Errorf("oidc: Scopes is empty but not nil: nil means no requirement")
	}
	if c.Groups != nil && len(c.Groups) == 0 {
		return fmt.Errorf("oidc: Groups is empty but not nil: nil means no requirement")
	}
	for _, s := range c.Scopes {
		if s != "" && !IsScopeToken(s) {
			return fmt.Errorf("oidc: scope %q is not an RFC 6749 scope-token (printable ASCII, no space, quote or backslash)", clip(s))
		}
	}
	for _, list := range [][]string{c.Scopes, c.Groups, c.RequiredClaims} {
		for _, s := range list {
			if s == "" {
				return fmt.Errorf("oidc: empty scope, group or claim name")
			}
		}
	}
	return nil
}

// CheckURL reports whether raw is an absolute https URL, or http on a
// loopback host (127.0.0.0/8, ::1, localhost) or with allowHTTP. field
// names the setting in the error.
func CheckURL(field, raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return fmt.Errorf("oidc: %s %q is not an absolute URL", field, clip(raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("oidc: %s %q must be https (http only on a loopback host or with AllowInsecureHTTP)", field, clip(raw))
	}
	return fmt.Errorf("oidc: %s %q must be https", field, clip(raw))
}

// isLoopback reports whether host is "localhost" or a loopback IP. A name
// such as "127.evil.example" is not an IP and is not loopback.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clip bounds configuration text echoed in errors.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
