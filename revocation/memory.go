package revocation

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultLimit is the number of live entries a Memory holds when
// MemoryOptions.Limit is zero: about 100 MB at the measured cost per
// entry (docs/BENCHMARKS.md), far more than a pool's sign-outs in a day.
const DefaultLimit = 1_000_000

// MemoryOptions tunes a Memory. Zero fields mean the documented defaults.
type MemoryOptions struct {
	// Limit is the most live entries held. Zero means DefaultLimit. When
	// it is reached, expired entries are purged; if none can go, Revoke
	// and Replace refuse with ErrFull: a live revocation is never dropped
	// to make room.
	Limit int

	// MaxLifetime is the longest a token of the trusted issuers can be
	// valid (exp − iat). An entry without Expires is kept for
	// MaxLifetime + Margin after its At. Zero means DefaultMaxLifetime.
	MaxLifetime time.Duration

	// Margin is added to MaxLifetime for the verifiers' leeway and clock
	// skew. Zero means DefaultMargin; negative means none.
	Margin time.Duration

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Memory is an in-memory Store, safe for concurrent use, bounded in
// entries. Its Check takes a read lock and one map lookup per claim
// present, and nothing at all while it is empty. Build it with NewMemory.
type Memory struct {
	limit    int
	lifetime time.Duration
	now      func() time.Time

	count atomic.Int64 // entries held, read without the lock by Check

	mu      sync.RWMutex
	byKind  [Username + 1]map[string]span
	inserts int // since the last purge
}

// span is an entry's times in Unix nanoseconds.
type span struct{ at, expires int64 }

// NewMemory returns an empty Memory.
func NewMemory(opts MemoryOptions) *Memory {
	m := &Memory{limit: opts.Limit, lifetime: opts.MaxLifetime, now: opts.Now}
	if m.limit <= 0 {
		m.limit = DefaultLimit
	}
	if m.lifetime <= 0 {
		m.lifetime = DefaultMaxLifetime
	}
	switch {
	case opts.Margin == 0:
		m.lifetime += DefaultMargin
	case opts.Margin > 0:
		m.lifetime += opts.Margin
	}
	if m.now == nil {
		m.now = time.Now
	}
	for k := JTI; k <= Username; k++ {
		m.byKind[k] = make(map[string]span)
	}
	return m
}

// Lifetime returns how long an entry without Expires is kept after its At:
// MaxLifetime + Margin.
func (m *Memory) Lifetime() time.Duration { return m.lifetime }

// The refusals, one per kind, built once so that a refusal costs no
// allocation.
var revokedBy = [...]error{
	JTI:       fmt.Errorf("%w (jti)", ErrRevoked),
	OriginJTI: fmt.Errorf("%w (origin_jti)", ErrRevoked),
	Subject:   fmt.Errorf("%w (sub)", ErrRevoked),
	Username:  fmt.Errorf("%w (username)", ErrRevoked),
}

// Check returns an error wrapping ErrRevoked when a live entry matches t:
// its jti, its origin_jti, or its sub or username with an "iat" at or
// before the entry's time. A token without "iat" is revoked by a subject
// entry, since nothing shows it was issued after. Memory never returns
// ErrUnavailable.
func (m *Memory) Check(_ context.Context, t Token) error {
	if m.count.Load() == 0 {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var now int64
	live := func(s span) bool {
		if now == 0 {
			now = m.now().UnixNano()
		}
		return s.expires > now
	}
	if t.JTI != "" {
		if s, ok := m.byKind[JTI][t.JTI]; ok && live(s) {
			return revokedBy[JTI]
		}
	}
	if t.OriginJTI != "" {
		if s, ok := m.byKind[OriginJTI][t.OriginJTI]; ok && live(s) {
			return revokedBy[OriginJTI]
		}
	}
	iat := int64(0)
	if !t.IssuedAt.IsZero() {
		iat = t.IssuedAt.UnixNano()
	}
	if t.Subject != "" {
		if s, ok := m.byKind[Subject][t.Subject]; ok && iat <= s.at && live(s) {
			return revokedBy[Subject]
		}
	}
	if t.Username != "" {
		if s, ok := m.byKind[Username][t.Username]; ok && iat <= s.at && live(s) {
			return revokedBy[Username]
		}
	}
	return nil
}

// Revoke records e, with Expires set to At + Lifetime when zero. A second
// entry for the same kind and value keeps the later time and the later
// expiry of the two, so that revocations only ever widen. An entry that
// has already expired is accepted and not kept. It refuses an invalid
// entry, and ErrFull at the limit.
func (m *Memory) Revoke(_ context.Context, e Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	e = e.withExpiry(m.lifetime)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.add(e, m.now().UnixNano())
}

// add records e with mu held.
func (m *Memory) add(e Entry, now int64) error {
	s := span{at: e.At.UnixNano(), expires: e.Expires.UnixNano()}
	if s.expires <= now {
		return nil
	}
	mk := m.byKind[e.Kind]
	if old, ok := mk[e.Value]; ok {
		mk[e.Value] = span{at: max(old.at, s.at), expires: max(old.expires, s.expires)}
		return nil
	}
	if int(m.count.Load()) >= m.limit {
		m.purge(now)
		if int(m.count.Load()) >= m.limit {
			return fmt.Errorf("%w: %d live entries", ErrFull, m.limit)
		}
	}
	m.inserts++
	if m.inserts >= max(1024, int(m.count.Load())) {
		m.purge(now) // amortised: expired entries never pile up
	}
	mk[e.Value] = s
	m.count.Add(1)
	return nil
}

// purge drops expired entries, with mu held.
func (m *Memory) purge(now int64) {
	m.inserts = 0
	for k := JTI; k <= Username; k++ {
		for v, s := range m.byKind[k] {
			if s.expires <= now {
				delete(m.byKind[k], v)
				m.count.Add(-1)
			}
		}
	}
}

// Replace swaps the whole content for entries, atomically: a Check sees
// the old set or the new one, never a mix. Stores that mirror a remote
// set call it on every resynchronisation. It refuses an invalid entry and,
// with ErrFull, more live entries than the limit, and then keeps the old
// content.
func (m *Memory) Replace(entries []Entry) error {
	now := m.now().UnixNano()
	var fresh [Username + 1]map[string]span
	for k := JTI; k <= Username; k++ {
		fresh[k] = make(map[string]span)
	}
	n := 0
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
		e = e.withExpiry(m.lifetime)
		s := span{at: e.At.UnixNano(), expires: e.Expires.UnixNano()}
		if s.expires <= now {
			continue
		}
		mk := fresh[e.Kind]
		if old, ok := mk[e.Value]; ok {
			mk[e.Value] = span{at: max(old.at, s.at), expires: max(old.expires, s.expires)}
			continue
		}
		if n++; n > m.limit {
			return fmt.Errorf("%w: more than %d live entries", ErrFull, m.limit)
		}
		mk[e.Value] = s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byKind = fresh
	m.inserts = 0
	m.count.Store(int64(n))
	return nil
}

// List returns the live entries.
func (m *Memory) List(_ context.Context) ([]Entry, error) {
	now := m.now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Entry, 0, m.count.Load())
	for k := JTI; k <= Username; k++ {
		for v, s := range m.byKind[k] {
			if s.expires > now {
				out = append(out, Entry{Kind: k, Value: v, At: time.Unix(0, s.at), Expires: time.Unix(0, s.expires)})
			}
		}
	}
	return out, nil
}

// Len returns the number of entries held, expired ones not yet purged
// included.
func (m *Memory) Len() int { return int(m.count.Load()) }

var _ Store = (*Memory)(nil)
