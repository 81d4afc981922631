package alb

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/safehttp"
	"github.com/cognitojwt/cognitojwt/jwks"
)

// keyStore caches ALB keys by kid. A key is immutable per kid, so a
// fetched key is kept until the cache is full; a kid that failed is not
// tried again for a while, and fetches over all kids are rate-limited, so
// tokens with made-up kids cannot turn the verifier into a request loop.
type keyStore struct {
	base   string
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	keys     map[string]*ecdsa.PublicKey
	order    []string // kids in the order they were cached, for eviction
	misses   map[string]miss
	inflight map[string]*call
	tokens   float64 // fetch budget left
	last     time.Time
}

// miss remembers a failed fetch for one kid until a time.
type miss struct {
	until time.Time
	err   error
}

// call is one fetch, shared by every caller that misses on its kid.
type call struct {
	done chan struct{}
	key  *ecdsa.PublicKey
	err  error
}

func newKeyStore(base string, client *http.Client, now func() time.Time) *keyStore {
	return &keyStore{
		base:     base,
		client:   client,
		now:      now,
		keys:     make(map[string]*ecdsa.PublicKey),
		misses:   make(map[string]miss),
		inflight: make(map[string]*call),
		tokens:   FetchBurst,
	}
}

// key returns the key for kid, fetching it when it is not cached, no
// fetch for it is remembered as failed, and the fetch budget allows.
func (s *keyStore) key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	s.mu.Lock()
	if k, ok := s.keys[kid]; ok {
		s.mu.Unlock()
		return k, nil
	}
	now := s.now()
	c, ok := s.inflight[kid]
	if !ok {
		if m, ok := s.misses[kid]; ok && now.Before(m.until) {
			s.mu.Unlock()
			return nil, m.err
		}
		if !s.take(now) {
			s.mu.Unlock()
			return nil, &keyError{msg: "alb: keys unavailable: key fetch rate limit reached for key " + quote(kid), kind: jwks.ErrKeysUnavailable}
		}
		c = &call{done: make(chan struct{})}
		s.inflight[kid] = c
		// The fetch runs on its own goroutine with its own deadline, so
		// that the caller who started it can give up without failing the
		// others waiting for the same kid.
		go s.run(context.WithoutCancel(ctx), kid, c)
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.key, c.err
	case <-ctx.Done():
		return nil, fmt.Errorf("alb: waiting for key %s: %w", quote(kid), ctx.Err())
	}
}

func (s *keyStore) run(ctx context.Context, kid string, c *call) {
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	key, err := s.fetchKey(ctx, kid)

	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, kid)
	if err == nil {
		delete(s.misses, kid)
		if len(s.order) >= CacheSize {
			delete(s.keys, s.order[0])
			s.order = s.order[1:]
		}
		s.keys[kid] = key
		s.order = append(s.order, kid)
	} else {
		wait := FailureInterval
		if isNotFound(err) {
			wait = MissInterval
		}
		now := s.now()
		s.pruneMisses(now)
		s.misses[kid] = miss{until: now.Add(wait), err: err}
	}
	c.key, c.err = key, err
	close(c.done)
}

// pruneMisses drops expired misses. Fetches are rate-limited, so the
// misses that have not expired are few.
func (s *keyStore) pruneMisses(now time.Time) {
	if len(s.misses) < CacheSize {
		return
	}
	for k, m := range s.misses {
		if !now.Before(m.until) {
			delete(s.misses, k)
		}
	}
}

// take spends one unit of the fetch budget, a token bucket of FetchBurst
// refilled at one per FetchRate, and reports whether there was one.
func (s *keyStore) take(now time.Time) bool {
	if !s.last.IsZero() && now.After(s.last) {
		s.tokens = min(FetchBurst, s.tokens+float64(now.Sub(s.last))/float64(FetchRate))
	}
	if s.last.IsZero() || now.After(s.last) {
		s.last = now
	}
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// keyError is an error with its own message that matches kind (a
// sentinel) and, when set, cause.
type keyError struct {
	msg   string
	kind  error
	cause error
}

func (e *keyError) Error() string { return e.msg }

func (e *keyError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

func isNotFound(err error) bool {
	e, ok := err.(*keyError)
	return ok && e.kind == jwks.ErrKeyNotFound
}

// maxEcho bounds how much token text an error repeats.
const maxEcho = 48

// quote returns s quoted, cut short and escaped (see safehttp.Quote).
func quote(s string) string { return safehttp.Quote(s, maxEcho) }
