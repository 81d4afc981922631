package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

func TestRateLimit(t *testing.T) {
	now := time.Unix(1e9, 0)
	var b bytes.Buffer
	log := slog.New(RateLimit(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}), time.Minute, func() time.Time { return now }))
	lines := func() []string {
		defer b.Reset()
		return strings.Split(strings.TrimSpace(b.String()), "\n")
	}
	tests := []struct {
		name string
		do   func()
		want []string
	}{
		{"first warning logged", func() { log.Warn("down", "url", "a") }, []string{`level=WARN msg=down url=a`}},
		{"same one within the window dropped", func() {
			now = now.Add(10 * time.Second)
			log.Warn("down", "url", "a")
			log.Warn("down", "url", "a")
		}, []string{""}},
		{"another attribute is another warning", func() { log.Warn("down", "url", "b") }, []string{`level=WARN msg=down url=b`}},
		{"info is never limited", func() { log.Info("req"); log.Info("req") }, []string{`level=INFO msg=req`, `level=INFO msg=req`}},
		{"after the window, with the count", func() {
			now = now.Add(time.Minute)
			log.Warn("down", "url", "a")
		}, []string{`level=WARN msg=down url=a repeated=2`}},
		{"With attributes are part of the key", func() { log.With("pool", "p").Warn("down", "url", "a") }, []string{`level=WARN msg=down pool=p url=a`}},
	}
	for _, tt := range tests {
		tt.do()
		if got := lines(); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNewLoggerDurations(t *testing.T) {
	for _, tt := range []struct{ format, want string }{
		{"text", `next_attempt_in=4.123s`},
		{"json", `"next_attempt_in":"4.123s"`},
		{"", `next_attempt_in=4.123s`},
	} {
		var b bytes.Buffer
		log, err := NewLogger(&b, tt.format, slog.LevelInfo)
		if err != nil {
			t.Fatal(err)
		}
		log.Warn("x", "next_attempt_in", 4123456789*time.Nanosecond)
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%q: %s, want %s", tt.format, b.String(), tt.want)
		}
	}
	if _, err := NewLogger(&bytes.Buffer{}, "xml", slog.LevelInfo); err == nil {
		t.Error("log format xml accepted")
	}
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOutageLogsFollowBackoff: while the keys cannot be fetched, the
// gateway logs one warning per fetch attempt (with the wait before the
// next, as a duration) and says once that it is not ready, although its
// hydrate loop polls every second.
func TestOutageLogsFollowBackoff(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	iss.SetJWKSStatus(500)
	up := newUpstream(t)
	cfg := testConfig(t, iss, up.URL, "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n")
	var logs lockedBuffer
	log, err := NewLogger(&logs, "text", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, RunOptions{Logger: log, Ready: func(net.Addr, net.Addr) {}}) }()
	time.Sleep(3500 * time.Millisecond) // the hydrate loop polls 3 or 4 times
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	fetches := iss.JWKSRequests()
	failed := strings.Count(out, "msg=\"key fetch failed\"")
	if fetches == 0 || failed != fetches {
		t.Errorf("%d fetches, %d failure lines:\n%s", fetches, failed, out)
	}
	if n := strings.Count(out, "keys not fetched yet"); n != 1 {
		t.Errorf("%d 'not fetched yet' lines, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "next_attempt_in=") || strings.Contains(out, "next_attempt_in=0s") || strings.Contains(out, "000000000") {
		t.Errorf("next attempt not a readable duration:\n%s", out)
	}
}
