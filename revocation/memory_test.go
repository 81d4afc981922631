package revocation

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemoryCheck(t *testing.T) {
	alice := Token{Issuer: "iss", Subject: "sub-alice", Username: "alice", JTI: "jti-1", OriginJTI: "orig-1", IssuedAt: t0.Add(-time.Minute)}
	bob := Token{Issuer: "iss", Subject: "sub-bob", Username: "bob", JTI: "jti-2", OriginJTI: "orig-2", IssuedAt: t0.Add(-time.Minute)}
	later := alice
	later.IssuedAt = t0.Add(time.Second)
	later.JTI, later.OriginJTI = "jti-3", "orig-3"
	noIat := alice
	noIat.IssuedAt = time.Time{}
	atCut := alice
	atCut.IssuedAt = t0

	tests := []struct {
		name  string
		entry Entry
		tok   Token
		want  error // nil or ErrRevoked
	}{
		{"jti matches", Entry{Kind: JTI, Value: "jti-1", At: t0}, alice, ErrRevoked},
		{"jti control", Entry{Kind: JTI, Value: "jti-1", At: t0}, bob, nil},
		{"origin_jti matches", Entry{Kind: OriginJTI, Value: "orig-1", At: t0}, alice, ErrRevoked},
		{"origin_jti control", Entry{Kind: OriginJTI, Value: "orig-1", At: t0}, bob, nil},
		{"origin_jti is not a jti", Entry{Kind: OriginJTI, Value: "jti-1", At: t0}, alice, nil},
		{"sub before T", Entry{Kind: Subject, Value: "sub-alice", At: t0}, alice, ErrRevoked},
		{"sub at T", Entry{Kind: Subject, Value: "sub-alice", At: t0}, atCut, ErrRevoked},
		{"sub issued after T stands", Entry{Kind: Subject, Value: "sub-alice", At: t0}, later, nil},
		{"sub without iat is revoked", Entry{Kind: Subject, Value: "sub-alice", At: t0}, noIat, ErrRevoked},
		{"sub control", Entry{Kind: Subject, Value: "sub-alice", At: t0}, bob, nil},
		{"username before T", Entry{Kind: Username, Value: "alice", At: t0}, alice, ErrRevoked},
		{"username after T stands", Entry{Kind: Username, Value: "alice", At: t0}, later, nil},
		{"username is not a sub", Entry{Kind: Username, Value: "sub-alice", At: t0}, alice, nil},
		{"expired entry is forgotten", Entry{Kind: JTI, Value: "jti-1", At: t0.Add(-48 * time.Hour)}, alice, nil},
		{"explicit expiry in force", Entry{Kind: JTI, Value: "jti-1", At: t0.Add(-48 * time.Hour), Expires: t0.Add(time.Minute)}, alice, ErrRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(MemoryOptions{Now: func() time.Time { return t0 }})
			if err := m.Revoke(context.Background(), tt.entry); err != nil {
				t.Fatal(err)
			}
			err := m.Check(context.Background(), tt.tok)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMemoryEntryExpires(t *testing.T) {
	c := &clock{t: t0}
	m := NewMemory(MemoryOptions{MaxLifetime: time.Hour, Margin: -1, Now: c.now})
	ctx := context.Background()
	tok := Token{JTI: "a", IssuedAt: t0}
	if err := m.Revoke(ctx, Entry{Kind: JTI, Value: "a", At: t0}); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour - time.Second)
	if err := m.Check(ctx, tok); !errors.Is(err, ErrRevoked) {
		t.Fatalf("before expiry: %v", err)
	}
	c.add(time.Second)
	if err := m.Check(ctx, tok); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if l, _ := m.List(ctx); len(l) != 0 {
		t.Fatalf("List after expiry = %v", l)
	}
}

func TestMemoryWidens(t *testing.T) {
	m := NewMemory(MemoryOptions{Now: func() time.Time { return t0 }})
	ctx := context.Background()
	tok := Token{Subject: "s", IssuedAt: t0.Add(-time.Minute)}
	for _, at := range []time.Time{t0, t0.Add(-time.Hour)} { // a later call with an earlier time narrows nothing
		if err := m.Revoke(ctx, Entry{Kind: Subject, Value: "s", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Check(ctx, tok); !errors.Is(err, ErrRevoked) {
		t.Fatalf("Check = %v", err)
	}
	if m.Len() != 1 {
		t.Fatalf("Len = %d, want 1", m.Len())
	}
}

func TestMemoryFullFailsClosed(t *testing.T) {
	c := &clock{t: t0}
	m := NewMemory(MemoryOptions{Limit: 3, MaxLifetime: time.Hour, Margin: -1, Now: c.now})
	ctx := context.Background()
	for i := range 3 {
		if err := m.Revoke(ctx, Entry{Kind: JTI, Value: fmt.Sprint("j", i), At: c.now()}); err != nil {
			t.Fatal(err)
		}
	}
	err := m.Revoke(ctx, Entry{Kind: JTI, Value: "j3", At: c.now()})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Revoke at limit = %v, want ErrFull", err)
	}
	for i := range 3 { // nothing live was dropped to make room
		if err := m.Check(ctx, Token{JTI: fmt.Sprint("j", i)}); !errors.Is(err, ErrRevoked) {
			t.Fatalf("j%d: %v", i, err)
		}
	}
	// Updating a held entry is not a new one.
	if err := m.Revoke(ctx, Entry{Kind: JTI, Value: "j0", At: c.now()}); err != nil {
		t.Fatal(err)
	}
	// Once entries expire, room is made.
	c.add(time.Hour)
	if err := m.Revoke(ctx, Entry{Kind: JTI, Value: "j3", At: c.now()}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if m.Len() != 1 {
		t.Fatalf("Len = %d, want 1", m.Len())
	}
	if err := m.Replace(make([]Entry, 0)); err != nil || m.Len() != 0 {
		t.Fatalf("Replace(empty) = %v, Len %d", err, m.Len())
	}
	big := []Entry{{Kind: JTI, Value: "a", At: c.now()}, {Kind: JTI, Value: "b", At: c.now()}, {Kind: JTI, Value: "c", At: c.now()}, {Kind: JTI, Value: "d", At: c.now()}}
	if err := m.Replace(big); !errors.Is(err, ErrFull) {
		t.Fatalf("Replace over the limit = %v", err)
	}
}

func TestMemoryReplace(t *testing.T) {
	m := NewMemory(MemoryOptions{Now: func() time.Time { return t0 }})
	ctx := context.Background()
	if err := m.Revoke(ctx, Entry{Kind: JTI, Value: "old", At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := m.Replace([]Entry{{Kind: JTI, Value: "new", At: t0}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Check(ctx, Token{JTI: "old"}); err != nil {
		t.Fatalf("old entry survived Replace: %v", err)
	}
	if err := m.Check(ctx, Token{JTI: "new"}); !errors.Is(err, ErrRevoked) {
		t.Fatalf("new entry: %v", err)
	}
	if err := m.Replace([]Entry{{Kind: JTI, Value: "", At: t0}}); err == nil {
		t.Fatal("Replace took an invalid entry")
	}
	if err := m.Check(ctx, Token{JTI: "new"}); !errors.Is(err, ErrRevoked) {
		t.Fatalf("a refused Replace changed the content: %v", err)
	}
}

func TestMemoryRefusesInvalid(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	for _, e := range []Entry{
		{Kind: 0, Value: "x", At: t0},
		{Kind: JTI, Value: "", At: t0},
		{Kind: JTI, Value: "a b", At: t0},
		{Kind: JTI, Value: "x"},
		{Kind: JTI, Value: "x", At: t0, Expires: t0},
	} {
		if err := m.Revoke(context.Background(), e); err == nil {
			t.Errorf("Revoke(%+v) accepted", e)
		}
	}
	if m.Len() != 0 {
		t.Fatalf("Len = %d", m.Len())
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory(MemoryOptions{Limit: 10_000})
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 500 {
				_ = m.Revoke(ctx, Entry{Kind: JTI, Value: fmt.Sprint(w, "-", i), At: time.Now()})
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 500 {
				_ = m.Check(ctx, Token{JTI: fmt.Sprint(w, "-", i)})
			}
		}()
	}
	wg.Wait()
	if m.Len() != 2000 {
		t.Fatalf("Len = %d, want 2000", m.Len())
	}
}

func BenchmarkMemoryCheck(b *testing.B) {
	for _, n := range []int{0, 100_000} {
		b.Run(fmt.Sprint("entries=", n), func(b *testing.B) {
			m := NewMemory(MemoryOptions{})
			for i := range n {
				_ = m.Revoke(context.Background(), Entry{Kind: JTI, Value: fmt.Sprint("j", i), At: time.Now()})
			}
			tok := Token{Subject: "7c4f1d2e-0000-4000-8000-000000000001", Username: "alice", JTI: "2f1c-not-revoked", OriginJTI: "9a7b-not-revoked", IssuedAt: time.Now()}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := m.Check(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMemoryFootprint reports the heap one entry costs, filling a
// store with 100,000 entries of Cognito-sized values (36-byte UUIDs),
// spread over the four kinds.
func BenchmarkMemoryFootprint(b *testing.B) {
	const n = 100_000
	var perEntry float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m := NewMemory(MemoryOptions{})
		now := time.Now()
		for i := range n {
			v := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
			if err := m.Revoke(context.Background(), Entry{Kind: Kind(1 + i%4), Value: v, At: now}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perEntry, "B/entry")
	b.ReportMetric(perEntry*n/1e6, "MB/100k")
}
