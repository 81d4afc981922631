package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cognitojwt/cognitojwt/internal/resp"
	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// RevocationConfig is the revocation: block: a Redis store shared with the
// other instances and with `cognitojwt revoke`.
//
//	revocation:
//	  store: redis://127.0.0.1:6379/0   # required; rediss:// for TLS
//	  on_unavailable: deny              # deny (503, the default) or allow
//
// Every field can change on reload; a new store is loaded before the
// reload takes effect (up to 2 s).
type RevocationConfig struct {
	// Store is redis://[user:password@]host:port/db or rediss://.
	Store string `yaml:"store"`
	// OnUnavailable is "deny" (the default: while the store cannot be
	// vouched for, tokens get 503 with Retry-After) or "allow" (answer
	// from the revocations already held).
	OnUnavailable string `yaml:"on_unavailable"`
	// Prefix of the Redis names. Default "cognitojwt:revocation", as the
	// revoke command's --prefix.
	Prefix string `yaml:"prefix"`
	// Limit bounds the entries held in memory. Default 1000000; over it,
	// every token gets 503 (never a dropped revocation).
	Limit int `yaml:"limit"`
	// ResyncInterval is how often the whole set is reloaded. Default 30s.
	ResyncInterval Duration `yaml:"resync_interval"`
}

// There is no max_lifetime: the gateway only reads entries, and every
// entry carries the expiry its writer gave it (cognitojwt revoke
// --max-lifetime), which a reader must not shorten.
var revocationFields = map[string]bool{"store": true, "on_unavailable": true, "prefix": true, "limit": true, "resync_interval": true}

// UnmarshalYAML reads and validates the block, refusing unknown fields (a
// node's Decode does not inherit the file's KnownFields).
func (rc *RevocationConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: revocation must be a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !revocationFields[k.Value] {
			return fmt.Errorf("line %d: field %s not found in revocation", k.Line, k.Value)
		}
	}
	type plain RevocationConfig
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*rc = RevocationConfig(p)
	if err := rc.validate(); err != nil {
		return fmt.Errorf("line %d: revocation: %w", n.Line, err)
	}
	return nil
}

func (rc *RevocationConfig) validate() error {
	if rc.Store == "" {
		return errors.New("store is required, such as redis://127.0.0.1:6379/0")
	}
	if _, err := resp.ParseURL(rc.Store); err != nil {
		return err
	}
	switch rc.OnUnavailable {
	case "":
		rc.OnUnavailable = "deny"
	case "deny", "allow":
	default:
		return fmt.Errorf("on_unavailable %q: want deny or allow", rc.OnUnavailable)
	}
	if rc.Prefix == "" {
		rc.Prefix = revsync.DefaultPrefix
	} else if strings.ContainsAny(rc.Prefix, " \t\r\n") {
		return fmt.Errorf("prefix %q has white space", rc.Prefix)
	}
	if rc.Limit < 0 {
		return fmt.Errorf("limit %d is negative", rc.Limit)
	}
	if d := time.Duration(rc.ResyncInterval); d != 0 && d < time.Second {
		return fmt.Errorf("resync_interval %v: want at least 1s", d)
	}
	return nil
}

func (rc *RevocationConfig) mode() revsync.Mode {
	if rc.OnUnavailable == "allow" {
		return revsync.Allow
	}
	return revsync.Deny
}

// key is what a running store is reused for across reloads: everything
// but on_unavailable, which changes at once.
func (rc *RevocationConfig) key() string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d", rc.Store, rc.Prefix, rc.Limit, rc.ResyncInterval)
}

// revStore is one running mirror of the store.
type revStore struct {
	key string
	cl  *resp.Client
	m   *revsync.Mirror
}

func (s *revStore) close() {
	s.m.Close()
	s.cl.Close()
}

// revocations holds the gateway's running stores: the one the current
// configuration uses, and one a reload is building.
type revocations struct {
	mu     sync.Mutex
	stores map[string]*revStore
	closed bool
}

// revocationChecker returns the revocation checker for cfg (nil without a
// revocation block) and the store it runs on.
func (g *Gateway) revocationChecker(cfg *Config) (revocation.Checker, *revStore, error) {
	rc := cfg.Revocation
	if rc == nil {
		return nil, nil, nil
	}
	r := &g.rev
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, nil, errors.New("gateway closed")
	}
	k := rc.key()
	s := r.stores[k]
	fresh := s == nil
	if fresh {
		opts, err := resp.ParseURL(rc.Store)
		if err != nil {
			r.mu.Unlock()
			return nil, nil, err
		}
		cl := resp.New(opts)
		s = &revStore{key: k, cl: cl, m: revsync.Start(cl, revsync.Options{
			Prefix:         rc.Prefix,
			OnUnavailable:  rc.mode(),
			Memory:         revocation.MemoryOptions{Limit: rc.Limit},
			ResyncInterval: time.Duration(rc.ResyncInterval),
			Observe:        g.metrics.rev.observe(g.log),
		})}
		if r.stores == nil {
			r.stores = map[string]*revStore{}
		}
		r.stores[k] = s
	}
	r.mu.Unlock()
	g.metrics.rev.enabled.Store(true)
	s.m.SetMode(rc.mode())
	if fresh && g.state.Load() != nil {
		// A reload: load the new store before it takes effect, so that
		// the switch costs no request a 503.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.m.WaitReady(ctx)
		cancel()
	}
	return &revChecker{m: s.m, metrics: &g.metrics.rev}, s, nil
}

// adopt closes every store but keep (nil: all), once a configuration that
// uses keep is in effect.
func (r *revocations) adopt(keep *revStore) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, s := range r.stores {
		if s != keep {
			s.close()
			delete(r.stores, k)
		}
	}
}

// Close stops the gateway's revocation store connections.
func (g *Gateway) Close() error {
	g.rev.mu.Lock()
	g.rev.closed = true
	g.rev.mu.Unlock()
	g.rev.adopt(nil)
	return nil
}

// revocationReady is the store's part of /readyz: nil without a store or
// in step with it; in allow mode an outage is reported but not fatal.
func (g *Gateway) revocationReady() (fatal bool, err error) {
	st := g.state.Load()
	if st == nil || st.rev == nil {
		return false, nil
	}
	if err := st.rev.m.Ready(); err != nil {
		// Over the local limit every token is refused in either mode.
		return st.cfg.Revocation.mode() == revsync.Deny || st.rev.m.Overflow(), err
	}
	return false, nil
}

// revChecker is the verifiers' revocation.Checker: the mirror, counted.
type revChecker struct {
	m       *revsync.Mirror
	metrics *revocationMetrics
}

func (c *revChecker) Check(ctx context.Context, t revocation.Token) error {
	err := c.m.Check(ctx, t)
	c.metrics.checks.Add(1)
	switch {
	case err == nil:
	case errors.Is(err, revocation.ErrRevoked):
		c.metrics.revoked.Add(1)
	default:
		c.metrics.unavailable.Add(1)
	}
	return err
}

// revocationMetrics are the revocation series of /metrics.
type revocationMetrics struct {
	checks, revoked, unavailable, storeErrors atomic.Uint64
	enabled                                   atomic.Bool // a revocation block was ever configured
	up                                        atomic.Int64
	entries                                   atomic.Int64
	lagOnce                                   sync.Once
	lag                                       histogram
}

func (m *revocationMetrics) lagHist() *histogram {
	m.lagOnce.Do(func() { m.lag = newHistogram([]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}) })
	return &m.lag
}

// observe returns the mirror's event hook: metrics, and a log line on
// every change of state.
func (m *revocationMetrics) observe(log *slog.Logger) func(revsync.Event) {
	return func(e revsync.Event) {
		switch e.Kind {
		case revsync.EventApplied:
			m.lagHist().observe(max(e.Lag, 0))
		case revsync.EventResync:
			m.entries.Store(int64(e.Entries))
		case revsync.EventUp:
			m.up.Store(1)
			log.Info("revocation store in step")
		case revsync.EventDown:
			m.up.Store(0)
			m.storeErrors.Add(1)
			log.Warn("revocation store unavailable", "error", e.Err.Error())
		case revsync.EventError:
			m.storeErrors.Add(1)
			log.Warn("revocation store error", "error", e.Err.Error())
		}
	}
}

func (m *revocationMetrics) write(w io.Writer) {
	if !m.enabled.Load() {
		return
	}
	for _, c := range []struct {
		name, help, typ string
		v               uint64
	}{
		{"cognitojwt_revocation_checks_total", "Tokens checked against the revocation store.", "counter", m.checks.Load()},
		{"cognitojwt_revocation_hits_total", "Tokens refused as revoked.", "counter", m.revoked.Load()},
		{"cognitojwt_revocation_unavailable_total", "Tokens answered 503 because the revocation store could not be vouched for.", "counter", m.unavailable.Load()},
		{"cognitojwt_revocation_store_errors_total", "Revocation store failures: lost connections, failed reloads, unreadable entries.", "counter", m.storeErrors.Load()},
		{"cognitojwt_revocation_store_up", "1 while the local copy is in step with the revocation store.", "gauge", uint64(m.up.Load())},
		{"cognitojwt_revocation_entries", "Revocations held in memory at the last reload.", "gauge", uint64(m.entries.Load())},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", c.name, c.help, c.name, c.typ, c.name, c.v)
	}
	fmt.Fprintln(w, "# HELP cognitojwt_revocation_propagation_seconds From a revocation's publication on one instance to its application on this one.")
	fmt.Fprintln(w, "# TYPE cognitojwt_revocation_propagation_seconds histogram")
	m.lagHist().write(w, "cognitojwt_revocation_propagation_seconds")
}
