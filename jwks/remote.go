package jwks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/cognitojwt/cognitojwt/internal/safehttp"
	"github.com/cognitojwt/cognitojwt/jws"
)

// Defaults for the zero fields of [Options]. docs/KEYS.md explains each.
const (
	DefaultConnectTimeout     = 2 * time.Second
	DefaultTimeout            = 5 * time.Second
	DefaultMaxResponseBytes   = 1 << 20 // 1 MiB
	DefaultMinRefetchInterval = 5 * time.Second
	DefaultTTL                = time.Hour
	DefaultMinTTL             = time.Minute
	DefaultMaxTTL             = 24 * time.Hour
	DefaultStaleIfError       = 24 * time.Hour
	DefaultMaxBackoff         = 5 * time.Minute
)

// Options configures a [Remote]. Every zero field means the documented
// default, so Options{} is a sound configuration. Negative durations are
// configuration errors, except where a field says otherwise.
type Options struct {
	// HTTPClient sends the requests. nil means a client of our own: a
	// clone of http.DefaultTransport, so proxies come from the
	// environment (HTTPS_PROXY, NO_PROXY), with ConnectTimeout on the TCP
	// connect and on the TLS handshake, and no idle connections kept
	// between fetches. A client given here is copied, not modified; its
	// transport decides connect timeouts and proxies; the redirect policy
	// (same origin only, at most 3) and the Timeout apply on top of its
	// own.
	HTTPClient *http.Client

	// AllowInsecureHTTP permits an http:// URL to a host that is not
	// loopback. Default false: only https, or http to 127.0.0.0/8, ::1
	// and "localhost" (for tests and local emulators). Keys fetched over
	// plain HTTP can be replaced by anyone on the path.
	AllowInsecureHTTP bool

	// ConnectTimeout bounds the TCP connect and the TLS handshake of our
	// own client. Default 2s: an issuer's endpoint answers a SYN within
	// milliseconds, and a blackholed address should not eat the whole
	// Timeout.
	ConnectTimeout time.Duration

	// Timeout bounds one whole fetch, from connect to the last body byte,
	// whatever client is used. Default 5s. A caller waiting for a fetch
	// also stops at its own context's deadline, whichever comes first.
	Timeout time.Duration

	// MaxResponseBytes caps the JWKS body; a larger reply fails the fetch
	// without reading the rest. Default 1 MiB, about 2,000 RSA keys;
	// Cognito's JWKS is under 1 KiB.
	MaxResponseBytes int64

	// MaxKeys caps the entries in the document's "keys", usable or not; a
	// document with more fails the fetch. Default 100 (DefaultMaxKeys);
	// negative means no cap other than MaxResponseBytes.
	MaxKeys int

	// MinRefetchInterval is the least time between the starts of two
	// fetches, for the whole key set: a flood of tokens with made-up kids
	// costs at most one fetch per interval, and a key the issuer has just
	// published is picked up within one interval even during such a flood.
	// Default 5s.
	MinRefetchInterval time.Duration

	// TTL is how long fetched keys are fresh when the response has no
	// Cache-Control max-age. Default 1h. A lookup after TTL still gets the
	// cached key at once, and starts one background refresh.
	TTL time.Duration

	// MinTTL and MaxTTL bound the freshness a response's Cache-Control
	// max-age (minus Age) may set, and TTL itself. Defaults 1m and 24h:
	// "no-cache" or "max-age=0" must not turn every lookup into a fetch,
	// and a year-long max-age must not keep a removed key trusted for a
	// year.
	MinTTL, MaxTTL time.Duration

	// StaleIfError is how long past their TTL cached keys keep serving
	// while refreshes fail (RFC 5861's stale-if-error). Default 24h: an
	// issuer outage should not become an outage of every API that trusts
	// it. After it, lookups fail with ErrKeysUnavailable. Negative means
	// no stale serving: keys are used only within their TTL.
	StaleIfError time.Duration

	// MaxBackoff caps the wait after failed fetches. After n consecutive
	// failures the next fetch waits a random time in [d/2, d], with
	// d = min(2^n × MinRefetchInterval, MaxBackoff). Default 5m.
	MaxBackoff time.Duration

	// OnEvent, when set, receives every [Event] synchronously (from the
	// goroutine doing the fetch or the lookup), so it must be fast and safe
	// for concurrent use. Default nil: nothing is logged or counted.
	OnEvent func(Event)

	// Now is the clock for TTLs, the stale window, the refetch interval
	// and backoff. Default time.Now; tests inject a fake clock. Network
	// timeouts always use real time.
	Now func() time.Time
}

// Remote is a JWK Set fetched from a URL, cached, and refreshed: on a
// schedule (TTL), when a token names an unknown kid (at most once per
// MinRefetchInterval), and after failures (with backoff). It is safe for
// concurrent use and needs no Close: it starts a goroutine only for a
// fetch, and that goroutine ends with the fetch. (On the real clock, a
// runtime timer also marks the cached keys stale when their TTL ends, so
// that lookups need not read the clock; it holds only a weak reference, so
// a Remote that is no longer used is garbage collected as usual.)
type Remote struct {
	url        string
	client     *http.Client
	timeout    time.Duration
	maxBytes   int64
	maxKeys    int
	interval   time.Duration
	ttl        time.Duration
	minTTL     time.Duration
	maxTTL     time.Duration
	stale      time.Duration
	maxBackoff time.Duration
	onEvent    func(Event)
	now        func() time.Time // nil: real time, and the hit path trusts snapshot.expired

	// cur is what lookups read: an immutable snapshot replaced whole by a
	// fetch, so the hit path is one atomic load and takes no lock.
	cur atomic.Pointer[snapshot]

	mu        sync.Mutex // guards the fields below; held only for bookkeeping, never across I/O
	inflight  *call      // the fetch in progress, shared by every waiter
	nextFetch time.Time  // no fetch starts before this (refetch interval, backoff)
	failures  int        // consecutive failed fetches
	lastErr   error      // the last fetch's error, nil after a success
	etag      string     // validator of the cached document

	// busy (a fetch is in flight) and idleUntil (nextFetch) mirror mu's
	// state for the background refresh of stale keys, so that during an
	// outage a lookup of a cached key does not take mu to learn that no
	// fetch may start.
	busy      atomic.Bool
	idleUntil atomic.Int64 // nextFetch in UnixNano

	waitHook func() // tests: called when a caller starts waiting on a fetch
}

// snapshot is one fetched key set and its freshness.
type snapshot struct {
	set    *Set
	at     time.Time     // when the set was fetched or last confirmed (304)
	fresh  time.Duration // serve without refreshing until at+fresh
	usable time.Duration // serve at all until at+usable (fresh + stale-if-error)

	// expired is set by a timer at at+fresh, on the real clock only, so
	// that the hit path knows the set is fresh without reading the clock
	// (a clock read costs more than the rest of the lookup). The slow
	// path always reads the clock; the flag is only a shortcut.
	expired atomic.Bool
	timer   *time.Timer
}

// expireAt arms s.expired. The timer holds only a weak pointer, so a
// Remote that is dropped (snapshot and all) can be collected before its
// TTL ends; the timer's goroutine runs only when it fires, for one store.
func (s *snapshot) expireAt(d time.Duration) {
	wp := weak.Make(s)
	s.timer = time.AfterFunc(d, func() {
		if s := wp.Value(); s != nil {
			s.expired.Store(true)
		}
	})
}

// call is one fetch; done closes when it has finished and err is set.
type call struct {
	done chan struct{}
	err  error
}

// NewRemote returns a key set fetched from jwksURL. It does not fetch:
// the first lookup (or [Remote.Hydrate]) does. It refuses at once, so
// that configuration errors never wait for the first request: a URL that
// is not absolute https (plain http only to a loopback host, or with
// AllowInsecureHTTP), a URL with user credentials, negative durations or
// sizes (see Options for the exceptions), and MinTTL above MaxTTL.
func NewRemote(jwksURL string, opts Options) (*Remote, error) {
	if err := checkURL(jwksURL, opts.AllowInsecureHTTP); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"ConnectTimeout", opts.ConnectTimeout}, {"Timeout", opts.Timeout},
		{"MinRefetchInterval", opts.MinRefetchInterval}, {"TTL", opts.TTL},
		{"MinTTL", opts.MinTTL}, {"MaxTTL", opts.MaxTTL}, {"MaxBackoff", opts.MaxBackoff},
	} {
		if f.d < 0 {
			return nil, fmt.Errorf("jwks: %s is negative (%s)", f.name, f.d)
		}
	}
	if opts.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("jwks: MaxResponseBytes is negative (%d)", opts.MaxResponseBytes)
	}
	r := &Remote{
		url:        jwksURL,
		timeout:    or(opts.Timeout, DefaultTimeout),
		maxBytes:   or(opts.MaxResponseBytes, DefaultMaxResponseBytes),
		maxKeys:    or(opts.MaxKeys, DefaultMaxKeys),
		interval:   or(opts.MinRefetchInterval, DefaultMinRefetchInterval),
		minTTL:     or(opts.MinTTL, DefaultMinTTL),
		maxTTL:     or(opts.MaxTTL, DefaultMaxTTL),
		stale:      or(opts.StaleIfError, DefaultStaleIfError),
		maxBackoff: or(opts.MaxBackoff, DefaultMaxBackoff),
		onEvent:    opts.OnEvent,
		now:        opts.Now,
	}
	if r.minTTL > r.maxTTL {
		return nil, fmt.Errorf("jwks: MinTTL (%s) is above MaxTTL (%s)", r.minTTL, r.maxTTL)
	}
	if r.stale < 0 {
		r.stale = 0
	}
	r.ttl = min(max(or(opts.TTL, DefaultTTL), r.minTTL), r.maxTTL)
	r.client = safehttp.NewClient(opts.HTTPClient, or(opts.ConnectTimeout, DefaultConnectTimeout))
	return r, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func checkURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("jwks: invalid JWKS URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("jwks: JWKS URL %s must be https", quote(raw))
	case u.Opaque != "" || u.Hostname() == "":
		return fmt.Errorf("jwks: JWKS URL %s has no host", quote(raw))
	case u.User != nil:
		return errors.New("jwks: JWKS URL must not contain user credentials")
	case u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()):
		return fmt.Errorf("jwks: JWKS URL %s must be https (plain http only to a loopback host, or with AllowInsecureHTTP)", quote(raw))
	}
	return nil
}

// isLoopback reports a host that never leaves the machine: "localhost",
// 127.0.0.0/8 and ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the JWKS URL, as given to NewRemote.
func (r *Remote) URL() string { return r.url }

// Key returns the key with this kid that fits alg, the token's header
// values, fetching the JWKS when needed. It returns at once, without
// locking or allocating, when the cached keys are fresh and hold the key.
//
// Otherwise: keys past their TTL are still served and one background
// refresh starts; a kid that is not cached causes one refetch, shared by
// every concurrent caller and at most one per MinRefetchInterval for the
// whole set, and the caller waits for it no longer than ctx allows. It
// fails with an error wrapping:
//   - [jws.ErrUnsupportedAlgorithm] for an alg outside the allow-list
//     (never a reason to fetch);
//   - [ErrInvalidKey] when the kid is known but its key does not fit alg;
//   - [ErrKeyNotFound] when usable keys are cached but none has the kid,
//     after the refetch (or when the rate limit suppressed it);
//   - [ErrKeysUnavailable] when no usable keys are cached and the fetch
//     failed or is backing off, or when ctx ended while waiting for a
//     fetch (the error then also wraps ctx.Err()).
func (r *Remote) Key(ctx context.Context, kid string, alg jws.Algorithm) (*Key, error) {
	if s := r.cur.Load(); s != nil && !s.expired.Load() && (r.now == nil || r.now().Sub(s.at) < s.fresh) {
		if k := s.set.find(kid, alg); k != nil {
			return k, nil
		}
	}
	return r.lookup(ctx, kid, alg)
}

func (r *Remote) clock() time.Time {
	if r.now == nil {
		return time.Now()
	}
	return r.now()
}

// lookup is everything but the fresh hit.
func (r *Remote) lookup(ctx context.Context, kid string, alg jws.Algorithm) (*Key, error) {
	if algBit(alg) == 0 {
		return nil, (*Set)(nil).missError(kid, alg)
	}
	var (
		waited   bool
		fetchErr error
	)
	// Each pass either answers, or waits for one fetch; a pass is repeated
	// without a fetch only when another fetch replaced the keys meanwhile.
	for range 4 {
		s := r.cur.Load()
		now := r.clock()
		usable := s != nil && now.Sub(s.at) < s.usable
		if usable && (s.set.has(kid) || waited) {
			if now.Sub(s.at) >= s.fresh && !r.busy.Load() && now.UnixNano() >= r.idleUntil.Load() {
				r.startFetch(ctx, now, TriggerRefresh) // in the background: this caller does not wait
			}
			if k := s.set.find(kid, alg); k != nil {
				return k, nil
			}
			if s.set.has(kid) {
				return nil, s.set.missError(kid, alg)
			}
			if fetchErr != nil {
				return nil, &detailError{
					msg:   fmt.Sprintf("jwks: key %s not found (refetch failed: %v)", quote(kid), fetchErr),
					kind:  ErrKeyNotFound,
					cause: fetchErr,
				}
			}
			return nil, notFound(kid)
		}
		if waited {
			return nil, r.unavailable(fetchErr)
		}
		c := r.startFetch(ctx, now, TriggerMiss)
		if c == nil {
			if r.cur.Load() != s {
				continue // a fetch finished since we looked: look again
			}
			if usable {
				r.emit(Event{Kind: RefetchSuppressed, KeyID: clip(kid)})
				return nil, notFound(kid)
			}
			return nil, r.unavailable(nil)
		}
		if err := r.wait(ctx, c); err != nil {
			return nil, err
		}
		waited, fetchErr = true, c.err
	}
	return nil, notFound(kid)
}

// Hydrate fetches the keys now unless fresh keys are cached, so that the
// first request does not pay for the fetch; a fetch already in progress is
// joined rather than repeated. It returns nil when fresh keys are loaded.
// Otherwise it returns the fetch error (a *FetchError), wrapped in
// [ErrKeysUnavailable] when no usable keys are cached; while a failure is
// backing off it returns the last error without fetching. It waits no
// longer than ctx allows.
func (r *Remote) Hydrate(ctx context.Context) error {
	now := r.clock()
	s := r.cur.Load()
	if s != nil && now.Sub(s.at) < s.fresh {
		return nil
	}
	c := r.startFetch(ctx, now, TriggerHydrate)
	if c == nil {
		s = r.cur.Load()
		if s != nil && now.Sub(s.at) < s.fresh {
			return nil
		}
		r.mu.Lock()
		err := r.lastErr
		r.mu.Unlock()
		if s != nil && now.Sub(s.at) < s.usable {
			return err // stale keys serve; err is nil if the cause was not a failure
		}
		return r.unavailable(err)
	}
	if err := r.wait(ctx, c); err != nil {
		return err
	}
	if c.err == nil {
		return nil
	}
	if s := r.cur.Load(); s != nil && r.clock().Sub(s.at) < s.usable {
		return c.err
	}
	return r.unavailable(c.err)
}

// Keys returns the usable cached keys (fresh, or stale within the
// stale-if-error window) in document order, or nil when there are none.
// It never fetches.
func (r *Remote) Keys() []*Key {
	s := r.cur.Load()
	if s == nil || r.clock().Sub(s.at) >= s.usable {
		return nil
	}
	return s.set.Keys()
}

// unavailable is the error for "no usable keys": it wraps the cause, or
// the last fetch error when cause is nil.
func (r *Remote) unavailable(cause error) error {
	if cause == nil {
		r.mu.Lock()
		cause = r.lastErr
		r.mu.Unlock()
	}
	if cause == nil {
		return &detailError{msg: "jwks: keys unavailable: no usable keys cached", kind: ErrKeysUnavailable}
	}
	return &detailError{msg: "jwks: keys unavailable: " + cause.Error(), kind: ErrKeysUnavailable, cause: cause}
}

// wait blocks until c is done or ctx ends. The fetch itself goes on when
// a caller gives up: others may be waiting, and its result is cached.
func (r *Remote) wait(ctx context.Context, c *call) error {
	if r.waitHook != nil {
		r.waitHook()
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return &detailError{
			msg:   "jwks: keys unavailable: gave up waiting for the JWKS: " + ctx.Err().Error(),
			kind:  ErrKeysUnavailable,
			cause: ctx.Err(),
		}
	}
}

// startFetch returns the fetch in progress, or starts one when the
// refetch interval and backoff allow, or returns nil. This is the single
// gate for every fetch: misses, refreshes and Hydrate alike.
func (r *Remote) startFetch(ctx context.Context, now time.Time, trigger string) *call {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight != nil {
		return r.inflight
	}
	if now.Before(r.nextFetch) {
		return nil
	}
	c := &call{done: make(chan struct{})}
	r.inflight = c
	r.nextFetch = now.Add(r.interval)
	r.busy.Store(true)
	r.idleUntil.Store(r.nextFetch.UnixNano())
	etag := ""
	if r.cur.Load() != nil {
		etag = r.etag
	}
	// WithoutCancel: the fetch serves every waiter and the cache, so it
	// must not die with the request that happened to start it; it keeps
	// the request's values (trace ids) and gets its own Timeout.
	go r.run(context.WithoutCancel(ctx), c, trigger, etag)
	return c
}

// run performs one fetch, installs its result and reports it; the
// goroutine ends here.
func (r *Remote) run(parent context.Context, c *call, trigger, etag string) {
	ctx, cancel := context.WithTimeout(parent, r.timeout)
	defer cancel()
	r.emit(Event{Kind: FetchStarted, Trigger: trigger})
	start := time.Now()
	res, err := r.fetch(ctx, etag)
	elapsed := time.Since(start)
	now := r.clock()

	var events []Event
	r.mu.Lock()
	old := r.cur.Load()
	if err == nil && res.notModified && old == nil {
		err = &FetchError{URL: r.url, StatusCode: 304, Err: errors.New("status 304 with nothing cached")}
	}
	if err != nil {
		r.failures++
		if next := now.Add(r.backoff(r.failures)); next.After(r.nextFetch) {
			r.nextFetch = next
		}
		r.lastErr = err
		events = append(events, Event{Kind: FetchFailed, Err: err, Trigger: trigger, Duration: elapsed, Backoff: r.nextFetch.Sub(now)})
	} else {
		r.failures, r.lastErr, r.etag = 0, nil, res.etag
		set := res.set
		if res.notModified {
			set = old.set
		} else {
			for _, sk := range res.skipped {
				events = append(events, Event{Kind: KeySkipped, KeyID: sk.KeyID, Err: sk.Err})
			}
			var prev *Set
			if old != nil {
				prev = old.set
			}
			events = appendChanges(events, prev, set)
		}
		next := &snapshot{set: set, at: now, fresh: res.ttl, usable: res.ttl + r.stale}
		if r.now == nil {
			next.expireAt(res.ttl)
		}
		r.cur.Store(next)
		if old != nil && old.timer != nil {
			old.timer.Stop()
		}
		events = append(events, Event{Kind: FetchSucceeded, Keys: set.Len(), Trigger: trigger, Duration: elapsed, TTL: res.ttl, NotModified: res.notModified})
	}
	r.inflight = nil
	r.idleUntil.Store(r.nextFetch.UnixNano())
	r.busy.Store(false)
	r.mu.Unlock()

	for _, e := range events {
		r.emit(e)
	}
	c.err = err
	close(c.done)
}

// backoff is the wait after the n-th consecutive failure: random in
// [d/2, d] with d = min(2^n × interval, MaxBackoff). The jitter keeps a
// fleet of servers that lost the issuer together from retrying together.
func (r *Remote) backoff(n int) time.Duration {
	d := 2 * r.interval
	for i := 1; i < n && d < r.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.maxBackoff)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(d-half)+1))
}

// appendChanges reports keys of cur that are not in prev, and keys of prev
// that are not in cur. A key counts as the same when kid, alg and key
// material are all the same.
func appendChanges(events []Event, prev, cur *Set) []Event {
	for _, k := range cur.keys {
		if !prev.holds(k) {
			events = append(events, Event{Kind: KeyAdded, KeyID: k.KeyID})
		}
	}
	if prev != nil {
		for _, k := range prev.keys {
			if !cur.holds(k) {
				events = append(events, Event{Kind: KeyRemoved, KeyID: k.KeyID})
			}
		}
	}
	return events
}

func (s *Set) holds(k *Key) bool {
	if s == nil {
		return false
	}
	for _, o := range s.byKID[k.KeyID] {
		if identical(o, k) {
			return true
		}
	}
	return false
}

func (r *Remote) emit(e Event) {
	if r.onEvent != nil {
		e.URL = r.url
		r.onEvent(e)
	}
}
