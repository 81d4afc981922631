package oidc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// Verifier verifies tokens of one or more issuers. It is safe for
// concurrent use; build it once and share it.
type Verifier struct {
	parser  jws.Parser
	issuers map[string]*issuer
	cache   *tokenCache // nil when off
}

// issuer is everything that one "iss" value shares: its keys and the
// rules of every Config that names it.
type issuer struct {
	name  string
	keys  keyResolver
	rules []*rules
}

// rules is one Config, compiled.
type rules struct {
	cfg    Config
	leeway time.Duration
	now    func() time.Time
	groups string
	scope  string // the scope claim
}

// New returns a verifier for the tokens of one issuer.
func New(cfg Config) (*Verifier, error) { return NewMulti([]Config{cfg}) }

// NewMulti returns a verifier for several issuers, or several rule sets of
// one issuer. A token is matched to the configs whose Issuer equals its
// "iss" (no other config is ever consulted, and an unknown issuer is
// refused before any key is fetched); it passes when it satisfies one of
// them, tried in order. Configs of one issuer must agree on where its keys
// are (JWKSURL, Keys). Every configuration error is reported here, never
// at the first request.
func NewMulti(cfgs []Config) (*Verifier, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("oidc: no configuration")
	}
	v := &Verifier{issuers: make(map[string]*issuer)}
	remotes := make(map[string]*jwks.Remote) // one key set per JWKS URL
	cacheSize := 0
	var algs []jws.Algorithm
	allAlgs := false
	for i := range cfgs {
		cfg := cfgs[i]
		if err := cfg.validate(); err != nil {
			return nil, err
		}
		r := &rules{cfg: cfg, leeway: cfg.Leeway, now: cfg.Now, groups: cfg.GroupsClaim, scope: cfg.ScopeClaim}
		if r.leeway == 0 {
			r.leeway = DefaultLeeway
		} else if r.leeway < 0 {
			r.leeway = 0
		}
		if r.now == nil {
			r.now = time.Now
		}
		if r.groups == "" {
			r.groups = "groups"
		}
		iss := v.issuers[cfg.Issuer]
		if iss == nil {
			keys, err := newKeyResolver(&cfg, remotes)
			if err != nil {
				return nil, err
			}
			iss = &issuer{name: cfg.Issuer, keys: keys}
			v.issuers[cfg.Issuer] = iss
		} else if first := iss.rules[0].cfg; first.JWKSURL != cfg.JWKSURL || !sameSource(first.Keys, cfg.Keys) {
			return nil, fmt.Errorf("oidc: configs for issuer %q disagree on JWKSURL or Keys", clip(cfg.Issuer))
		}
		iss.rules = append(iss.rules, r)

		switch {
		case cfg.CacheSize < 0:
		case cfg.CacheSize == 0:
			cacheSize = max(cacheSize, DefaultCacheSize)
		default:
			cacheSize = max(cacheSize, cfg.CacheSize)
		}
		v.parser.MaxSize = max(v.parser.MaxSize, cfg.MaxTokenSize)
		if cfg.Algorithms == nil {
			allAlgs = true
		}
		for _, a := range cfg.Algorithms {
			if !slices.Contains(algs, a) {
				algs = append(algs, a)
			}
		}
	}
	if !allAlgs {
		v.parser.Algorithms = algs
	}
	if cacheSize > 0 {
		v.cache = newTokenCache(cacheSize)
	}
	return v, nil
}

// Issuers returns the issuers this verifier accepts.
func (v *Verifier) Issuers() []string {
	out := make([]string, 0, len(v.issuers))
	for name := range v.issuers {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Hydrate fetches every issuer's discovery document and keys now, so that
// the first request pays nothing. It returns the errors of the issuers
// that failed, joined; the verifier stays usable and retries on demand.
func (v *Verifier) Hydrate(ctx context.Context) error {
	var errs []error
	// Issuers that share one key set (a Cognito pool's two issuer forms
	// name one JWKS URL) fetch it once, and so report a failure once.
	shared := map[*jwks.Remote]bool{}
	for _, name := range v.Issuers() {
		keys := v.issuers[name].keys
		if rk, ok := keys.(remoteKeys); ok {
			if shared[rk.r] {
				continue
			}
			shared[rk.r] = true
		}
		if err := keys.hydrate(ctx); err != nil {
			errs = append(errs, fmt.Errorf("oidc: hydrate %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Verify parses token, verifies its signature with the issuer's key, and
// applies the rules of the configs of its issuer, returning the claims of
// the first config it satisfies.
//
// It refuses, in this order: a malformed token or a disallowed algorithm
// (ErrMalformed, ErrUnsupportedAlgorithm); an "iss" that no config names
// (ErrInvalidIssuer, before any key is fetched); a kid with no fitting
// key (ErrKeyNotFound), or no keys at all (ErrKeysUnavailable: answer 503,
// not 401); a bad signature (ErrInvalidSignature); then, per config, the
// algorithm, exp (required), nbf, iat, MaxAge, aud, required claims,
// scopes and groups, and the Check. When every config refuses, the error
// of the first is returned.
//
// The returned Claims may be shared with other calls that verify the same
// token (the verified-token cache keeps one value per token): treat it as
// read-only.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	var e *cacheEntry
	if v.cache != nil {
		if e = v.cache.get(token); e != nil {
			// The key must still be trusted: a key removed from the
			// issuer's set stops vouching for cached tokens too.
			k, err := e.iss.keys.key(ctx, e.tok.Header.KeyID, e.tok.Header.Algorithm)
			if err != nil {
				return nil, err
			}
			if k != e.key {
				e = nil
			}
		}
	}
	cached := e != nil
	if !cached {
		var err error
		if e, err = v.verifyToken(ctx, token); err != nil {
			return nil, err
		}
	}
	return v.applyRules(ctx, token, e, cached)
}

// applyRules runs the rules of e's issuer, config by config, each with its
// clock read once, and returns the claims of the first config satisfied.
func (v *Verifier) applyRules(ctx context.Context, token string, e *cacheEntry, cached bool) (*Claims, error) {
	var first error
	for i, r := range e.iss.rules {
		now := r.now()
		if i == 0 && cached && !now.Before(e.exp) {
			// Never served from the cache at or after exp: verify it
			// again, and let the rules decide (leeway included).
			again, err := v.verifyToken(ctx, token)
			if err != nil {
				return nil, err
			}
			return v.applyRules(ctx, token, again, false)
		}
		c, err := r.apply(ctx, e.claims[i], e.errs[i], now)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// verifyToken parses token, finds its issuer and key, verifies the
// signature, types the claims for each rule set of the issuer, and caches
// the result when every rule set could type them.
func (v *Verifier) verifyToken(ctx context.Context, token string) (*cacheEntry, error) {
	if v.cache != nil && len(token) <= v.maxSize() {
		// The parsed token points into its text: a cached one must own
		// it, not keep the caller's (a whole request header, say) alive.
		token = strings.Clone(token)
	}
	tok, err := v.parser.Parse(token)
	if err != nil {
		return nil, err
	}
	iss := v.issuers[tok.Claims.Issuer]
	if iss == nil {
		found := echo(tok.Claims.Issuer)
		if tok.Claims.Issuer == "" {
			found = ""
		}
		return nil, &ValidationError{Claim: "iss", Expected: "a configured issuer", Found: found, Err: ErrInvalidIssuer}
	}
	key, err := iss.keys.key(ctx, tok.Header.KeyID, tok.Header.Algorithm)
	if err != nil {
		return nil, err
	}
	if err := tok.Verify(key.Verifier()); err != nil {
		return nil, err
	}
	e := &cacheEntry{tok: tok, iss: iss, key: key, exp: tok.Claims.ExpiresAt}
	ok := e.typeClaims()
	if v.cache != nil && ok {
		if now := iss.rules[0].now(); now.Before(e.exp) {
			e.token = token
			e.hash = v.cache.hash(token)
			e.size = entrySize(token)
			v.cache.put(e, now)
		}
	}
	return e, nil
}

func (v *Verifier) maxSize() int {
	if v.parser.MaxSize > 0 {
		return v.parser.MaxSize
	}
	return jws.DefaultMaxTokenSize
}

// typeClaims types the token's claims for each rule set of its issuer,
// and reports whether every one succeeded (only then may the entry be
// cached: errors are not shared between calls).
func (e *cacheEntry) typeClaims() bool {
	n := len(e.iss.rules)
	if n == 1 {
		e.claims, e.errs = e.one[:], e.errOne[:]
	} else {
		e.claims, e.errs = make([]*Claims, n), make([]error, n)
	}
	ok := true
	for i, r := range e.iss.rules {
		c := &e.c0
		if i > 0 {
			c = new(Claims)
		}
		if err := typeClaims(c, e.tok, r.groups, r.scope); err != nil {
			e.errs[i] = err
			ok = false
			continue
		}
		if r.cfg.Derive != nil {
			c.derived, c.deriveErr = r.cfg.Derive(c)
			if c.deriveErr != nil {
				ok = false
			}
		}
		e.claims[i] = c
	}
	return ok
}

// apply runs one config's rules on the claims typed for it (or the error
// typing them gave), with the clock read once.
func (r *rules) apply(ctx context.Context, c *Claims, typeErr error, now time.Time) (*Claims, error) {
	if typeErr != nil {
		return nil, typeErr
	}
	if err := r.check(c, now); err != nil {
		return nil, r.refuse(err, c)
	}
	if c.deriveErr != nil {
		return nil, r.refuse(checkFailed(c.deriveErr), c)
	}
	// Revocation runs after every rule and before the Check, on cache hits
	// as on first sight.
	if err := r.revoked(ctx, c); err != nil {
		return nil, err
	}
	if r.cfg.Check != nil {
		if err := r.cfg.Check(ctx, c); err != nil {
			if isRevocation(err) {
				return nil, err // a Check that asks a revocation.Checker (as cognitojwt's does) speaks for it
			}
			return nil, r.refuse(checkFailed(err), c)
		}
	}
	return c, nil
}

// checkFailed wraps an error of a Check (or Derive) in a ValidationError,
// unless it is one.
func checkFailed(err error) *ValidationError {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		ve = &ValidationError{Err: &checkError{err}}
	}
	return ve
}

// refuse attaches the claims when the config opted in.
func (r *rules) refuse(err error, c *Claims) error {
	var ve *ValidationError
	if r.cfg.ErrorClaims && errors.As(err, &ve) && ve.Claims == nil {
		ve.Claims = c
	}
	return err
}

// checkError wraps an error of Config.Check so that errors.Is finds both
// ErrCheckFailed and the Check's own error.
type checkError struct{ err error }

func (e *checkError) Error() string   { return ErrCheckFailed.Error() + ": " + e.err.Error() }
func (e *checkError) Unwrap() []error { return []error{ErrCheckFailed, e.err} }

// check applies the claim rules, cheapest first.
func (r *rules) check(c *Claims, now time.Time) error {
	cfg := &r.cfg
	if cfg.Algorithms != nil && !slices.Contains(cfg.Algorithms, c.Algorithm()) {
		return fmt.Errorf("%w: %s is not allowed for issuer %s", ErrUnsupportedAlgorithm, c.Algorithm(), clip(cfg.Issuer))
	}
	if err := CheckTimes(c, now, r.leeway, cfg.MaxAge); err != nil {
		return err
	}
	if !cfg.AllowAnyAudience && !anyOf(c.Audience, cfg.Audiences) {
		found := ""
		if c.Audience != nil {
			found = echoList(c.Audience)
		}
		return &ValidationError{Claim: "aud", Expected: "one of " + fmt.Sprint(cfg.Audiences), Found: found, Err: ErrInvalidAudience}
	}
	for _, name := range cfg.RequiredClaims {
		if _, ok := c.Get(name); !ok {
			return &ValidationError{Claim: name, Expected: "present", Err: ErrMissingClaim}
		}
	}
	if cfg.Scopes != nil && !Satisfies(c.Scopes, cfg.Scopes, cfg.AllScopes) {
		return &ValidationError{Claim: cmp.Or(r.scope, "scope"), Expected: want(cfg.Scopes, cfg.AllScopes), Found: echoList(c.Scopes), Err: ErrMissingScope}
	}
	if cfg.Groups != nil && !Satisfies(c.Groups, cfg.Groups, cfg.AllGroups) {
		return &ValidationError{Claim: r.groups, Expected: want(cfg.Groups, cfg.AllGroups), Found: echoList(c.Groups), Err: ErrMissingGroup}
	}
	return nil
}

// CheckTimes applies the time rules of RFC 7519 §4.1.4–6 with leeway: exp
// is required and must be after now−leeway; nbf, when present, must be at
// or before now+leeway; iat, when present, must not be after now+leeway
// (a token from the future); with maxAge > 0, iat is required and must be
// no older than maxAge+leeway.
func CheckTimes(c *Claims, now time.Time, leeway, maxAge time.Duration) error {
	if c.ExpiresAt.IsZero() {
		return &ValidationError{Claim: "exp", Expected: "present", Err: ErrMissingClaim}
	}
	if !now.Before(c.ExpiresAt.Add(leeway)) {
		return &ValidationError{Claim: "exp", Expected: "after " + stamp(now.Add(-leeway)), Found: stamp(c.ExpiresAt), Err: ErrExpired}
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(leeway)) {
		return &ValidationError{Claim: "nbf", Expected: "not after " + stamp(now.Add(leeway)), Found: stamp(c.NotBefore), Err: ErrNotYetValid}
	}
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(leeway)) {
		return &ValidationError{Claim: "iat", Expected: "not after " + stamp(now.Add(leeway)), Found: stamp(c.IssuedAt), Err: ErrNotYetValid}
	}
	if maxAge > 0 {
		if c.IssuedAt.IsZero() {
			return &ValidationError{Claim: "iat", Expected: "present (MaxAge is set)", Err: ErrMissingClaim}
		}
		if now.Sub(c.IssuedAt) > maxAge+leeway {
			return &ValidationError{Claim: "iat", Expected: "within " + maxAge.String(), Found: stamp(c.IssuedAt), Err: ErrExpired}
		}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Satisfies reports whether have meets want: at least one element of want
// (or, with all, every element) is in have. Comparison is exact. An empty
// want is met only in the all mode.
func Satisfies(have, want []string, all bool) bool {
	if all {
		for _, w := range want {
			if !slices.Contains(have, w) {
				return false
			}
		}
		return true
	}
	return anyOf(have, want)
}

func anyOf(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

func want(list []string, all bool) string {
	if all {
		return "all of " + fmt.Sprint(list)
	}
	return "one of " + fmt.Sprint(list)
}

// sameSource reports whether two configs name the same key source. It
// never panics: sources of an incomparable type are never "the same".
func sameSource(a, b KeySource) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Comparable() && a == b
}
