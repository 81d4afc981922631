// Package safehttp builds the HTTP clients that fetch trust anchors (JWKS
// documents, discovery documents, ALB keys), and quotes untrusted text for
// error messages. jwks, oidc and alb share it so that the rules are the
// same everywhere: bounded connects, proxies from the environment, and
// redirects only to the same origin.
package safehttp

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxRedirects bounds same-origin redirects: a moved path is common, a
// chain of more is a misconfiguration or a loop.
const MaxRedirects = 3

// ErrCrossOrigin is returned for a redirect to another scheme, host or port.
var ErrCrossOrigin = errors.New("redirect to another origin refused")

// NewClient returns the client to fetch with. A caller's client is copied,
// never modified, and gets the same-origin redirect policy on top of its
// own. Without one: a clone of http.DefaultTransport (so proxies come from
// the environment), connectTimeout on the TCP connect and the TLS
// handshake, a 64 KiB response-header cap, and no idle connections kept
// between fetches, which happen rarely (a pooled connection would only
// keep a socket and goroutines alive).
func NewClient(c *http.Client, connectTimeout time.Duration) *http.Client {
	if c != nil {
		cp := *c
		cp.CheckRedirect = SameOrigin(c.CheckRedirect)
		return &cp
	}
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{ForceAttemptHTTP2: true}
	}
	t.Proxy = http.ProxyFromEnvironment
	t.DialContext = (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = connectTimeout
	t.MaxResponseHeaderBytes = 64 << 10
	t.DisableKeepAlives = true
	return &http.Client{Transport: t, CheckRedirect: SameOrigin(nil)}
}

// SameOrigin returns a redirect policy that follows at most MaxRedirects
// redirects, each to the same scheme, host and port as the first request,
// then defers to next when it is not nil. A fetched key or discovery
// document is a trust anchor: a redirect elsewhere (an open redirect on
// the issuer's host, a hijacked path) would let another server choose it.
func SameOrigin(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", MaxRedirects)
		}
		a, b := req.URL, via[0].URL
		if !strings.EqualFold(a.Scheme, b.Scheme) || !strings.EqualFold(a.Hostname(), b.Hostname()) || port(a) != port(b) {
			return ErrCrossOrigin
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// Quote returns s quoted for an error message or a log field: cut to max
// bytes on a rune boundary ("..." marks the cut), with every non-printable
// and non-ASCII rune escaped, so that hostile input cannot inject newlines
// or megabytes into logs.
func Quote(s string, max int) string {
	cut := false
	if len(s) > max {
		s = s[:max]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		cut = true
	}
	q := strconv.QuoteToASCII(s)
	if cut {
		q += "..."
	}
	return q
}
