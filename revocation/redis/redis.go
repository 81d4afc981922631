// Package redis shares revocations across a fleet through Redis: every
// instance answers from a local copy of the whole revocation set (no
// network round trip per request), kept in step by pub/sub, a full reload
// on every (re)subscription and periodically, so that a revocation written
// on any instance is refused by every other within a second.
//
// It is a nested module, so that the core library never imports a Redis
// client. It runs on the caller's github.com/redis/go-redis/v9 client
// (TLS, ACL users, Sentinel and connection pools as the caller set them
// up). The layout in Redis is one sorted set and one channel under
// Options.Prefix, the same that `cognitojwt revoke` and the gateway use:
// see docs/REVOCATION.md.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// DefaultPrefix starts every Redis name the store uses.
const DefaultPrefix = revsync.DefaultPrefix

// Mode is what Check answers while the store is not in step with Redis.
type Mode int

const (
	// Deny, the default, answers revocation.ErrUnavailable (a 503 with
	// Retry-After) while the local copy cannot be vouched for: Redis
	// unreachable, the subscription lost, a reload failed. A revocation
	// is a security decision; an outage of its store must not turn it
	// off silently, and a 503 tells clients to retry rather than to sign
	// in again.
	Deny Mode = iota
	// Allow answers from the local copy during an outage: revocations
	// seen before it are still refused, those written during it are
	// missed until Redis is back. For APIs whose availability matters
	// more than a sign-out of the last minutes.
	Allow
)

// Event is what Options.Observe learns, for logs and metrics.
type Event struct {
	Kind    EventKind
	Lag     time.Duration // EventApplied: from publication on one instance to application on this one
	Entries int           // EventResync: entries held after the reload
	Err     error         // EventDown, EventError
}

// EventKind says what an Event reports.
type EventKind int

// The events.
const (
	EventApplied EventKind = EventKind(revsync.EventApplied) // a revocation from another instance was applied
	EventResync  EventKind = EventKind(revsync.EventResync)  // the whole set was reloaded
	EventUp      EventKind = EventKind(revsync.EventUp)      // in step with Redis (again)
	EventDown    EventKind = EventKind(revsync.EventDown)    // out of step; Err says why
	EventError   EventKind = EventKind(revsync.EventError)   // a store error that changed no state (an unreadable member)
)

// Options configures a Store. Zero fields mean the documented defaults.
type Options struct {
	// Client reaches Redis. Required. The store does not close it.
	Client goredis.UniversalClient

	// Prefix starts the names of the sorted set and the channel. Zero
	// means DefaultPrefix; instances that share revocations must agree.
	Prefix string

	// OnUnavailable is Deny (the default) or Allow.
	OnUnavailable Mode

	// MaxLifetime is the longest a token of the trusted issuers can be
	// valid; an entry is kept that long (plus Margin) after it is made.
	// Zero means revocation.DefaultMaxLifetime (one day).
	MaxLifetime time.Duration

	// Margin covers clock skew and leeway. Zero means
	// revocation.DefaultMargin; negative means none.
	Margin time.Duration

	// Limit bounds the entries held locally. Zero means
	// revocation.DefaultLimit. Over it, every Check answers
	// ErrUnavailable (in either mode) until entries expire: a live
	// revocation is never dropped.
	Limit int

	// ResyncInterval is how often the whole set is reloaded, besides
	// every (re)subscription. Zero means 30 s.
	ResyncInterval time.Duration

	// Timeout bounds each Redis command. Zero means 2 s.
	Timeout time.Duration

	// Observe, when not nil, learns of state changes, reloads and each
	// applied revocation. It is called from the store's goroutines and
	// must not block.
	Observe func(Event)
}

// Store is a revocation.Store shared through Redis. Its Check answers from
// local memory; Revoke writes to Redis and announces the entry. It is safe
// for concurrent use; Close stops it.
type Store struct {
	m *revsync.Mirror
}

// New starts a store on opts.Client. It returns at once; the store is in
// step after its first reload (see WaitReady), and until then Check
// answers as in an outage. It refuses Options without a Client.
func New(opts Options) (*Store, error) {
	if opts.Client == nil {
		return nil, errors.New("revocation/redis: Options.Client is required")
	}
	ro := revsync.Options{
		Prefix:         opts.Prefix,
		OnUnavailable:  revsync.Mode(opts.OnUnavailable),
		Memory:         revocation.MemoryOptions{Limit: opts.Limit, MaxLifetime: opts.MaxLifetime, Margin: opts.Margin},
		ResyncInterval: opts.ResyncInterval,
		Timeout:        opts.Timeout,
	}
	switch opts.OnUnavailable {
	case Deny, Allow:
	default:
		return nil, fmt.Errorf("revocation/redis: unknown OnUnavailable mode %d", opts.OnUnavailable)
	}
	if obs := opts.Observe; obs != nil {
		ro.Observe = func(e revsync.Event) {
			obs(Event{Kind: EventKind(e.Kind), Lag: e.Lag, Entries: e.Entries, Err: e.Err})
		}
	}
	return &Store{m: revsync.Start(backend{opts.Client}, ro)}, nil
}

// Check answers from the local copy: nil, an error wrapping
// revocation.ErrRevoked, or, out of step with Redis in Deny mode or over
// the local limit, one wrapping revocation.ErrUnavailable.
func (s *Store) Check(ctx context.Context, t revocation.Token) error { return s.m.Check(ctx, t) }

// Revoke writes e to Redis, announces it to every instance and applies it
// here. Expires zero means At + MaxLifetime + Margin. A failure to reach
// Redis wraps revocation.ErrUnavailable, and nothing is applied.
func (s *Store) Revoke(ctx context.Context, e revocation.Entry) error { return s.m.Revoke(ctx, e) }

// List returns the live entries in Redis.
func (s *Store) List(ctx context.Context) ([]revocation.Entry, error) { return s.m.List(ctx) }

// Ready returns nil when the store is in step with Redis, else why not
// (wrapping revocation.ErrUnavailable): for readiness probes.
func (s *Store) Ready() error { return s.m.Ready() }

// WaitReady waits until the store is in step with Redis or ctx ends.
func (s *Store) WaitReady(ctx context.Context) error { return s.m.WaitReady(ctx) }

// Len returns the number of entries held locally.
func (s *Store) Len() int { return s.m.Len() }

// Close stops the store's goroutines; it does not close the client.
func (s *Store) Close() error { return s.m.Close() }

var _ revocation.Store = (*Store)(nil)

// backend is revsync.Backend on go-redis.
type backend struct{ c goredis.UniversalClient }

func (b backend) Eval(ctx context.Context, script string, keys, args []string) error {
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	return b.c.Eval(ctx, script, keys, a...).Err()
}

func (b backend) Load(ctx context.Context, key, min string) ([]string, error) {
	return b.c.ZRangeByScore(ctx, key, &goredis.ZRangeBy{Min: min, Max: "+inf"}).Result()
}

// pingEvery is how often an idle subscription is pinged; one that has
// answered nothing for deadAfter is given up, so that an instance behind
// a silent network partition notices within about a second.
const (
	pingEvery = 300 * time.Millisecond
	deadAfter = time.Second
)

func (b backend) Listen(ctx context.Context, channel string, ready func(), message func(string)) error {
	ps := b.c.Subscribe(ctx)
	defer ps.Close()
	if err := ps.Subscribe(ctx, channel); err != nil {
		return err
	}
	lastHeard := time.Now()
	for {
		msg, err := ps.ReceiveTimeout(ctx, pingEvery)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return err
			}
			if time.Since(lastHeard) > deadAfter {
				return errors.New("redis: subscription connection answers nothing")
			}
			if err := ps.Ping(ctx); err != nil {
				return err
			}
			continue
		}
		lastHeard = time.Now()
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" && m.Channel == channel {
				ready()
			}
		case *goredis.Message:
			message(m.Payload)
		}
	}
}
