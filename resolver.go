package cognitojwt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// PoolResolver returns the configurations under which tokens of one user
// pool are accepted, for a verifier that learns its pools at run time
// ([NewResolving]): a multi-tenant service looks the pool up in its
// tenant database. It is called with a pool id of the form
// "<region>_<id>" taken from the "iss" of a token that has not been
// verified yet, so it must treat the id as untrusted input (a query
// parameter, never text spliced into a query).
//
// It returns ErrUnknownPool (or an error wrapping it) for a pool it does
// not trust; the answer is remembered for ResolverConfig.UnknownTTL. Any
// other error is an outage: the token is refused with an error that
// matches ErrKeysUnavailable (a 503, never a 401) and nothing is
// remembered. Every returned Config must name the pool in UserPoolID.
type PoolResolver func(ctx context.Context, userPoolID string) ([]Config, error)

// ErrUnknownPool is what a PoolResolver returns for a pool it does not
// trust. A token of such a pool is refused with ErrInvalidIssuer.
var ErrUnknownPool = errors.New("cognitojwt: unknown user pool")

// Defaults of ResolverConfig.
const (
	// DefaultMaxPools is the number of pools kept live when
	// ResolverConfig.MaxPools is zero.
	DefaultMaxPools = 1000
	// DefaultUnknownTTL is how long an unknown pool is remembered when
	// ResolverConfig.UnknownTTL is zero.
	DefaultUnknownTTL = time.Minute
	// DefaultMaxUnknown is the number of unknown pools remembered when
	// ResolverConfig.MaxUnknown is zero.
	DefaultMaxUnknown = 10000
	// DefaultPoolCacheSize is the verified-token cache of each resolved
	// pool whose Config.CacheSize is zero: smaller than DefaultCacheSize,
	// because a resolving verifier may hold MaxPools of them.
	DefaultPoolCacheSize = 128
)

// ResolverConfig describes a verifier whose pools are found at run time.
// Zero fields mean the documented defaults; [NewResolving] refuses an
// invalid ResolverConfig.
type ResolverConfig struct {
	// Resolve returns a pool's configurations. Required.
	Resolve PoolResolver

	// IssuerPrefixes are issuer bases other than AWS's that may name a
	// pool, for emulators and tests: a token whose "iss" is a prefix
	// followed by a pool id (such as "http://localhost:9229/" +
	// "us-east-1_AbC") is resolved like a Cognito one, and the resolved
	// Config must then set Issuer to that exact value. Each prefix must
	// be an absolute URL ending in "/" (https, or http on loopback). Nil
	// means only the two Cognito issuer forms of the pool's region are
	// recognised. Every other "iss" is refused with ErrInvalidIssuer
	// before the resolver is called or any key is fetched.
	IssuerPrefixes []string

	// AllowInsecureHTTP allows plain-http IssuerPrefixes on hosts other
	// than loopback. Never set it in production.
	AllowInsecureHTTP bool

	// MaxPools bounds the pools kept live with their keys. When a new
	// pool would exceed it, the least recently used pool is dropped; its
	// keys are fetched again if it returns. Zero means DefaultMaxPools.
	MaxPools int

	// UnknownTTL is how long a pool the resolver called unknown is
	// refused without asking again. Zero means DefaultUnknownTTL;
	// negative means the resolver is asked every time.
	UnknownTTL time.Duration

	// MaxUnknown bounds the unknown pools remembered. Zero means
	// DefaultMaxUnknown.
	MaxUnknown int

	// ConfigTTL, when positive, is how long a resolved pool's
	// configurations are used before the resolver is asked again (so that
	// a tenant's changed rules reach every instance without a restart).
	// Until the new answer arrives the old rules keep serving; if the
	// resolver then fails, they keep serving until it answers; if it
	// answers ErrUnknownPool, the pool is dropped. Zero means never:
	// call [Verifier.ForgetPool] when a tenant changes.
	ConfigTTL time.Duration

	// Now is the clock of UnknownTTL and ConfigTTL. Nil means time.Now.
	Now func() time.Time
}

// NewResolving returns a verifier that finds the pool of each token at run
// time, among as many pools as rc.Resolve knows, without being rebuilt. A
// token is parsed strictly; its "iss" must be one of the two Cognito
// issuer forms of a well-formed pool id (or an IssuerPrefixes entry
// followed by one), else it is refused before the resolver is called;
// the pool's configurations then apply exactly as with [NewMulti], keys
// fetched from where they say, never from a URL the token names.
// Concurrent first tokens of one pool share one call to the resolver.
func NewResolving(rc ResolverConfig) (*Verifier, error) {
	if rc.Resolve == nil {
		return nil, errors.New("cognitojwt: ResolverConfig.Resolve is required")
	}
	for _, p := range rc.IssuerPrefixes {
		if !strings.HasSuffix(p, "/") {
			return nil, fmt.Errorf("cognitojwt: IssuerPrefixes entry %q must end with \"/\"", clip(p))
		}
		if err := oidc.CheckURL("IssuerPrefixes", strings.TrimSuffix(p, "/"), rc.AllowInsecureHTTP); err != nil {
			return nil, err
		}
	}
	if rc.MaxPools < 0 || rc.MaxUnknown < 0 {
		return nil, errors.New("cognitojwt: MaxPools and MaxUnknown cannot be negative")
	}
	r := &resolver{
		cfg:     rc,
		live:    make(map[string]*livePool),
		unknown: make(map[string]time.Time),
		pending: make(map[string]*resolveCall),
	}
	if r.cfg.MaxPools == 0 {
		r.cfg.MaxPools = DefaultMaxPools
	}
	if r.cfg.MaxUnknown == 0 {
		r.cfg.MaxUnknown = DefaultMaxUnknown
	}
	if r.cfg.UnknownTTL == 0 {
		r.cfg.UnknownTTL = DefaultUnknownTTL
	}
	if r.cfg.Now == nil {
		r.cfg.Now = time.Now
	}
	return &Verifier{r: r}, nil
}

// ForgetPool drops what a resolving verifier knows of a pool — its
// configurations and keys, or that it is unknown — so that the next token
// of the pool asks the resolver again. Call it when a tenant's rules
// change or a tenant is added. It does nothing on other verifiers.
func (v *Verifier) ForgetPool(userPoolID string) {
	if v.r == nil {
		return
	}
	v.r.mu.Lock()
	v.r.dropLocked(userPoolID)
	delete(v.r.unknown, userPoolID)
	v.r.mu.Unlock()
}

// resolver is the state of a resolving verifier.
type resolver struct {
	cfg    ResolverConfig
	parser jws.Parser
	clock  atomic.Int64 // logical time of the last use, for LRU

	memo    atomic.Pointer[sync.Map] // token -> memoEntry
	memoLen atomic.Int64

	mu      sync.RWMutex
	live    map[string]*livePool
	unknown map[string]time.Time // pool id -> when to ask again
	pending map[string]*resolveCall
}

// livePool is a resolved pool and the verifier built from its configs.
type livePool struct {
	v        *Verifier
	used     atomic.Int64 // resolver.clock at the last use
	resolved time.Time
	renewing atomic.Bool // a ConfigTTL refresh is in flight
	dropped  atomic.Bool // no longer in resolver.live: memo entries are stale
}

// resolveCall is one call to the resolver that concurrent tokens of the
// same pool wait for.
type resolveCall struct {
	done chan struct{}
	pool *livePool
	err  error
}

func (r *resolver) verify(ctx context.Context, token string) (*Claims, error) {
	// The pool comes from a strict parse: the same reading of "iss" that
	// the pool's verifier checks afterwards, so a token cannot name one
	// pool to the resolver and another to the rules.
	if p := r.memoized(token); p != nil {
		return p.v.Verify(ctx, token)
	}
	tok, err := r.parser.Parse(token)
	if err != nil {
		return nil, err
	}
	id, ok := r.poolOf(tok.Claims.Issuer)
	if !ok {
		found := ""
		if tok.Claims.Issuer != "" {
			found = fmt.Sprintf("%.64q", tok.Claims.Issuer)
		}
		return nil, &ValidationError{Claim: "iss", Expected: "a Cognito user pool issuer", Found: found, Err: ErrInvalidIssuer}
	}
	p, err := r.pool(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := p.v.Verify(ctx, token)
	if err == nil {
		r.memoize(token, id, p)
	}
	return c, err
}

// memoSize bounds the tokens whose pool is remembered: a repeated token
// skips the parse that finds its pool. When it is reached the memo starts
// over, which costs one parse per active token.
const memoSize = 8192

// memoEntry is the pool a verified token belongs to.
type memoEntry struct {
	id   string
	pool *livePool
}

// memoized returns the live pool of a token that verified before. The
// pool's own verifier still runs every check on it; the memo only saves
// finding the pool, and an entry whose pool was evicted, forgotten or
// renewed is ignored.
func (r *resolver) memoized(token string) *livePool {
	m := r.memo.Load()
	if m == nil {
		return nil
	}
	v, ok := m.Load(token)
	if !ok {
		return nil
	}
	e := v.(memoEntry)
	if e.pool.dropped.Load() {
		return nil
	}
	r.touch(e.id, e.pool)
	return e.pool
}

// touch records a use of a live pool and starts its renewal once
// ConfigTTL has passed.
func (r *resolver) touch(id string, p *livePool) {
	p.used.Store(r.clock.Add(1))
	if r.cfg.ConfigTTL > 0 && r.cfg.Now().Sub(p.resolved) >= r.cfg.ConfigTTL && p.renewing.CompareAndSwap(false, true) {
		go r.renew(id, p)
	}
}

func (r *resolver) memoize(token, id string, p *livePool) {
	m := r.memo.Load()
	if m == nil || r.memoLen.Add(1) > memoSize {
		m = new(sync.Map)
		r.memo.Store(m)
		r.memoLen.Store(1)
	}
	m.Store(strings.Clone(token), memoEntry{id: id, pool: p})
}

// poolOf returns the pool id an issuer names, if it has one of the
// recognised forms.
func (r *resolver) poolOf(iss string) (string, bool) {
	for _, p := range r.cfg.IssuerPrefixes {
		if id, ok := strings.CutPrefix(iss, p); ok && poolIDPattern.MatchString(id) {
			return id, true
		}
	}
	i := strings.LastIndexByte(iss, '/')
	if i < 0 {
		return "", false
	}
	id := iss[i+1:]
	classic, multi, err := Issuers(id)
	if err != nil || (iss != classic && iss != multi) {
		return "", false
	}
	return id, true
}

// pool returns the live pool of id, resolving it when needed.
func (r *resolver) pool(ctx context.Context, id string) (*livePool, error) {
	r.mu.RLock()
	p := r.live[id]
	until, isUnknown := r.unknown[id]
	r.mu.RUnlock()
	if p != nil {
		r.touch(id, p)
		return p, nil
	}
	if isUnknown && r.cfg.Now().Before(until) {
		return nil, unknownPool(id)
	}
	return r.resolve(ctx, id)
}

// resolve asks the resolver once for all concurrent callers.
func (r *resolver) resolve(ctx context.Context, id string) (*livePool, error) {
	r.mu.Lock()
	if p := r.live[id]; p != nil { // resolved while we waited for the lock
		r.mu.Unlock()
		return p, nil
	}
	call := r.pending[id]
	if call == nil {
		call = &resolveCall{done: make(chan struct{})}
		r.pending[id] = call
		r.mu.Unlock()
		// The call outlives the caller's context: one cancelled request
		// must not fail the others waiting for the same pool.
		call.pool, call.err = r.build(context.WithoutCancel(ctx), id)
		r.finish(id, call)
	} else {
		r.mu.Unlock()
	}
	select {
	case <-call.done:
		return call.pool, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: resolving user pool %s: %w", ErrKeysUnavailable, id, ctx.Err())
	}
}

// finish records the outcome of a resolver call.
func (r *resolver) finish(id string, call *resolveCall) {
	r.mu.Lock()
	delete(r.pending, id)
	switch {
	case call.err == nil:
		r.insertLocked(id, call.pool)
	case errors.Is(call.err, ErrInvalidIssuer) && r.cfg.UnknownTTL > 0: // build's unknownPool
		r.rememberUnknownLocked(id)
	}
	r.mu.Unlock()
	close(call.done)
}

// build calls the resolver and builds the pool's verifier.
func (r *resolver) build(ctx context.Context, id string) (*livePool, error) {
	cfgs, err := r.cfg.Resolve(ctx, id)
	if errors.Is(err, ErrUnknownPool) {
		return nil, unknownPool(id)
	}
	if err != nil {
		return nil, &resolveError{pool: id, err: err}
	}
	if len(cfgs) == 0 {
		return nil, &resolveError{pool: id, err: errors.New("the resolver returned no configuration")}
	}
	cfgs = append([]Config(nil), cfgs...) // the resolver may reuse its slice
	for i := range cfgs {
		if cfgs[i].UserPoolID != id {
			return nil, &resolveError{pool: id, err: fmt.Errorf("the resolver returned a configuration for pool %q", clip(cfgs[i].UserPoolID))}
		}
		if cfgs[i].CacheSize == 0 {
			cfgs[i].CacheSize = DefaultPoolCacheSize
		}
	}
	v, err := NewMulti(cfgs)
	if err != nil {
		return nil, &resolveError{pool: id, err: err}
	}
	p := &livePool{v: v, resolved: r.cfg.Now()}
	p.used.Store(r.clock.Add(1))
	return p, nil
}

// renew re-resolves a pool whose ConfigTTL has passed, in the background;
// the old rules serve until the answer arrives.
func (r *resolver) renew(id string, old *livePool) {
	p, err := r.build(context.Background(), id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live[id] != old { // forgotten or evicted meanwhile
		return
	}
	switch {
	case err == nil:
		p.used.Store(old.used.Load())
		r.dropLocked(id)
		r.live[id] = p
	case errors.Is(err, ErrInvalidIssuer): // build's unknownPool
		r.dropLocked(id)
		if r.cfg.UnknownTTL > 0 {
			r.rememberUnknownLocked(id)
		}
	default:
		// An outage: keep serving the rules the resolver gave last, and
		// ask again at the next use.
		old.renewing.Store(false)
	}
}

// dropLocked removes a live pool, so that memo entries stop finding it.
func (r *resolver) dropLocked(id string) {
	if p := r.live[id]; p != nil {
		p.dropped.Store(true)
		delete(r.live, id)
	}
}

// insertLocked adds a live pool, dropping the least recently used one
// when the bound is reached. The scan is O(MaxPools), paid only when a new
// pool arrives, never on the verify path of a live pool.
func (r *resolver) insertLocked(id string, p *livePool) {
	delete(r.unknown, id)
	for len(r.live) >= r.cfg.MaxPools {
		victim, oldest := "", int64(0)
		for k, lp := range r.live {
			if u := lp.used.Load(); victim == "" || u < oldest {
				victim, oldest = k, u
			}
		}
		r.dropLocked(victim)
	}
	r.dropLocked(id)
	r.live[id] = p
}

// rememberUnknownLocked negative-caches a pool, dropping expired entries
// (and, when none has expired, arbitrary ones) to stay within MaxUnknown.
func (r *resolver) rememberUnknownLocked(id string) {
	now := r.cfg.Now()
	if len(r.unknown) >= r.cfg.MaxUnknown {
		for k, until := range r.unknown {
			if !now.Before(until) {
				delete(r.unknown, k)
			}
		}
		for k := range r.unknown {
			if len(r.unknown) < r.cfg.MaxUnknown {
				break
			}
			delete(r.unknown, k)
		}
	}
	r.unknown[id] = now.Add(r.cfg.UnknownTTL)
}

// hydrate fetches the keys of the live pools.
func (r *resolver) hydrate(ctx context.Context) error {
	r.mu.RLock()
	pools := make([]*livePool, 0, len(r.live))
	for _, p := range r.live {
		pools = append(pools, p)
	}
	r.mu.RUnlock()
	var errs []error
	for _, p := range pools {
		if err := p.v.Hydrate(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// livePools reports the number of live pools, for tests.
func (r *resolver) livePools() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.live)
}

func unknownPool(id string) error {
	return &ValidationError{Claim: "iss", Expected: "a known user pool", Found: fmt.Sprintf("%q", id), Err: ErrInvalidIssuer}
}

// resolveError is a resolver failure: an outage, so it matches
// ErrKeysUnavailable (a 503) as well as the resolver's own error.
type resolveError struct {
	pool string
	err  error
}

func (e *resolveError) Error() string {
	return "cognitojwt: cannot resolve user pool " + e.pool + ": " + e.err.Error()
}

func (e *resolveError) Unwrap() []error { return []error{ErrKeysUnavailable, e.err} }
