package redis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cognitojwt/cognitojwt/internal/redistest"
	"github.com/cognitojwt/cognitojwt/internal/resp"
	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
	"github.com/cognitojwt/cognitojwt/revocation/redis"
)

func newStore(t testing.TB, srv *redistest.Server, mode redis.Mode) *redis.Store {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: time.Second})
	s, err := redis.New(redis.Options{Client: c, OnUnavailable: mode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func within(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isRevoked(c revocation.Checker, tok revocation.Token) func() error {
	return func() error {
		if err := c.Check(context.Background(), tok); !errors.Is(err, revocation.ErrRevoked) {
			return fmt.Errorf("Check = %v, want ErrRevoked", err)
		}
		return nil
	}
}

// Two instances on go-redis and one on the command's own client share
// one layout: a revocation written by any is refused by all within 1 s.
func TestStorePropagates(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newStore(t, srv, redis.Deny), newStore(t, srv, redis.Deny)
	o, _ := resp.ParseURL(srv.URL())
	cl := resp.New(o)
	defer cl.Close()
	cli := revsync.Start(cl, revsync.Options{})
	defer cli.Close()
	ctx := context.Background()
	if err := cli.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	for i, tc := range []struct {
		writer revocation.Store
		entry  revocation.Entry
		tok    revocation.Token
	}{
		{a, revocation.Entry{Kind: revocation.OriginJTI, Value: "orig-1", At: time.Now()}, revocation.Token{OriginJTI: "orig-1"}},
		{cli, revocation.Entry{Kind: revocation.Username, Value: "alice", At: time.Now()}, revocation.Token{Username: "alice", IssuedAt: time.Now().Add(-time.Second)}},
		{b, revocation.Entry{Kind: revocation.JTI, Value: "j-3", At: time.Now()}, revocation.Token{JTI: "j-3"}},
	} {
		if err := tc.writer.Revoke(ctx, tc.entry); err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]revocation.Checker{"a": a, "b": b, "cli": cli} {
			if err := within(time.Second, isRevoked(r, tc.tok)); err != nil {
				t.Fatalf("write %d, instance %s: %v", i, name, err)
			}
		}
	}
	if err := a.Check(ctx, revocation.Token{JTI: "other", Username: "bob", Subject: "bob"}); err != nil {
		t.Fatalf("control: %v", err)
	}
	l, err := b.List(ctx)
	if err != nil || len(l) != 3 {
		t.Fatalf("List = %v, %v", l, err)
	}
}

func TestStoreOutage(t *testing.T) {
	srv := redistest.Start(t)
	deny, allow := newStore(t, srv, redis.Deny), newStore(t, srv, redis.Allow)
	ctx := context.Background()
	alice, bob := revocation.Token{JTI: "j-alice"}, revocation.Token{JTI: "j-bob"}
	if err := deny.Revoke(ctx, revocation.Entry{Kind: revocation.JTI, Value: "j-alice", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := within(time.Second, isRevoked(allow, alice)); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := within(2*time.Second, func() error {
		if err := deny.Check(ctx, bob); !errors.Is(err, revocation.ErrUnavailable) {
			return fmt.Errorf("deny, Redis down: %v", err)
		}
		if deny.Ready() == nil {
			return errors.New("Ready with Redis down")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := allow.Check(ctx, bob); err != nil {
		t.Fatalf("allow, Redis down, control: %v", err)
	}
	if err := isRevoked(allow, alice)(); err != nil {
		t.Fatalf("allow, Redis down: %v", err)
	}
	if err := allow.Revoke(ctx, revocation.Entry{Kind: revocation.JTI, Value: "x", At: time.Now()}); !errors.Is(err, revocation.ErrUnavailable) {
		t.Fatalf("Revoke, Redis down = %v", err)
	}
	srv.Restart()
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := deny.WaitReady(rctx); err != nil {
		t.Fatal(err)
	}
	if err := isRevoked(deny, alice)(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if err := isRevoked(newStore(t, srv, redis.Deny), alice)(); err != nil {
		t.Fatalf("fresh instance after restart (AOF): %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := redis.New(redis.Options{}); err == nil {
		t.Error("New without a client")
	}
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := redis.New(redis.Options{Client: c, OnUnavailable: 7}); err == nil {
		t.Error("New with an unknown mode")
	}
}

// BenchmarkStoreCheck is the common path: answered from local memory.
func BenchmarkStoreCheck(b *testing.B) {
	srv := redistest.Start(b)
	s := newStore(b, srv, redis.Deny)
	ctx := context.Background()
	tok := revocation.Token{Subject: "s", Username: "u", JTI: "j", OriginJTI: "o", IssuedAt: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Check(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreRevoke is one write: the script and its announcement.
func BenchmarkStoreRevoke(b *testing.B) {
	srv := redistest.Start(b)
	s := newStore(b, srv, redis.Deny)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.Revoke(ctx, revocation.Entry{Kind: revocation.JTI, Value: fmt.Sprint("j", i), At: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPropagation measures, per revocation, the time from Revoke on
// one instance to the moment another instance has applied it (the write,
// its announcement and the subscriber's update), one at a time. It
// reports the median and the 99th percentile.
func BenchmarkPropagation(b *testing.B) {
	srv := redistest.Start(b)
	ca := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	cb := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ca.Close()
	defer cb.Close()
	if err := ca.ConfigSet(context.Background(), "appendfsync", "everysec").Err(); err != nil { // measure the network path, not the disk
		b.Fatal(err)
	}
	applied := make(chan struct{}, 1)
	a, err := redis.New(redis.Options{Client: ca})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	other, err := redis.New(redis.Options{Client: cb, Observe: func(e redis.Event) {
		if e.Kind == redis.EventApplied {
			applied <- struct{}{}
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	if err := other.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	var lags []time.Duration
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		if err := a.Revoke(context.Background(), revocation.Entry{Kind: revocation.JTI, Value: fmt.Sprint("p", i), At: start}); err != nil {
			b.Fatal(err)
		}
		select {
		case <-applied:
		case <-time.After(2 * time.Second):
			b.Fatal("not applied within 2 s")
		}
		lags = append(lags, time.Since(start))
	}
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkRedisFootprint reports the Redis memory one entry costs, from
// used_memory before and after writing 100,000 entries.
func BenchmarkRedisFootprint(b *testing.B) {
	const n = 100_000
	srv := redistest.Start(b)
	c := goredis.NewClient(&goredis.Options{Addr: srv.Addr, PoolSize: 8})
	defer c.Close()
	ctx := context.Background()
	if err := c.ConfigSet(ctx, "appendfsync", "everysec").Err(); err != nil {
		b.Fatal(err)
	}
	s, err := redis.New(redis.Options{Client: c})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	used := func() float64 {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
		b.Fatal("no used_memory")
		return 0
	}
	var perEntry float64
	for b.Loop() {
		c.FlushDB(ctx)
		before := used()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				now := time.Now()
				for i := w; i < n; i += 8 {
					v := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
					if err := s.Revoke(ctx, revocation.Entry{Kind: revocation.Kind(1 + i%4), Value: v, At: now}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		perEntry = (used() - before) / n
	}
	b.ReportMetric(perEntry, "B/entry")
	b.ReportMetric(float64(s.Len()), "local-entries")
}
