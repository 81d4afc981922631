package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
)

// LogFormats are the values of --log-format.
var LogFormats = []string{"text", "json"}

// NewLogger returns the gateway's logger: slog's text handler ("text",
// durations as "1.5s") or JSON handler ("json", durations also as
// strings such as "1.5s", never nanosecond integers), at level, with
// repeated identical warnings rate-limited (see [RateLimit]). It refuses
// any other format.
func NewLogger(w io.Writer, format string, level slog.Leveler) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: readableDurations}
	var h slog.Handler
	switch format {
	case "text", "":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return slog.New(RateLimit(h, time.Minute, time.Now)), nil
}

// readableDurations writes durations as Go duration strings, rounded to
// a readable precision: an operator reads "retry_in=4s", not 4000000000.
func readableDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		d := a.Value.Duration()
		switch {
		case d >= time.Second:
			d = d.Round(time.Millisecond)
		case d >= time.Millisecond:
			d = d.Round(time.Microsecond)
		}
		return slog.String(a.Key, d.String())
	}
	return a
}

// RateLimit wraps h so that a record at level Warn or above whose level,
// message and attributes equal one already logged within window is
// dropped; the next one after the window carries "repeated", the number
// dropped. Records below Warn pass unchanged (they are per event by
// design: requests, fetches). now is the clock (time.Now outside tests).
//
// It is what keeps an outage from writing the same line every second:
// the first line says what is wrong, and later ones say how often.
func RateLimit(h slog.Handler, window time.Duration, now func() time.Time) slog.Handler {
	return &rateLimited{h: h, window: window, now: now, seen: &seenSet{m: map[string]*seenEntry{}}}
}

type rateLimited struct {
	h      slog.Handler
	window time.Duration
	now    func() time.Time
	seen   *seenSet
	prefix string // the attributes and groups of WithAttrs/WithGroup, for the key
}

type seenSet struct {
	mu sync.Mutex
	m  map[string]*seenEntry
}

type seenEntry struct {
	last    time.Time
	dropped int
}

func (r *rateLimited) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r *rateLimited) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level < slog.LevelWarn {
		return r.h.Handle(ctx, rec)
	}
	var key strings.Builder
	key.WriteString(r.prefix)
	fmt.Fprintf(&key, "\x00%d\x00%s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&key, "\x00%s=%s", a.Key, a.Value)
		return true
	})
	k, now := key.String(), r.now()
	r.seen.mu.Lock()
	e := r.seen.m[k]
	if e != nil && now.Sub(e.last) < r.window {
		e.dropped++
		r.seen.mu.Unlock()
		return nil
	}
	dropped := 0
	if e == nil {
		if len(r.seen.m) >= 1024 { // bounded: forget everything rather than grow
			clear(r.seen.m)
		}
		e = &seenEntry{}
		r.seen.m[k] = e
	}
	dropped, e.dropped, e.last = e.dropped, 0, now
	r.seen.mu.Unlock()
	if dropped > 0 {
		rec = rec.Clone()
		rec.AddAttrs(slog.Int("repeated", dropped))
	}
	return r.h.Handle(ctx, rec)
}

func (r *rateLimited) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.h = r.h.WithAttrs(as)
	for _, a := range as {
		c.prefix += "\x00" + a.String()
	}
	return &c
}

func (r *rateLimited) WithGroup(name string) slog.Handler {
	c := *r
	c.h = r.h.WithGroup(name)
	c.prefix += "\x00group:" + name
	return &c
}

// logKeyEvent logs what an operator acts on: every failed fetch, one line
// per attempt with the wait before the next one (the key set's backoff,
// so the lines thin out as the backoff grows), and at debug level the
// fetches that worked.
func (g *Gateway) logKeyEvent(e jwks.Event) {
	switch e.Kind {
	case jwks.FetchFailed:
		msg := "unknown error"
		if e.Err != nil {
			msg = e.Err.Error()
		}
		g.log.Warn("key fetch failed", "url", e.URL, "trigger", e.Trigger, "error", msg, "next_attempt_in", e.Backoff)
	case jwks.FetchSucceeded:
		g.log.Debug("keys fetched", "url", e.URL, "trigger", e.Trigger, "keys", e.Keys, "duration", e.Duration, "ttl", e.TTL)
	}
}
