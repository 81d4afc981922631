package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsParse scrapes /metrics after a few requests and parses it
// with the Prometheus text-format parser: every family must parse, and
// the series an operator's dashboards expect must be there.
func TestMetricsParse(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	g, err := New(testConfig(t, iss, up.URL, ""), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Hydrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	main := httptest.NewServer(g)
	defer main.Close()
	admin := httptest.NewServer(g.AdminHandler())
	defer admin.Close()
	get(t, main.URL+"/api/", map[string]string{"Authorization": "Bearer " + iss.AccessToken()})
	get(t, main.URL+"/api/", nil)

	resp, err := http.Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	for _, name := range []string{
		"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds", "go_info",
		"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
		"go_build_info", "cognitojwt_build_info",
		"cognitojwt_requests_total", "cognitojwt_jwks_events_total", "cognitojwt_verify_duration_seconds",
		"cognitojwt_request_duration_seconds", "cognitojwt_upstream_duration_seconds", "cognitojwt_in_flight_requests",
		"cognitojwt_config_reloads_total", "cognitojwt_upstream_errors_total",
	} {
		if families[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
	// Request durations by route and outcome: one accepted, one refused.
	got := map[string]uint64{}
	if f := families["cognitojwt_request_duration_seconds"]; f != nil {
		for _, m := range f.Metric {
			var route, outcome string
			for _, l := range m.Label {
				switch l.GetName() {
				case "route":
					route = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			got[route+" "+outcome] = m.GetHistogram().GetSampleCount()
		}
	}
	if got["/api/ ok"] != 1 || got["/api/ denied"] != 1 {
		t.Errorf("request durations by route and outcome: %v", got)
	}
	if f := families["cognitojwt_upstream_duration_seconds"]; f == nil || f.Metric[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("upstream latency: %v", f)
	}
}

func TestOutcome(t *testing.T) {
	for status, want := range map[int]string{200: "ok", 304: "ok", 400: "bad_request", 401: "denied", 403: "denied", 404: "bad_request", 500: "error", 502: "upstream_error", 503: "unavailable", 504: "upstream_error"} {
		if got := outcome(status); got != want {
			t.Errorf("outcome(%d) = %s, want %s", status, got, want)
		}
	}
}
