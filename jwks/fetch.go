package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// fetched is the outcome of one successful request.
type fetched struct {
	set         *Set // nil when notModified
	skipped     []SkippedKey
	notModified bool
	etag        string
	ttl         time.Duration
}

// fetch sends one GET for the JWKS, with If-None-Match when etag is set,
// and parses the reply. ctx carries the total timeout.
func (r *Remote) fetch(ctx context.Context, etag string) (fetched, error) {
	fail := func(status int, err error) (fetched, error) {
		return fetched{}, &FetchError{URL: r.url, StatusCode: status, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return fail(0, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fail(0, r.transportError(ctx, err))
	}
	defer resp.Body.Close()

	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		if etag == "" {
			return fail(resp.StatusCode, errors.New("status 304 to a request without If-None-Match"))
		}
		return fetched{notModified: true, etag: etagOf(resp.Header, etag), ttl: r.ttlFrom(resp.Header)}, nil
	default:
		// Read a little so that a short error page does not cost the
		// connection; never the whole of a hostile body.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return fail(resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode))
	}

	limit := r.maxBytes
	if resp.ContentLength > limit {
		return fail(resp.StatusCode, fmt.Errorf("response of %d bytes exceeds the %d-byte limit", resp.ContentLength, limit))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fail(resp.StatusCode, r.transportError(ctx, err))
	}
	if int64(len(body)) > limit {
		return fail(resp.StatusCode, fmt.Errorf("response exceeds the %d-byte limit", limit))
	}
	set, skipped, err := parseSet(body, r.maxKeys)
	if err != nil {
		return fail(resp.StatusCode, err)
	}
	return fetched{set: set, skipped: skipped, etag: etagOf(resp.Header, ""), ttl: r.ttlFrom(resp.Header)}, nil
}

// transportError strips the *url.Error wrapper (which repeats the URL) and
// names our own timeout.
func (r *Remote) transportError(ctx context.Context, err error) error {
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %s: %w", r.timeout, context.DeadlineExceeded)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// etagOf returns the response's ETag, or def when it has none or one too
// long to be an honest validator.
func etagOf(h http.Header, def string) string {
	if v := h.Get("ETag"); v != "" && len(v) <= 256 {
		return v
	}
	return def
}

// ttlFrom returns how long a response is fresh: Cache-Control max-age
// minus Age when the server says, else the configured TTL, always within
// [MinTTL, MaxTTL] so that a server can neither make us fetch constantly
// nor keep a removed key trusted for days.
func (r *Remote) ttlFrom(h http.Header) time.Duration {
	ttl, ok := maxAge(h.Values("Cache-Control"))
	if !ok {
		return r.ttl
	}
	if age, ok := seconds(strings.TrimSpace(h.Get("Age"))); ok {
		ttl -= age
	}
	return min(max(ttl, r.minTTL), r.maxTTL)
}

// maxAge reads the freshness lifetime from Cache-Control (RFC 9111
// §5.2.2). no-store and no-cache, and an invalid max-age, mean "stale at
// once"; when max-age appears more than once the smallest wins.
func maxAge(values []string) (time.Duration, bool) {
	var (
		best  time.Duration
		found bool
	)
	for _, v := range values {
		for _, directive := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(directive), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				val = strings.Trim(strings.TrimSpace(val), `"`)
				d, ok := seconds(val)
				if !ok {
					return 0, true
				}
				if !found || d < best {
					best, found = d, true
				}
			}
		}
	}
	return best, found
}

// seconds parses delta-seconds: ASCII digits only; huge values saturate
// at about 30 years rather than overflow.
func seconds(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	const limit = 1 << 30 // seconds, ~34 years
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < limit {
			n = n*10 + int(c-'0')
		}
	}
	return time.Duration(min(n, limit)) * time.Second, true
}
