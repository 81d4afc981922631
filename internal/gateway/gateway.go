package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/http/pprof"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/cognitojwt/cognitojwt/jwks"
)

// Gateway serves the routes of a Config. Its configuration can be
// replaced while it serves (Reload): requests in flight finish with the
// configuration they started with.
type Gateway struct {
	log     *slog.Logger
	metrics *metrics
	state   atomic.Pointer[state]
	ready   atomic.Bool
}

// state is everything built from one Config.
type state struct {
	cfg       *Config
	verifier  *verifier
	handler   http.Handler
	transport *http.Transport // to the upstream; nil without one
}

// New builds a gateway for cfg, which must have passed Parse or Load.
func New(cfg *Config, log *slog.Logger) (*Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{log: log, metrics: newMetrics()}
	st, err := g.build(cfg)
	if err != nil {
		return nil, err
	}
	g.state.Store(st)
	return g, nil
}

// Reload replaces the configuration. An invalid one is refused and the
// current one stays; listener addresses and TLS cannot change.
func (g *Gateway) Reload(ctx context.Context, cfg *Config) error {
	old := g.state.Load().cfg
	if cfg.Listen != old.Listen || cfg.AdminListen != old.AdminListen || !sameTLS(cfg.TLS, old.TLS) ||
		cfg.MaxHeaderBytes != old.MaxHeaderBytes || !sameServerTimeouts(cfg.Timeouts, old.Timeouts) || cfg.Pprof != old.Pprof {
		g.metrics.reloadFailures.Add(1)
		return errors.New("listen, admin_listen, tls, max_header_bytes, pprof and the server timeouts (all but upstream) cannot change on reload: restart instead")
	}
	st, err := g.build(cfg)
	if err != nil {
		g.metrics.reloadFailures.Add(1)
		return err
	}
	// Fetch the new key sets before switching, so the switch costs no
	// request a fetch; a failure here is not fatal (they fetch on demand).
	if err := st.verifier.Hydrate(ctx); err != nil {
		g.log.Warn("keys not fetched before reload", "error", err)
	}
	prev := g.state.Swap(st)
	// Requests in flight keep their connections; idle ones to the old
	// transport would otherwise linger until their idle timeout.
	if prev.transport != nil {
		prev.transport.CloseIdleConnections()
	}
	g.metrics.reloads.Add(1)
	return nil
}

func sameTLS(a, b *TLSConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameServerTimeouts(a, b Timeouts) bool {
	a.Upstream, b.Upstream = 0, 0 // applied on reload: it belongs to the upstream transport
	return a == b
}

// Hydrate fetches every key set; /readyz reports ready once it succeeds.
func (g *Gateway) Hydrate(ctx context.Context) error {
	err := g.state.Load().verifier.Hydrate(ctx)
	if err == nil {
		g.ready.Store(true)
	}
	return err
}

// ServeHTTP serves the main listener.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !canonicalPath(r.URL) {
		http.Error(w, "non-canonical request path", http.StatusBadRequest)
		return
	}
	g.state.Load().handler.ServeHTTP(w, r)
}

// canonicalPath reports whether u's path names the same resource to every
// upstream: no dot segment, also percent-encoded or before a ";"
// parameter (Tomcat), no backslash, no encoded slash or backslash. Routes
// match the decoded path, which upstreams may resolve differently.
func canonicalPath(u *url.URL) bool {
	if strings.ContainsRune(u.Path, '\\') {
		return false
	}
	if raw := strings.ToLower(u.EscapedPath()); strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		seg, _, _ = strings.Cut(seg, ";")
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// AdminHandler serves /healthz (the process is alive), /readyz (keys
// fetched: 200, else 503) and /metrics (Prometheus text format).
func (g *Gateway) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !g.ready.Load() {
			http.Error(w, "keys not fetched yet", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", g.metrics)
	if g.state.Load().cfg.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// build compiles cfg into a handler.
func (g *Gateway) build(cfg *Config) (*state, error) {
	v, err := newVerifier(cfg, func(e jwks.Event) { g.metrics.jwksEvent(e.Kind.String()) })
	if err != nil {
		return nil, err
	}
	sources, err := parseSources(cfg.Sources)
	if err != nil {
		return nil, err
	}
	auth, err := httpauth.New(v, &httpauth.Options{
		Realm:   cfg.Realm,
		Sources: sources,
		Logger:  g.log,
		Observe: func(r *http.Request, e httpauth.Event) {
			g.metrics.verify.observe(e.Duration)
			route := r.Pattern
			if route == "" {
				route = "(default)"
			}
			g.metrics.request(route, string(e.Reason))
		},
	})
	if err != nil {
		return nil, err
	}

	ident := newIdentityHeaders(cfg)
	var proxy http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no upstream configured", http.StatusBadGateway)
	})
	var transport *http.Transport
	if cfg.Upstream != "" {
		proxy, transport, err = g.newProxy(cfg, ident, sources)
		if err != nil {
			return nil, err
		}
	}
	// The forward-auth answer: the checks passed, here is who it is.
	allow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := httpauth.ClaimsFrom[*identity](r.Context())
		ident.set(w.Header(), id, g.log)
		w.WriteHeader(http.StatusOK)
	})

	// Two muxes with the same routes: one ends in the proxy, one in the
	// forward-auth answer.
	proxyMux, authMux := http.NewServeMux(), http.NewServeMux()
	hasRoot := false
	for _, rc := range cfg.Routes {
		mw, err := routeMiddleware(auth, rc)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", rc.Pattern, err)
		}
		proxyMux.Handle(rc.Pattern, mw(proxy))
		authMux.Handle(rc.Pattern, mw(allow))
		hasRoot = hasRoot || rc.Pattern == "/"
	}
	if !hasRoot {
		var def func(http.Handler) http.Handler
		if cfg.Default == "authenticate" {
			def = auth.Require()
		} else {
			def = func(http.Handler) http.Handler { return http.HandlerFunc(g.deny) }
		}
		proxyMux.Handle("/", def(proxy))
		authMux.Handle("/", def(allow))
	}

	main := http.Handler(proxyMux)
	if cfg.ForwardAuthPath != "" {
		fa := forwardAuth(authMux)
		if cfg.Upstream == "" {
			main = fa // everything is a check
		} else {
			root := http.NewServeMux()
			root.Handle(cfg.ForwardAuthPath, fa)
			root.Handle("/", proxyMux)
			main = root
		}
	}
	return &state{cfg: cfg, verifier: v, handler: g.accessLog(main), transport: transport}, nil
}

// deny answers a request that no route allows: 403, the same for every
// caller, so the response says nothing about which routes exist.
func (g *Gateway) deny(w http.ResponseWriter, r *http.Request) {
	g.metrics.request("(default)", "denied")
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	w.Write([]byte(`{"type":"about:blank","title":"Forbidden","status":403,"detail":"no route allows this request"}` + "\n"))
}

// routeMiddleware turns a route's requirements into httpauth middleware.
func routeMiddleware(auth *httpauth.Auth[*identity], rc RouteConfig) (mw func(http.Handler) http.Handler, err error) {
	if rc.Anonymous {
		return auth.Optional(), nil
	}
	var reqs []httpauth.Requirement
	if len(rc.Scopes) > 0 {
		if rc.AllScopes {
			reqs = append(reqs, httpauth.AllScopes(rc.Scopes...))
		} else {
			reqs = append(reqs, httpauth.Scope(rc.Scopes...))
		}
	}
	if len(rc.Groups) > 0 {
		if rc.AllGroups {
			reqs = append(reqs, httpauth.AllGroups(rc.Groups...))
		} else {
			reqs = append(reqs, httpauth.Group(rc.Groups...))
		}
	}
	if rc.TokenUse != "" {
		reqs = append(reqs, httpauth.TokenUse(rc.TokenUse))
	}
	// Require panics on a requirement the claims cannot answer; the
	// identity type answers them all, so a panic here is a bad name.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return auth.Require(reqs...), nil
}

// parseSources reads the configured token sources.
func parseSources(names []string) ([]httpauth.Source, error) {
	out := make([]httpauth.Source, 0, len(names))
	for _, n := range names {
		kind, arg, _ := strings.Cut(n, ":")
		switch {
		case kind == "bearer" && arg == "":
			out = append(out, httpauth.Bearer())
		case kind == "alb" && arg == "":
			out = append(out, httpauth.ALBAccessToken())
		case kind == "header" && arg != "":
			out = append(out, httpauth.Header(arg))
		case kind == "cookie" && arg != "":
			out = append(out, httpauth.Cookie(arg))
		case kind == "query" && arg != "":
			out = append(out, httpauth.Query(arg))
		default:
			return nil, fmt.Errorf("sources: %q: want bearer, alb, header:<name>, cookie:<name> or query:<name>", n)
		}
	}
	return out, nil
}

// identityHeaders sets the configured claim headers, and removes them (and
// the claims header) from what a client sent.
type identityHeaders struct {
	claims []string // claim names, in a fixed order
	names  []string // header names, canonical, parallel to claims
	whole  string   // ClaimsHeader, canonical, or ""
}

func newIdentityHeaders(cfg *Config) *identityHeaders {
	h := &identityHeaders{}
	for claim := range cfg.Headers {
		h.claims = append(h.claims, claim)
	}
	// Sorted, so headers are set in the same order every time.
	for i := 1; i < len(h.claims); i++ {
		for j := i; j > 0 && h.claims[j] < h.claims[j-1]; j-- {
			h.claims[j], h.claims[j-1] = h.claims[j-1], h.claims[j]
		}
	}
	for _, c := range h.claims {
		h.names = append(h.names, http.CanonicalHeaderKey(cfg.Headers[c]))
	}
	if cfg.ClaimsHeader != "" {
		h.whole = http.CanonicalHeaderKey(cfg.ClaimsHeader)
	}
	return h
}

// strip removes every identity header, whoever set it, including the
// spellings with "_" for "-" (X_Auth_Sub): CGI-style servers (PHP, WSGI,
// Rack) read both as HTTP_X_AUTH_SUB, so a client could otherwise pass
// one of its own past the gateway.
func (h *identityHeaders) strip(hdr http.Header) {
	for name := range hdr {
		n := http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
		if n == h.whole || slices.Contains(h.names, n) {
			delete(hdr, name)
		}
	}
}

// set strips, then sets the headers of id (nil: anonymous, none).
func (h *identityHeaders) set(hdr http.Header, id *identity, log *slog.Logger) {
	h.strip(hdr)
	if id == nil {
		return
	}
	for i, claim := range h.claims {
		v, ok := id.Get(claim)
		if !ok {
			continue
		}
		s, err := headerValue(v)
		if err != nil {
			log.Warn("claim not forwarded", "claim", claim, "error", err)
			continue
		}
		hdr.Set(h.names[i], s)
	}
	if h.whole != "" {
		hdr.Set(h.whole, base64.RawURLEncoding.EncodeToString(id.Raw()))
	}
}

// newProxy returns the reverse proxy to the upstream.
func (g *Gateway) newProxy(cfg *Config, ident *identityHeaders, sources []httpauth.Source) (http.Handler, *http.Transport, error) {
	upstream, err := url.Parse(cfg.Upstream)
	if err != nil {
		return nil, nil, err
	}
	transport := &http.Transport{
		Proxy:                 nil, // the upstream is next to us; never via HTTP(S)_PROXY
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: cfg.Timeouts.Upstream.D(30 * time.Second),
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &httputil.ReverseProxy{
		Transport:  transport,
		BufferPool: proxyBuffers,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.SetXForwarded() // incoming X-Forwarded-* were dropped by Rewrite
			id, _ := httpauth.ClaimsFrom[*identity](pr.In.Context())
			ident.set(pr.Out.Header, id, g.log)
			if cfg.StripToken {
				stripToken(pr.Out, sources)
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.metrics.upstreamErrors.Add(1)
			status := http.StatusBadGateway
			var ne net.Error
			if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				status = http.StatusGatewayTimeout
			}
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				return // the client went away; nobody to answer
			}
			g.log.Warn("upstream failed", "status", status, "error", err.Error())
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status})
		},
	}, transport, nil
}

// proxyBuffers recycles the 32 KiB copy buffers of the reverse proxy,
// which would otherwise be allocated for every request.
var proxyBuffers = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// stripToken removes the token's carriers from the upstream request.
func stripToken(r *http.Request, sources []httpauth.Source) {
	for _, s := range sources {
		kind, name, _ := strings.Cut(s.String(), ":")
		switch kind {
		case "bearer":
			r.Header.Del("Authorization")
		case "header":
			r.Header.Del(name)
		case "cookie":
			cookies := r.Cookies()
			r.Header.Del("Cookie")
			for _, c := range cookies {
				if c.Name != name {
					r.AddCookie(c)
				}
			}
		case "query":
			q := r.URL.Query()
			q.Del(name)
			r.URL.RawQuery = q.Encode()
		}
	}
}

// forwardAuth answers nginx auth_request and Traefik ForwardAuth: it
// rebuilds the original request from the standard headers and runs it
// through the routes. nginx sends the original URI in a header of the
// operator's choice; the conventional X-Original-URI and X-Original-Method
// are read, then Traefik's X-Forwarded-Uri and X-Forwarded-Method.
func forwardAuth(routes http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A proxy sets one pair and passes the client's own headers on
		// (Traefik forwards them all unless authRequestHeaders filters):
		// when both pairs are present and disagree, one is the client's,
		// and nobody can tell which.
		for _, p := range [...][2]string{{"X-Original-Method", "X-Forwarded-Method"}, {"X-Original-URI", "X-Forwarded-Uri"}, {"X-Original-Host", "X-Forwarded-Host"}} {
			a, b := r.Header.Values(p[0]), r.Header.Values(p[1])
			if len(a) > 1 || len(b) > 1 || (len(a) == 1 && len(b) == 1 && a[0] != b[0]) {
				http.Error(w, "bad forward-auth request: "+p[0]+" and "+p[1]+" disagree", http.StatusBadRequest)
				return
			}
		}
		// Both are required: guessing "GET /" for a proxy that sends
		// neither would check a request other than the one it asks about.
		method := first(r.Header.Get("X-Original-Method"), r.Header.Get("X-Forwarded-Method"), "")
		uri := first(r.Header.Get("X-Original-URI"), r.Header.Get("X-Forwarded-Uri"), "")
		u, err := url.ParseRequestURI(uri)
		if err != nil || !validMethod(method) || !canonicalPath(u) {
			http.Error(w, "bad forward-auth request", http.StatusBadRequest)
			return
		}
		orig := r.Clone(r.Context())
		orig.Method = method
		orig.URL = u
		orig.RequestURI = uri
		orig.Pattern = ""
		if host := first(r.Header.Get("X-Original-Host"), r.Header.Get("X-Forwarded-Host"), ""); host != "" {
			orig.Host = host
		}
		routes.ServeHTTP(w, orig)
	})
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func validMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
