package revsync_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/redistest"
	"github.com/cognitojwt/cognitojwt/internal/resp"
	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
)

func startMirror(t *testing.T, srv *redistest.Server, mode revsync.Mode) *revsync.Mirror {
	t.Helper()
	o, err := resp.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cl := resp.New(o)
	m := revsync.Start(cl, revsync.Options{OnUnavailable: mode})
	t.Cleanup(func() { m.Close(); cl.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

// within polls f every 5 ms until it returns nil or d passes.
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

func revoked(m *revsync.Mirror, tok revocation.Token) func() error {
	return func() error {
		if err := m.Check(context.Background(), tok); !errors.Is(err, revocation.ErrRevoked) {
			return fmt.Errorf("Check = %v, want ErrRevoked", err)
		}
		return nil
	}
}

func TestMirrorPropagates(t *testing.T) {
	srv := redistest.Start(t)
	a, b := startMirror(t, srv, revsync.Deny), startMirror(t, srv, revsync.Deny)
	ctx := context.Background()
	alice := revocation.Token{Subject: "alice", JTI: "j-alice", IssuedAt: time.Now().Add(-time.Minute)}
	bob := revocation.Token{Subject: "bob", JTI: "j-bob", IssuedAt: time.Now().Add(-time.Minute)}
	if err := a.Revoke(ctx, revocation.Entry{Kind: revocation.Subject, Value: "alice", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := revoked(a, alice)(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	if err := within(time.Second, revoked(b, alice)); err != nil {
		t.Fatalf("other instance after 1 s: %v", err)
	}
	if err := b.Check(ctx, bob); err != nil {
		t.Fatalf("control: %v", err)
	}
	// A new instance loads what was written before it started.
	c := startMirror(t, srv, revsync.Deny)
	if err := revoked(c, alice)(); err != nil {
		t.Fatalf("late instance: %v", err)
	}
	l, err := c.List(ctx)
	if err != nil || len(l) != 1 || l[0].Value != "alice" {
		t.Fatalf("List = %v, %v", l, err)
	}
}

func TestMirrorOutageAndRestart(t *testing.T) {
	srv := redistest.Start(t)
	deny, allow := startMirror(t, srv, revsync.Deny), startMirror(t, srv, revsync.Allow)
	ctx := context.Background()
	alice := revocation.Token{JTI: "j-alice"}
	bob := revocation.Token{JTI: "j-bob"}
	if err := deny.Revoke(ctx, revocation.Entry{Kind: revocation.JTI, Value: "j-alice", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := within(time.Second, revoked(allow, alice)); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	unavailable := func() error {
		if err := deny.Check(ctx, bob); !errors.Is(err, revocation.ErrUnavailable) {
			return fmt.Errorf("deny mode, Redis down: Check = %v, want ErrUnavailable", err)
		}
		return nil
	}
	if err := within(2*time.Second, unavailable); err != nil {
		t.Fatal(err)
	}
	if err := allow.Check(ctx, bob); err != nil {
		t.Fatalf("allow mode, Redis down, other token: %v", err)
	}
	if err := revoked(allow, alice)(); err != nil {
		t.Fatalf("allow mode keeps known revocations: %v", err)
	}
	if err := deny.Revoke(ctx, revocation.Entry{Kind: revocation.JTI, Value: "j-carol", At: time.Now()}); !errors.Is(err, revocation.ErrUnavailable) {
		t.Fatalf("Revoke with Redis down = %v, want ErrUnavailable", err)
	}

	srv.Restart()
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := deny.WaitReady(rctx); err != nil {
		t.Fatal(err)
	}
	if err := revoked(deny, alice)(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if err := deny.Check(ctx, bob); err != nil {
		t.Fatalf("after restart, control: %v", err)
	}
	// Redis itself kept it (AOF): an instance that never saw it loads it.
	fresh := startMirror(t, srv, revsync.Deny)
	if err := revoked(fresh, alice)(); err != nil {
		t.Fatalf("fresh instance after restart: %v", err)
	}
}

func TestMirrorOverflowFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	o, _ := resp.ParseURL(srv.URL())
	cl := resp.New(o)
	defer cl.Close()
	small := revsync.Start(cl, revsync.Options{OnUnavailable: revsync.Allow, Memory: revocation.MemoryOptions{Limit: 2}})
	defer small.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := small.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	big := startMirror(t, srv, revsync.Deny)
	for i := range 3 {
		if err := big.Revoke(ctx, revocation.Entry{Kind: revocation.JTI, Value: fmt.Sprint("j", i), At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	over := func() error {
		if err := small.Check(ctx, revocation.Token{JTI: "other"}); !errors.Is(err, revocation.ErrUnavailable) {
			return fmt.Errorf("over the local limit: Check = %v, want ErrUnavailable even in allow mode", err)
		}
		return nil
	}
	if err := within(time.Second, over); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkMirrorCheck is the common path: a local answer.
func BenchmarkMirrorCheck(b *testing.B) {
	srv := redistest.Start(b)
	o, _ := resp.ParseURL(srv.URL())
	cl := resp.New(o)
	defer cl.Close()
	m := revsync.Start(cl, revsync.Options{})
	defer m.Close()
	ctx := context.Background()
	if err := m.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	tok := revocation.Token{Subject: "s", JTI: "j", OriginJTI: "o", IssuedAt: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Check(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// An entry whose announcement was lost (written without a message) is
// picked up by the periodic reload.
func TestMirrorPeriodicReload(t *testing.T) {
	srv := redistest.Start(t)
	o, _ := resp.ParseURL(srv.URL())
	cl := resp.New(o)
	defer cl.Close()
	m := revsync.Start(cl, revsync.Options{ResyncInterval: 300 * time.Millisecond})
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	e := revocation.Entry{Kind: revocation.JTI, Value: "silent", At: now, Expires: now.Add(time.Hour)}
	text, _ := e.MarshalText()
	if _, err := cl.Do(ctx, "ZADD", revsync.SetKey(revsync.DefaultPrefix), fmt.Sprint(e.Expires.UnixMilli()), string(text)); err != nil {
		t.Fatal(err)
	}
	if err := within(2*time.Second, revoked(m, revocation.Token{JTI: "silent"})); err != nil {
		t.Fatalf("the reload did not pick it up: %v", err)
	}
	// An unreadable member is skipped, not fatal.
	if _, err := cl.Do(ctx, "ZADD", revsync.SetKey(revsync.DefaultPrefix), fmt.Sprint(e.Expires.UnixMilli()), "garbage"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	if err := m.Ready(); err != nil {
		t.Fatalf("an unreadable member made the mirror unready: %v", err)
	}
	if err := revoked(m, revocation.Token{JTI: "silent"})(); err != nil {
		t.Fatal(err)
	}
}
