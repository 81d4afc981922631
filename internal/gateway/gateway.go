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
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// Gateway serves the routes of a Config. Its configuration can be
// replaced while it serves (Reload): requests in flight finish with the
// configuration they started with.
type Gateway struct {
	log      *slog.Logger
	metrics  *metrics
	state    atomic.Pointer[state]
	inFlight chan struct{} // a slot per request served; nil: no cap
	rev      revocations   // the revocation stores (revocation.go)
}

// state is everything built from one Config.
type state struct {
	cfg       *Config
	verifier  *verifier
	handler   http.Handler
	transport *http.Transport // to the upstream; nil without one
	// ready is set once every key set of this configuration is fetched:
	// /readyz answers for the configuration that serves, never for one
	// that was replaced.
	ready atomic.Bool
	rev   *revStore // the revocation store; nil without one
}

// New builds a gateway for cfg, which must have passed Parse or Load.
func New(cfg *Config, log *slog.Logger) (*Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{log: log, metrics: newMetrics()}
	if n := cfg.Limits.MaxInFlight; n > 0 {
		g.inFlight = make(chan struct{}, n)
	}
	st, err := g.build(cfg)
	if err != nil {
		return nil, err
	}
	g.state.Store(st)
	g.rev.adopt(st.rev)
	return g, nil
}

// Reload replaces the configuration, only once the new one has built and
// fetched every key set within timeouts.reload_keys (default 10s): a
// configuration that could verify nothing never replaces one that can,
// so /readyz stays true to what serves. Otherwise the current one stays
// and the error says why; listener addresses, TLS and limits cannot
// change.
func (g *Gateway) Reload(ctx context.Context, cfg *Config) error {
	old := g.state.Load().cfg
	if cfg.Listen != old.Listen || cfg.AdminListen != old.AdminListen || !sameTLS(cfg.TLS, old.TLS) ||
		cfg.MaxHeaderBytes != old.MaxHeaderBytes || !sameServerTimeouts(cfg.Timeouts, old.Timeouts) || cfg.Limits != old.Limits || cfg.Pprof != old.Pprof {
		g.metrics.reloadFailures.Add(1)
		return errors.New("listen, admin_listen, tls, max_header_bytes, limits, pprof and the server timeouts (all but upstream and reload_keys) cannot change on reload: restart instead")
	}
	st, err := g.build(cfg)
	if err != nil {
		g.metrics.reloadFailures.Add(1)
		return err
	}
	hctx, cancel := context.WithTimeout(ctx, cfg.Timeouts.ReloadKeys.D(10*time.Second))
	defer cancel()
	if err := st.verifier.Hydrate(hctx); err != nil {
		g.metrics.reloadFailures.Add(1)
		return fmt.Errorf("the keys of the new configuration could not be fetched: %w", err)
	}
	st.ready.Store(true)
	prev := g.state.Swap(st)
	g.rev.adopt(st.rev)
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
	a.ReloadKeys, b.ReloadKeys = 0, 0
	return a == b
}

// Hydrate fetches every key set of the current configuration; /readyz
// reports ready once it succeeds.
func (g *Gateway) Hydrate(ctx context.Context) error {
	st := g.state.Load()
	err := st.verifier.Hydrate(ctx)
	if err == nil {
		st.ready.Store(true)
	}
	return err
}

// Ready reports whether the configuration that serves has fetched its
// keys.
func (g *Gateway) Ready() bool { return g.state.Load().ready.Load() }

// ServeHTTP serves the main listener: at most limits.max_in_flight
// requests at once (then 503 with Retry-After), each request body read at
// limits.min_body_rate or faster.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.inFlight != nil {
		select {
		case g.inFlight <- struct{}{}:
			defer func() { <-g.inFlight }()
		default:
			g.metrics.request("(gateway)", "overloaded")
			w.Header().Set("Retry-After", "1")
			problem(w, http.StatusServiceUnavailable, "too many requests in flight")
			return
		}
	}
	st := g.state.Load()
	if r.Body != nil && r.Body != http.NoBody && st.cfg.Limits.MinBodyRate > 0 {
		r = withBodyRate(w, r, st.cfg.Limits.MinBodyRate, st.cfg.Limits.BodyGrace.D(10*time.Second))
	}
	st.handler.ServeHTTP(w, r)
}

// AdminHandler serves /healthz (the process is alive), /readyz (keys
// fetched: 200, else 503) and /metrics (Prometheus text format).
func (g *Gateway) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !g.Ready() {
			http.Error(w, "keys not fetched yet", http.StatusServiceUnavailable)
			return
		}
		if fatal, err := g.revocationReady(); fatal {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		} else if err != nil {
			w.Write([]byte("ready; on_unavailable allow: " + err.Error() + "\n"))
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
	rc, rs, err := g.revocationChecker(cfg)
	if err != nil {
		return nil, err
	}
	v, err := newVerifier(cfg, func(e jwks.Event) { g.metrics.jwksEvent(e.Kind.String()); g.logKeyEvent(e) }, rc, g.log)
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

	// One route table judges; the handlers of the chosen route end in
	// the proxy or in the forward-auth answer.
	routes, err := newRouteTable(cfg)
	if err != nil {
		return nil, err
	}
	proxyRoutes, authRoutes := map[routeID]http.Handler{}, map[routeID]http.Handler{}
	for i, rc := range cfg.Routes {
		mw, err := routeMiddleware(auth, rc)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", rc.Pattern, err)
		}
		proxyRoutes[routeID(i)], authRoutes[routeID(i)] = mw(proxy), mw(allow)
	}
	if !hasRootRoute(cfg) {
		var def func(http.Handler) http.Handler
		if cfg.Default == "authenticate" {
			def = auth.Require()
		} else {
			def = func(http.Handler) http.Handler { return http.HandlerFunc(g.deny) }
		}
		proxyRoutes[defaultRoute], authRoutes[defaultRoute] = def(proxy), def(allow)
	}
	overrides := newHeaderSet(cfg.MethodOverrideHeaders)
	dispatch := func(handlers map[routeID]http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, h, pattern, err := routes.judge(r)
			if err == nil && !overrides.empty() && strings.Contains(strings.ToLower(r.URL.RawQuery), "method") && r.URL.Query().Has("_method") {
				err = requestError("a _method query parameter would override the method judged")
			}
			if err != nil {
				g.badRequest(w, err)
				return
			}
			if _, isRoute := h.(routeID); isRoute {
				r.Pattern = pattern
				h = handlers[id]
			}
			h.ServeHTTP(w, r)
		})
	}

	main := dispatch(proxyRoutes)
	if cfg.ForwardAuthPath != "" {
		fa := forwardAuth(dispatch(authRoutes), overrides, g.badRequest)
		if cfg.Upstream == "" {
			main = fa // everything is a check
		} else {
			// Not a ServeMux: it would clean and redirect paths before
			// they are judged.
			proxied, path := main, cfg.ForwardAuthPath
			main = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == path || strings.HasSuffix(path, "/") && strings.HasPrefix(r.URL.Path, path) {
					fa.ServeHTTP(w, r)
					return
				}
				proxied.ServeHTTP(w, r)
			})
		}
	}
	if cfg.ExtAuthzPrefix != "" {
		main = withExtAuthz(main, cfg.ExtAuthzPrefix, dispatch(authRoutes), overrides, g.badRequest, append(slices.Clip(ident.names), ident.whole))
	}
	return &state{cfg: cfg, verifier: v, handler: g.accessLog(main), transport: transport, rev: rs}, nil
}

// badRequest answers a request that is not in canonical form: 400, with
// the rule it broke and never the request's own text.
func (g *Gateway) badRequest(w http.ResponseWriter, err error) {
	g.metrics.request("(gateway)", "non_canonical")
	problem(w, http.StatusBadRequest, err.Error())
}

// problem answers an RFC 9457 problem of the gateway's own.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
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
	enc    string   // Config.HeaderEncoding
}

func newIdentityHeaders(cfg *Config) *identityHeaders {
	h := &identityHeaders{enc: cfg.HeaderEncoding}
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
		s, err := headerValue(v, h.enc)
		if err == nil && claim == "scope" && !plainScopeList(s) {
			// The gateway reads "scope" as scope-tokens separated by
			// U+0020 (RFC 6749 §3.3); an upstream splitting on any white
			// space would read "a<TAB>b" as two scopes the gateway never
			// granted. Send it only when both readings agree.
			err = errors.New("the scope holds a character other than scope-tokens and U+0020 spaces")
		}
		if err != nil {
			log.Warn("claim not forwarded", "claim", claim, "error", err)
			continue
		}
		if s == "" && v.Kind() == jws.Array {
			continue // an empty list: RFC 8941 §3.1 sends no field
		}
		hdr.Set(h.names[i], s)
	}
	if h.whole != "" {
		hdr.Set(h.whole, base64.RawURLEncoding.EncodeToString(id.Raw()))
	}
}

// newProxy returns the reverse proxy to the upstream.
func (g *Gateway) newProxy(cfg *Config, ident *identityHeaders, sources []httpauth.Source) (http.Handler, *http.Transport, error) {
	overrides := newHeaderSet(cfg.MethodOverrideHeaders)
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
		Transport:  g.metrics.timeUpstream(transport),
		BufferPool: proxyBuffers,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.SetXForwarded() // incoming X-Forwarded-* were dropped by Rewrite
			id, _ := httpauth.ClaimsFrom[*identity](pr.In.Context())
			ident.set(pr.Out.Header, id, g.log)
			// The method judged is the method executed: Express
			// method-override, Rails, Symfony and Laravel read these.
			overrides.strip(pr.Out.Header)
			if cfg.StripToken {
				stripToken(pr.Out, sources)
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if slowBody(r) {
				// The client, not the upstream, failed: it sent its body
				// slower than limits.min_body_rate.
				g.metrics.request("(gateway)", "slow_body")
				w.Header().Set("Connection", "close")
				problem(w, http.StatusRequestTimeout, "the request body came slower than the gateway's minimum rate")
				return
			}
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
// through the routes, which judge its method, URI and host exactly as in
// proxy mode. nginx sends the original URI in a header of the operator's
// choice; the conventional X-Original-URI and X-Original-Method are read,
// then Traefik's X-Forwarded-Uri and X-Forwarded-Method. A check that
// carries a method-override header is refused: the gateway cannot remove
// it from what the front proxy forwards, so it must not approve it.
func forwardAuth(routes http.Handler, overrides headerSet, bad func(http.ResponseWriter, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A proxy sets one pair and passes the client's own headers on
		// (Traefik forwards them all unless authRequestHeaders filters):
		// when both pairs are present and disagree, one is the client's,
		// and nobody can tell which.
		for _, p := range [...][2]string{{"X-Original-Method", "X-Forwarded-Method"}, {"X-Original-URI", "X-Forwarded-Uri"}, {"X-Original-Host", "X-Forwarded-Host"}} {
			a, b := r.Header.Values(p[0]), r.Header.Values(p[1])
			if len(a) > 1 || len(b) > 1 || (len(a) == 1 && len(b) == 1 && a[0] != b[0]) {
				bad(w, requestError("bad forward-auth request: "+p[0]+" and "+p[1]+" disagree"))
				return
			}
		}
		if name, ok := overrides.in(r.Header); ok {
			bad(w, requestError("the request carries the method-override header "+name))
			return
		}
		// Both are required: guessing "GET /" for a proxy that sends
		// neither would check a request other than the one it asks about.
		method := first(r.Header.Get("X-Original-Method"), r.Header.Get("X-Forwarded-Method"), "")
		uri := first(r.Header.Get("X-Original-URI"), r.Header.Get("X-Forwarded-Uri"), "")
		if method == "" || !strings.HasPrefix(uri, "/") {
			bad(w, requestError("bad forward-auth request: it must name the method and the origin-form URI"))
			return
		}
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			bad(w, requestError("bad forward-auth request: the URI does not parse"))
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

// headerSet is a list of header names compared as CGI-style servers read
// them ("_" and "-" alike, any case).
type headerSet []string

func newHeaderSet(names []string) headerSet {
	out := make(headerSet, len(names))
	for i, n := range names {
		out[i] = canonicalIdentityName(n)
	}
	return out
}

func (s headerSet) empty() bool { return len(s) == 0 }

// in returns the first header of hdr in the set.
func (s headerSet) in(hdr http.Header) (string, bool) {
	for name := range hdr {
		if slices.Contains(s, canonicalIdentityName(name)) {
			return name, true
		}
	}
	return "", false
}

// strip removes every header of the set from hdr.
func (s headerSet) strip(hdr http.Header) {
	for name := range hdr {
		if slices.Contains(s, canonicalIdentityName(name)) {
			delete(hdr, name)
		}
	}
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// plainScopeList reports whether s is scope-tokens separated by U+0020
// only, the one form every reader of a scope string splits alike.
func plainScopeList(s string) bool {
	for _, tok := range strings.Split(s, " ") {
		if tok != "" && !oidc.IsScopeToken(tok) {
			return false
		}
	}
	return true
}
