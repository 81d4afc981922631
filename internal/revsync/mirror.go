package revsync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognitojwt/cognitojwt/revocation"
)

// Backend is what the mirror needs of a Redis client.
type Backend interface {
	// Eval runs a Lua script (the write).
	Eval(ctx context.Context, script string, keys, args []string) error

	// Load returns the members of the sorted set key with a score above
	// min (ZRANGE key min +inf BYSCORE).
	Load(ctx context.Context, key, min string) ([]string, error)

	// Listen subscribes to channel on a connection of its own, calls
	// ready once the subscription is confirmed, then message for every
	// message, until ctx ends or the connection fails, and returns why.
	// It must notice a dead connection within about a second (it pings).
	Listen(ctx context.Context, channel string, ready func(), message func(string)) error
}

// Mode is what Check answers while the mirror is not in step with Redis.
type Mode int

const (
	// Deny answers ErrUnavailable (503) while the mirror cannot vouch
	// that it holds every revocation: the default, because a revocation
	// is a security decision and its store being down must not turn it
	// off.
	Deny Mode = iota
	// Allow answers from the entries already held: revocations seen
	// before the outage are still refused, later ones are missed.
	Allow
)

// EventKind says what an Event reports.
type EventKind int

// The events.
const (
	EventApplied EventKind = iota + 1 // a message from another instance was applied; Lag is set
	EventResync                       // the whole set was loaded; Entries is set
	EventUp                           // in step with Redis again
	EventDown                         // out of step; Err says why
	EventError                        // a store error that did not change the state (a bad member, a failed write)
)

// Event is what Options.Observe learns.
type Event struct {
	Kind    EventKind
	Lag     time.Duration // EventApplied: from publication to application (clocks of both hosts)
	Entries int           // EventResync
	Err     error         // EventDown, EventError
}

// Options tunes a Mirror. Zero fields mean the documented defaults.
type Options struct {
	Prefix         string // Redis names; zero means DefaultPrefix
	OnUnavailable  Mode   // zero means Deny
	Memory         revocation.MemoryOptions
	ResyncInterval time.Duration // full reload period; zero means 30 s
	Timeout        time.Duration // per Redis command; zero means 2 s
	Observe        func(Event)   // nil means none; called from the mirror's goroutines, must not block
}

// Mirror is a revocation.Store answering from local memory, kept in step
// with Redis by pub/sub and full reloads.
type Mirror struct {
	b       Backend
	mem     *revocation.Memory
	mode    atomic.Int32 // a Mode
	prefix  string
	resync  time.Duration
	timeout time.Duration
	observe func(Event)
	now     func() time.Time

	stateMu   sync.Mutex  // orders changes of up and listening
	up        atomic.Bool // listening and loaded since
	listening atomic.Bool
	overflow  atomic.Bool // more live entries than the local bound: fail closed
	lastErr   atomic.Pointer[error]

	reloadMu sync.Mutex // one reload at a time, so that journals never interleave

	mu      sync.Mutex         // serialises changes of mem
	journal []revocation.Entry // entries applied while a reload is under way; nil when none is
	lastRe  time.Time

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start returns a mirror of the layout under opts.Prefix on b and starts
// its goroutines; Close stops them.
func Start(b Backend, opts Options) *Mirror {
	m := &Mirror{b: b, mem: revocation.NewMemory(opts.Memory), prefix: opts.Prefix,
		resync: opts.ResyncInterval, timeout: opts.Timeout, observe: opts.Observe, now: opts.Memory.Now}
	m.mode.Store(int32(opts.OnUnavailable))
	if m.prefix == "" {
		m.prefix = DefaultPrefix
	}
	if m.resync <= 0 {
		m.resync = 30 * time.Second
	}
	if m.timeout <= 0 {
		m.timeout = 2 * time.Second
	}
	if m.now == nil {
		m.now = time.Now
	}
	err := errors.New("not yet loaded")
	m.lastErr.Store(&err)
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(2)
	go m.listen(ctx)
	go m.reloadLoop(ctx)
	return m
}

// Close stops the mirror; Check then answers as in an outage.
func (m *Mirror) Close() error {
	m.cancel()
	m.wg.Wait()
	m.up.Store(false)
	return nil
}

var errOverflow = fmt.Errorf("%w: more live revocations than the local limit", revocation.ErrUnavailable)

// Check answers from local memory. Out of step with Redis, it returns
// ErrUnavailable in Deny mode; over the local limit, always.
func (m *Mirror) Check(ctx context.Context, t revocation.Token) error {
	if m.overflow.Load() {
		return errOverflow
	}
	if !m.up.Load() && Mode(m.mode.Load()) == Deny {
		return m.Ready()
	}
	return m.mem.Check(ctx, t)
}

// SetMode changes what Check answers while out of step, at once.
func (m *Mirror) SetMode(mode Mode) { m.mode.Store(int32(mode)) }

// Ready returns nil when the mirror is in step with Redis, else an error
// wrapping ErrUnavailable that says why.
func (m *Mirror) Ready() error {
	if m.overflow.Load() {
		return errOverflow
	}
	if m.up.Load() {
		return nil
	}
	return fmt.Errorf("%w: %v", revocation.ErrUnavailable, *m.lastErr.Load())
}

// WaitReady waits until the mirror is in step or ctx ends.
func (m *Mirror) WaitReady(ctx context.Context) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if err := m.Ready(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return m.Ready()
		case <-t.C:
		}
	}
}

// Overflow reports whether the store holds more live entries than the
// local limit: every Check then answers ErrUnavailable, in either mode.
func (m *Mirror) Overflow() bool { return m.overflow.Load() }

// Len returns the entries held locally.
func (m *Mirror) Len() int { return m.mem.Len() }

// Revoke writes e to Redis (announced to every instance) and applies it
// here. A failure to reach Redis wraps ErrUnavailable: nothing was
// written, and nothing is applied locally either, so that instances do
// not disagree.
func (m *Mirror) Revoke(ctx context.Context, e revocation.Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Expires.IsZero() {
		e.Expires = e.At.Add(m.mem.Lifetime())
	}
	now := m.now()
	if !e.Expires.After(now) {
		return nil // no token it could match is still valid
	}
	args, err := WriteArgs(m.prefix, e, now)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	if err := m.b.Eval(ctx, WriteScript, []string{SetKey(m.prefix)}, args); err != nil {
		return fmt.Errorf("%w: %v", revocation.ErrUnavailable, err)
	}
	m.apply(e)
	return nil
}

// List returns the live entries held in Redis.
func (m *Mirror) List(ctx context.Context) ([]revocation.Entry, error) {
	entries, err := m.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", revocation.ErrUnavailable, err)
	}
	return entries, nil
}

func (m *Mirror) load(ctx context.Context) ([]revocation.Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	members, err := m.b.Load(ctx, SetKey(m.prefix), LoadMin(m.now()))
	if err != nil {
		return nil, err
	}
	out := make([]revocation.Entry, 0, len(members))
	for _, s := range members {
		var e revocation.Entry
		if err := e.UnmarshalText([]byte(s)); err != nil {
			m.emit(Event{Kind: EventError, Err: err}) // not ours to read: counted, skipped
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// apply records e locally, and in the journal of a reload under way.
func (m *Mirror) apply(e revocation.Entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.journal != nil {
		m.journal = append(m.journal, e)
	}
	if err := m.mem.Revoke(context.Background(), e); err != nil {
		m.overflow.Store(true)
		m.emit(Event{Kind: EventError, Err: err})
	}
}

// reload replaces the local set with Redis's. Entries applied while it
// runs are kept: a reload never undoes a message it raced with.
func (m *Mirror) reload(ctx context.Context) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	m.mu.Lock()
	m.journal = make([]revocation.Entry, 0)
	m.mu.Unlock()
	entries, err := m.load(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.journal
	m.journal = nil
	if err != nil {
		return err
	}
	entries = append(entries, j...)
	if err := m.mem.Replace(entries); err != nil {
		m.overflow.Store(true)
		return err
	}
	m.overflow.Store(false)
	m.lastRe = m.now()
	m.emit(Event{Kind: EventResync, Entries: m.mem.Len()})
	return nil
}

// setUp marks the mirror in step, if a subscription still stands.
func (m *Mirror) setUp() {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	if m.listening.Load() && !m.up.Swap(true) {
		m.emit(Event{Kind: EventUp})
	}
}

// setDown marks the mirror out of step; lost says the subscription ended.
func (m *Mirror) setDown(err error, lost bool) {
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	if lost {
		m.listening.Store(false)
	}
	m.lastErr.Store(&err)
	if m.up.Swap(false) {
		m.emit(Event{Kind: EventDown, Err: err})
	}
}

func (m *Mirror) emit(e Event) {
	if m.observe != nil {
		m.observe(e)
	}
}

// listen keeps a subscription, reloading on every (re)subscription so that
// nothing published while it was away is missed.
func (m *Mirror) listen(ctx context.Context) {
	defer m.wg.Done()
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := m.b.Listen(ctx, Channel(m.prefix), func() {
			m.listening.Store(true)
			if err := m.reload(ctx); err != nil {
				m.setDown(err, false)
				return
			}
			backoff = 50 * time.Millisecond
			m.setUp()
		}, m.message)
		if err == nil {
			err = errors.New("subscription ended")
		}
		m.setDown(err, true)
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (m *Mirror) message(msg string) {
	at, e, err := ParseMessage(msg)
	if err != nil {
		m.emit(Event{Kind: EventError, Err: err})
		return
	}
	m.apply(e)
	m.emit(Event{Kind: EventApplied, Lag: m.now().Sub(at)})
}

// reloadLoop reloads every ResyncInterval, and every 100 ms while a
// subscription stands but the last reload failed.
func (m *Mirror) reloadLoop(ctx context.Context) {
	defer m.wg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !m.listening.Load() {
			continue
		}
		m.mu.Lock()
		due := !m.up.Load() || m.now().Sub(m.lastRe) >= m.resync
		m.mu.Unlock()
		if !due {
			continue
		}
		if err := m.reload(ctx); err != nil {
			if ctx.Err() == nil {
				m.setDown(err, false)
			}
			continue
		}
		m.setUp()
	}
}

var _ revocation.Store = (*Mirror)(nil)
