package gateway

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// metrics holds the gateway's series and writes them in the Prometheus
// text exposition format (version 0.0.4). The counters of the first
// releases are written by hand, with their labels in the order dashboards
// already match; the Go runtime, process and build-info series, the
// request and upstream latency histograms and the in-flight gauge come
// from the Prometheus client library (docs/DEPENDENCIES.md says why),
// in a registry of this gateway's own: no global state.
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]*atomic.Uint64 // route, outcome → count
	fetches  map[string]*atomic.Uint64    // jwks event kind → count

	verify                                  histogram
	reloads, reloadFailures, upstreamErrors atomic.Uint64

	reg      *prometheus.Registry
	duration *prometheus.HistogramVec // route, outcome
	upstream prometheus.Histogram
	inFlight prometheus.Gauge

	rev revocationMetrics // revocation.go
}

// latencyBuckets span a cached verification (tens of µs) to a slow
// upstream (tens of seconds).
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics() *metrics {
	m := &metrics{
		requests: map[[2]string]*atomic.Uint64{},
		fetches:  map[string]*atomic.Uint64{},
		verify:   newHistogram([]float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .05, .25, 1}),
		reg:      prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cognitojwt_request_duration_seconds",
			Help:    "Time from request to response on the main listener, by route pattern and outcome (ok, denied, bad_request, unavailable, upstream_error, error).",
			Buckets: latencyBuckets,
		}, []string{"route", "outcome"}),
		upstream: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "cognitojwt_upstream_duration_seconds",
			Help:    "Time the upstream took to answer with its response headers, failures included.",
			Buckets: latencyBuckets,
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cognitojwt_in_flight_requests",
			Help: "Requests on the main listener being served now.",
		}),
	}
	version, revision := buildVersion()
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "cognitojwt_build_info",
		Help:        "Always 1: the module version, VCS revision and Go version the gateway was built from.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	info.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		info, m.duration, m.upstream, m.inFlight,
	)
	return m
}

// outcome names a response status for the duration histogram: a handful
// of values, so the series stay few.
func outcome(status int) string {
	switch {
	case status < 400:
		return "ok"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "denied"
	case status == http.StatusServiceUnavailable:
		return "unavailable"
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		return "upstream_error"
	case status < 500:
		return "bad_request"
	default:
		return "error"
	}
}

// timeUpstream wraps the upstream transport so each round trip is timed.
func (m *metrics) timeUpstream(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := rt.RoundTrip(r)
		m.upstream.Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// buildVersion is the module version and VCS revision from the build
// information, "(devel)" and "" when unknown.
func buildVersion() (version, revision string) {
	version = "(devel)"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if info.Main.Version != "" {
		version = info.Main.Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	return version, revision
}

func counter[K comparable](mu *sync.Mutex, m map[K]*atomic.Uint64, k K) *atomic.Uint64 {
	mu.Lock()
	defer mu.Unlock()
	c := m[k]
	if c == nil {
		c = new(atomic.Uint64)
		m[k] = c
	}
	return c
}

// request counts one request by route pattern and outcome ("ok",
// "anonymous", or an httpauth reason code such as "invalid_token").
func (m *metrics) request(route, outcome string) {
	counter(&m.mu, m.requests, [2]string{route, outcome}).Add(1)
}

// jwksEvent counts a key-set event by kind.
func (m *metrics) jwksEvent(kind string) { counter(&m.mu, m.fetches, kind).Add(1) }

// ServeHTTP writes every series.
func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.write(w)
}

func (m *metrics) write(w io.Writer) {
	m.writeOwn(w)
	families, err := m.reg.Gather()
	if err != nil {
		fmt.Fprintf(w, "# gathering failed: %s\n", strconv.Quote(err.Error()))
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		enc.Encode(f)
	}
}

// writeOwn writes the hand-written series.
func (m *metrics) writeOwn(w io.Writer) {
	m.mu.Lock()
	reqKeys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		reqKeys = append(reqKeys, k)
	}
	fetchKeys := make([]string, 0, len(m.fetches))
	for k := range m.fetches {
		fetchKeys = append(fetchKeys, k)
	}
	m.mu.Unlock()
	sort.Slice(reqKeys, func(i, j int) bool {
		return reqKeys[i][0]+"\x00"+reqKeys[i][1] < reqKeys[j][0]+"\x00"+reqKeys[j][1]
	})
	sort.Strings(fetchKeys)

	fmt.Fprintln(w, "# HELP cognitojwt_requests_total Requests by route pattern and outcome.")
	fmt.Fprintln(w, "# TYPE cognitojwt_requests_total counter")
	for _, k := range reqKeys {
		fmt.Fprintf(w, "cognitojwt_requests_total{route=%s,outcome=%s} %d\n", label(k[0]), label(k[1]), counter(&m.mu, m.requests, k).Load())
	}
	fmt.Fprintln(w, "# HELP cognitojwt_jwks_events_total Key set events: fetches started, succeeded, failed, keys added, removed, refetches suppressed.")
	fmt.Fprintln(w, "# TYPE cognitojwt_jwks_events_total counter")
	for _, k := range fetchKeys {
		fmt.Fprintf(w, "cognitojwt_jwks_events_total{event=%s} %d\n", label(k), counter(&m.mu, m.fetches, k).Load())
	}
	fmt.Fprintln(w, "# HELP cognitojwt_verify_duration_seconds Time to verify a token (parse, key, signature, rules).")
	fmt.Fprintln(w, "# TYPE cognitojwt_verify_duration_seconds histogram")
	m.verify.write(w, "cognitojwt_verify_duration_seconds")
	for _, c := range []struct {
		name, help string
		v          *atomic.Uint64
	}{
		{"cognitojwt_config_reloads_total", "Configuration reloads applied.", &m.reloads},
		{"cognitojwt_config_reload_failures_total", "Configuration reloads refused (the previous configuration stays).", &m.reloadFailures},
		{"cognitojwt_upstream_errors_total", "Requests the upstream failed (502, 504).", &m.upstreamErrors},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", c.name, c.help, c.name, c.name, c.v.Load())
	}
	m.rev.write(w)
}

// label quotes a label value per the exposition format.
func label(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// histogram is a fixed-bucket, lock-free histogram.
type histogram struct {
	bounds  []float64
	counts  []atomic.Uint64 // one per bound, plus +Inf
	sumNano atomic.Uint64
}

func newHistogram(bounds []float64) histogram {
	return histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(h.bounds, s)
	h.counts[i].Add(1)
	h.sumNano.Add(uint64(max(d, 0)))
}

func (h *histogram) write(w io.Writer, name string) {
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{le=\"%g\"} %d\n", name, b, cum)
	}
	cum += h.counts[len(h.bounds)].Load()
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n", name, cum)
	fmt.Fprintf(w, "%s_sum %g\n%s_count %d\n", name, float64(h.sumNano.Load())/float64(time.Second), name, cum)
}
