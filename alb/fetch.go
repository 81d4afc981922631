package alb

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// maxRedirects bounds same-origin redirects.
const maxRedirects = 3

var errCrossOrigin = errors.New("redirect to another origin refused")

// newHTTPClient returns the client key fetches use. A caller's client is
// copied, never modified, and gets the redirect policy on top of its own.
func newHTTPClient(c *http.Client) *http.Client {
	if c != nil {
		cp := *c
		cp.CheckRedirect = sameOriginRedirects(c.CheckRedirect)
		return &cp
	}
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{ForceAttemptHTTP2: true}
	}
	t.Proxy = http.ProxyFromEnvironment
	t.DialContext = (&net.Dialer{Timeout: FetchTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = FetchTimeout
	t.MaxResponseHeaderBytes = 64 << 10
	// Keys are fetched once per kid, for good: a pooled idle connection
	// would only keep a socket and goroutines alive between fetches.
	t.DisableKeepAlives = true
	return &http.Client{Transport: t, CheckRedirect: sameOriginRedirects(nil)}
}

// sameOriginRedirects follows a redirect only to the same scheme, host and
// port: the key endpoint is a trust anchor, and a redirect elsewhere (an
// open redirect, a hijacked path) would let another server choose the key.
func sameOriginRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		a, b := req.URL, via[0].URL
		if !strings.EqualFold(a.Scheme, b.Scheme) || !strings.EqualFold(a.Hostname(), b.Hostname()) || portOf(a) != portOf(b) {
			return errCrossOrigin
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// fetchKey fetches and parses the key for kid. A status that says the
// endpoint has no such key is ErrKeyNotFound; every other failure is
// ErrKeysUnavailable wrapping a *jwks.FetchError.
func (s *keyStore) fetchKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	u := s.base + "/" + url.PathEscape(kid)
	fail := func(status int, err error) error {
		fe := &jwks.FetchError{URL: u, StatusCode: status, Err: err}
		return &keyError{msg: "alb: keys unavailable: fetch " + clip(u) + ": " + err.Error(), kind: jwks.ErrKeysUnavailable, cause: fe}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fail(0, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("timed out after %s: %w", FetchTimeout, context.DeadlineExceeded)
		} else if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fail(0, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		// The endpoint answers 403 or 404 for a key it does not have.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, &keyError{msg: fmt.Sprintf("alb: key %s not found: status %d", quote(kid), resp.StatusCode), kind: jwks.ErrKeyNotFound}
	default:
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return nil, fail(resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode))
	}
	if resp.ContentLength > MaxKeySize {
		return nil, fail(resp.StatusCode, fmt.Errorf("response of %d bytes exceeds the %d-byte limit", resp.ContentLength, MaxKeySize))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxKeySize+1))
	if err != nil {
		return nil, fail(resp.StatusCode, err)
	}
	if len(body) > MaxKeySize {
		return nil, fail(resp.StatusCode, fmt.Errorf("response exceeds the %d-byte limit", MaxKeySize))
	}
	key, err := parseKey(body)
	if err != nil {
		return nil, fail(resp.StatusCode, err)
	}
	return key, nil
}

// parseKey reads one PEM "PUBLIC KEY" block holding a P-256 key, with
// nothing but white space around it.
func parseKey(doc []byte) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode(doc)
	if block == nil || block.Type != "PUBLIC KEY" || len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: not a PEM PUBLIC KEY", jws.ErrInvalidKey)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: data after the PEM block", jws.ErrInvalidKey)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", jws.ErrInvalidKey, err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not an ECDSA key", jws.ErrInvalidKey, pub)
	}
	if err := jws.CheckKey(jws.ES256, key); err != nil {
		return nil, err
	}
	return key, nil
}
