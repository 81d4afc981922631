package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// accessLog logs one line per request: method, path (never the query,
// which may carry a token), route, status, duration. Never a token or a
// claim.
func (g *Gateway) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		g.metrics.inFlight.Inc()
		defer g.metrics.inFlight.Dec()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		elapsed := time.Since(start)
		// The mux set r.Pattern in place: the route of the config, a
		// bounded set of label values (never the raw path).
		route := r.Pattern
		if route == "" {
			route = "(none)"
		}
		g.metrics.duration.WithLabelValues(route, outcome(sw.status)).Observe(elapsed.Seconds())
		g.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", elapsed, "remote", r.RemoteAddr)
	})
}

// statusWriter records the status; Unwrap lets http.ResponseController
// reach Flush and friends of the real writer (streaming responses).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	w.wrote = true
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RunOptions are the process-level settings of Run.
type RunOptions struct {
	// ConfigPath is reread on SIGHUP; empty disables reloads.
	ConfigPath string
	// Logger receives the logs; nil means NewLogger(os.Stderr, "json",
	// slog.LevelInfo).
	Logger *slog.Logger
	// Ready, when not nil, is called with the listeners' addresses once
	// they accept connections (tests and the --dev banner use it).
	Ready func(main, admin net.Addr)
}

// Run serves cfg until ctx ends (SIGTERM, SIGINT), then shuts down
// gracefully: listeners close, requests in flight finish (up to
// timeouts.shutdown). SIGHUP rereads ConfigPath and applies it without
// dropping a request, or logs why not and keeps the current one.
func Run(ctx context.Context, cfg *Config, opts RunOptions) error {
	log := opts.Logger
	if log == nil {
		log, _ = NewLogger(os.Stderr, "json", slog.LevelInfo)
	}
	g, err := New(cfg, log)
	if err != nil {
		return err
	}
	defer g.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	ln = newLimitListener(ln, cfg.Limits.MaxConnections)
	srv := &http.Server{
		Handler:           g,
		ReadHeaderTimeout: cfg.Timeouts.ReadHeader.D(10 * time.Second),
		ReadTimeout:       cfg.Timeouts.Read.D(0),
		WriteTimeout:      cfg.Timeouts.Write.D(0),
		IdleTimeout:       cfg.Timeouts.Idle.D(120 * time.Second),
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var admin *http.Server
	var adminLn net.Listener
	if cfg.AdminListen != "off" {
		if adminLn, err = net.Listen("tcp", cfg.AdminListen); err != nil {
			ln.Close()
			return err
		}
		admin = &http.Server{Handler: g.AdminHandler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second}
	}

	errc := make(chan error, 2)
	go func() {
		if cfg.TLS != nil {
			errc <- srv.ServeTLS(ln, cfg.TLS.CertFile, cfg.TLS.KeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	if admin != nil {
		go func() { errc <- admin.Serve(adminLn) }()
	}
	log.Info("gateway listening", "addr", ln.Addr().String(), "upstream", cfg.Upstream, "tls", cfg.TLS != nil)

	// Keys: fetch now, retry in the background until they come, so that
	// /readyz turns green as soon as the issuers answer.
	hydrateCtx, stopHydrate := context.WithCancel(ctx)
	defer stopHydrate()
	go func() {
		// The key sets back off after failures themselves (and refuse to
		// fetch before then): polling every second costs nothing and
		// notices their recovery at once.
		for delay, failures := time.Second, 0; ; failures++ {
			hctx, cancel := context.WithTimeout(hydrateCtx, 10*time.Second)
			err := g.Hydrate(hctx)
			cancel()
			if err == nil {
				log.Info("keys fetched: ready")
				return
			}
			// Each fetch attempt logs its own failure with the time to the
			// next one (logKeyEvent); this loop only says once what that
			// means, instead of a line per poll.
			if failures == 0 {
				log.Warn("keys not fetched yet: /readyz answers 503 until they are; each fetch attempt is logged", "error", err.Error())
			} else {
				log.Debug("keys not fetched yet", "error", err.Error(), "poll_in", delay)
			}
			select {
			case <-hydrateCtx.Done():
				return
			case <-time.After(delay):
			}
		}
	}()
	// Before Ready: a SIGHUP sent as soon as the listeners answer must be
	// a reload, not the default action (exit).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if opts.Ready != nil {
		var adminAddr net.Addr
		if adminLn != nil {
			adminAddr = adminLn.Addr()
		}
		opts.Ready(ln.Addr(), adminAddr)
	}

	for {
		select {
		case err := <-errc:
			return err
		case <-hup:
			if opts.ConfigPath == "" {
				log.Warn("SIGHUP ignored: no configuration file")
				continue
			}
			next, err := Load(opts.ConfigPath)
			if err != nil {
				g.metrics.reloadFailures.Add(1)
			} else {
				err = g.Reload(ctx, next)
			}
			if err != nil {
				log.Error("reload refused; the current configuration stays", "error", err.Error())
				continue
			}
			log.Info("configuration reloaded")
		case <-ctx.Done():
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), cfg.Timeouts.Shutdown.D(15*time.Second))
			defer cancel()
			err := srv.Shutdown(sctx)
			if admin != nil {
				admin.Shutdown(sctx)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		}
	}
}
