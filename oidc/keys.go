package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/safehttp"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// keyResolver finds an issuer's keys: a fixed source, a remote key set, or
// a remote key set found through discovery on first use.
type keyResolver interface {
	key(ctx context.Context, kid string, alg jws.Algorithm) (*jwks.Key, error)
	hydrate(ctx context.Context) error
}

func newKeyResolver(cfg *Config, remotes map[string]*jwks.Remote) (keyResolver, error) {
	if cfg.Keys != nil {
		return sourceKeys{cfg.Keys}, nil
	}
	opts := cfg.KeyOptions
	opts.HTTPClient = cfg.HTTPClient
	opts.AllowInsecureHTTP = cfg.AllowInsecureHTTP
	if opts.Now == nil {
		opts.Now = cfg.Now
	}
	if cfg.JWKSURL != "" {
		r := remotes[cfg.JWKSURL]
		if r == nil {
			var err error
			if r, err = jwks.NewRemote(cfg.JWKSURL, opts); err != nil {
				return nil, err
			}
			remotes[cfg.JWKSURL] = r
		}
		return remoteKeys{r}, nil
	}
	d := &discovery{
		issuer: cfg.Issuer,
		url:    strings.TrimSuffix(cfg.Issuer, "/") + "/.well-known/openid-configuration",
		opts:   opts,
		client: safehttp.NewClient(opts.HTTPClient, jwks.DefaultConnectTimeout),
		now:    cfg.Now,
		lock:   make(chan struct{}, 1),
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

type sourceKeys struct{ src KeySource }

func (s sourceKeys) key(ctx context.Context, kid string, alg jws.Algorithm) (*jwks.Key, error) {
	return s.src.Key(ctx, kid, alg)
}

func (s sourceKeys) hydrate(ctx context.Context) error {
	if h, ok := s.src.(interface{ Hydrate(context.Context) error }); ok {
		return h.Hydrate(ctx)
	}
	return nil
}

type remoteKeys struct{ r *jwks.Remote }

func (r remoteKeys) key(ctx context.Context, kid string, alg jws.Algorithm) (*jwks.Key, error) {
	return r.r.Key(ctx, kid, alg)
}

func (r remoteKeys) hydrate(ctx context.Context) error { return r.r.Hydrate(ctx) }

// Discovery limits: the document is small, and a failing issuer is asked
// again at most once per discoveryRetry.
const (
	maxDiscoveryBytes = 1 << 20
	discoveryTimeout  = 5 * time.Second
	discoveryRetry    = 5 * time.Second
)

// discovery resolves an issuer's jwks_uri from its OpenID Provider
// metadata (OpenID Connect Discovery 1.0 §4) on first use. The document is
// fetched once; its keys are then refreshed by the jwks.Remote.
type discovery struct {
	issuer string
	url    string
	opts   jwks.Options
	client *http.Client // same-origin redirects, bounded connects
	now    func() time.Time

	lock    chan struct{} // one fetch at a time; waiters honour their context
	mu      sync.Mutex    // guards the fields below
	remote  *jwks.Remote
	lastTry time.Time
	lastErr error
}

func (d *discovery) key(ctx context.Context, kid string, alg jws.Algorithm) (*jwks.Key, error) {
	r, err := d.resolve(ctx)
	if err != nil {
		return nil, err
	}
	return r.Key(ctx, kid, alg)
}

func (d *discovery) hydrate(ctx context.Context) error {
	r, err := d.resolve(ctx)
	if err != nil {
		return err
	}
	return r.Hydrate(ctx)
}

func (d *discovery) cached() (*jwks.Remote, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.remote != nil {
		return d.remote, nil
	}
	if d.lastErr != nil && d.now().Sub(d.lastTry) < discoveryRetry {
		return nil, fmt.Errorf("%w: discovery for %s failed: %w", ErrKeysUnavailable, clip(d.issuer), d.lastErr)
	}
	return nil, nil
}

func (d *discovery) resolve(ctx context.Context) (*jwks.Remote, error) {
	if r, err := d.cached(); r != nil || err != nil {
		return r, err
	}
	select {
	case d.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for discovery: %w", ErrKeysUnavailable, ctx.Err())
	}
	defer func() { <-d.lock }()
	// Another caller may have finished while this one waited.
	if r, err := d.cached(); r != nil || err != nil {
		return r, err
	}
	r, err := d.fetch(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lastTry = d.now()
	if err != nil {
		d.lastErr = err
		return nil, fmt.Errorf("%w: discovery for %s failed: %w", ErrKeysUnavailable, clip(d.issuer), err)
	}
	d.remote, d.lastErr = r, nil
	return r, nil
}

func (d *discovery) fetch(ctx context.Context) (*jwks.Remote, error) {
	timeout := d.opts.Timeout
	if timeout <= 0 {
		timeout = discoveryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", d.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxDiscoveryBytes {
		return nil, fmt.Errorf("GET %s: document larger than %d bytes", d.url, maxDiscoveryBytes)
	}
	// Members are read by exact name (a map, unlike a struct, does not
	// match names case-insensitively).
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("GET %s: invalid JSON: %w", d.url, err)
	}
	var iss, jwksURI string
	if err := json.Unmarshal(doc["issuer"], &iss); err != nil || iss == "" {
		return nil, fmt.Errorf("GET %s: no issuer string", d.url)
	}
	// OpenID Connect Discovery §4.3: the issuer must be identical, or an
	// issuer could publish keys for another's tokens.
	if iss != d.issuer {
		return nil, fmt.Errorf("GET %s: document issuer %q is not %q", d.url, clip(iss), clip(d.issuer))
	}
	if err := json.Unmarshal(doc["jwks_uri"], &jwksURI); err != nil || jwksURI == "" {
		return nil, fmt.Errorf("GET %s: no jwks_uri string", d.url)
	}
	if err := CheckURL("jwks_uri", jwksURI, d.opts.AllowInsecureHTTP); err != nil {
		return nil, err
	}
	return jwks.NewRemote(jwksURI, d.opts)
}
