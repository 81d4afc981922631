package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

var (
	loadDuration = flag.Duration("e2e.load", 20*time.Second, "duration of TestLoad (3s under -short)")
	loadWorkers  = flag.Int("e2e.workers", 8, "concurrent clients of TestLoad")
)

// loadMaxRequests bounds TestLoad in count as well as in time.
const loadMaxRequests = 2_000_000

// hammer sends GET requests from workers goroutines until ctx ends or limit
// requests were sent. next returns the path and token of each request
// (worker, sequence number); check judges the status. It returns the
// latencies of all requests and the errors (at most 20 kept).
func hammer(ctx context.Context, c *http.Client, base string, workers int, limit int64,
	next func(worker, i int) (path, token string), check func(path, token string, status int) error,
) (latencies []time.Duration, errs []error, total int64) {
	var (
		mu    sync.Mutex
		sent  atomic.Int64
		wg    sync.WaitGroup
		nerrs atomic.Int64
	)
	perWorker := make([][]time.Duration, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			for i := 0; ctx.Err() == nil && sent.Add(1) <= limit; i++ {
				path, token := next(w, i)
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				start := time.Now()
				resp, err := c.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat = append(lat, time.Since(start))
				if err == nil {
					err = check(path, token, resp.StatusCode)
				}
				if err != nil {
					if nerrs.Add(1) <= 20 {
						mu.Lock()
						errs = append(errs, fmt.Errorf("%s: %w", path, err))
						mu.Unlock()
					}
				}
			}
			perWorker[w] = lat
		}()
	}
	wg.Wait()
	for _, l := range perWorker {
		latencies = append(latencies, l...)
	}
	if n := nerrs.Load(); n > int64(len(errs)) {
		errs = append(errs, fmt.Errorf("… and %d more errors", n-int64(len(errs))))
	}
	return latencies, errs, int64(len(latencies))
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// TestReloadUnderLoad rewrites the configuration and sends SIGHUP five
// times while 8 clients send requests for about 3 s: no request fails (no
// connection error, no 5xx, only the statuses one of the configurations
// gives), both configurations were in force during the run, the last one
// stays, and refused reloads are logged and counted.
func TestReloadUnderLoad(t *testing.T) {
	longTest(t)
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	cfg := newConfig(iss, up.URL)
	gw := startGateway(t, cfg)
	gw.waitReady(15 * time.Second)
	c := newClient()

	adminTok := iss.AccessToken(cognitotest.TokenOptions{Username: "ann", Groups: []string{"admin"}})
	opsTok := iss.AccessToken(cognitotest.TokenOptions{Username: "otto", Groups: []string{"ops"}})
	userTok := iss.AccessToken()

	// Configuration A: /admin/ needs group admin; B: group ops.
	cfgA, cfgB := cfg, cfg
	cfgB.AdminGroup = "ops"

	type key struct{ path, token string }
	var (
		mu     sync.Mutex
		counts = map[key]map[int]int{}
	)
	next := func(w, i int) (string, string) {
		switch (w + i) % 3 {
		case 0:
			return "/admin/x", adminTok
		case 1:
			return "/admin/x", opsTok
		}
		return "/api/x", userTok
	}
	check := func(path, token string, status int) error {
		mu.Lock()
		m := counts[key{path, token}]
		if m == nil {
			m = map[int]int{}
			counts[key{path, token}] = m
		}
		m[status]++
		mu.Unlock()
		ok := status == http.StatusOK
		if path == "/admin/x" {
			ok = ok || status == http.StatusForbidden // one of the two configurations refuses it
		}
		if !ok {
			return fmt.Errorf("status %d", status)
		}
		return nil
	}

	// The load runs for at least 3 s and until the reloads are done
	// (at most 30 s).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	type result struct {
		lat  []time.Duration
		errs []error
	}
	res := make(chan result, 1)
	go func() {
		lat, errs, _ := hammer(ctx, c, gw.URL, 8, 1_000_000, next, check)
		res <- result{lat, errs}
	}()

	// Five reloads, alternating B, A, B, A, B, each confirmed by the
	// reload counter before the next.
	reloads := 0
	for i, next := range []gwConfig{cfgB, cfgA, cfgB, cfgA, cfgB} {
		time.Sleep(400 * time.Millisecond)
		gw.writeConfig(next)
		gw.signal(syscall.SIGHUP)
		reloads++
		waitMetric(t, gw, "cognitojwt_config_reloads_total", float64(reloads), 5*time.Second)
		t.Logf("reload %d applied (/admin/ needs group %s)", i+1, next.AdminGroup)
	}
	time.Sleep(time.Until(start.Add(3 * time.Second)))
	cancel()
	r := <-res
	for _, err := range r.errs {
		t.Error(err)
	}
	names := map[string]string{adminTok: "group admin", opsTok: "group ops", userTok: "no group"}
	for k, m := range counts {
		t.Logf("%s (%s): statuses %v", k.path, names[k.token], m)
	}
	t.Logf("%d requests during the reloads", len(r.lat))

	// Both configurations were in force during the run.
	for _, tok := range []string{adminTok, opsTok} {
		if m := counts[key{"/admin/x", tok}]; m[http.StatusOK] == 0 || m[http.StatusForbidden] == 0 {
			t.Errorf("/admin/x (%s): statuses %v, want both 200 and 403 as the configuration flips", names[tok], m)
		}
	}

	// The last configuration (B) is in force.
	wantStatus(t, get(t, c, gw.URL+"/admin/x", opsTok), http.StatusOK)
	wantStatus(t, get(t, c, gw.URL+"/admin/x", adminTok), http.StatusForbidden)

	// An invalid configuration is refused, B stays, and the refusal is
	// logged and counted.
	gw.writeRawConfig([]byte(strings.Replace(renderConfig(t, gw.cfg), "routes:", "routes:\n  - pattern: \"/x/\"\n    grups: [typo]", 1)))
	gw.signal(syscall.SIGHUP)
	waitLog(t, gw, "reload refused", 1, 5*time.Second)
	wantStatus(t, get(t, c, gw.URL+"/admin/x", opsTok), http.StatusOK)
	wantStatus(t, get(t, c, gw.URL+"/admin/x", adminTok), http.StatusForbidden)

	// A valid file that changes what cannot change on reload: refused.
	moved := cfgB
	moved.Listen, moved.Admin = freeAddr(t), gw.cfg.Admin
	var b strings.Builder
	if err := configTemplate.Execute(&b, moved); err != nil {
		t.Fatal(err)
	}
	gw.writeRawConfig([]byte(b.String()))
	gw.signal(syscall.SIGHUP)
	waitLog(t, gw, "reload refused", 2, 5*time.Second)
	wantStatus(t, get(t, c, gw.URL+"/admin/x", opsTok), http.StatusOK)

	m := gw.metrics()
	if got := m["cognitojwt_config_reload_failures_total"]; got != 2 {
		t.Errorf("cognitojwt_config_reload_failures_total = %v after two refused reloads (an invalid file, a changed listen), want 2", got)
	}
	if got := m["cognitojwt_config_reloads_total"]; got != 5 {
		t.Errorf("cognitojwt_config_reloads_total = %v, want 5", got)
	}
}

// waitLog waits until the gateway's log has n lines containing s.
func waitLog(t testing.TB, gw *gatewayProc, s string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for strings.Count(gw.logs.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the gateway's log has %d lines with %q after %v, want %d", strings.Count(gw.logs.String(), s), s, timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func renderConfig(t testing.TB, cfg gwConfig) string {
	t.Helper()
	var b strings.Builder
	if err := configTemplate.Execute(&b, cfg); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// waitMetric waits until /metrics shows series = want.
func waitMetric(t testing.TB, gw *gatewayProc, series string, want float64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := gw.metrics()[series]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v after %v, want %v", series, got, timeout, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLoad runs a bounded load (20 s, 3 s under -short; at most
// loadMaxRequests) of valid requests through the gateway on loopback: no
// request may fail, and every one reaches the upstream and is counted.
// It reports requests per second and latency percentiles.
func TestLoad(t *testing.T) {
	longTest(t)
	d := *loadDuration
	if testing.Short() {
		d = min(d, 3*time.Second)
	}
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	gw := startGateway(t, newConfig(iss, up.URL))
	gw.waitReady(15 * time.Second)
	c := newClient()

	// A few users, each with their own token (cached after the first use).
	var tokens []string
	for i := range 16 {
		tokens = append(tokens, iss.AccessToken(cognitotest.TokenOptions{Username: fmt.Sprintf("user%02d", i), Groups: []string{"admin"}}))
	}
	paths := []string{"/api/ping", "/admin/ping", "/public/ping"}
	next := func(w, i int) (string, string) { return paths[i%len(paths)], tokens[(w*7+i)%len(tokens)] }
	check := func(_, _ string, status int) error {
		if status != http.StatusOK {
			return fmt.Errorf("status %d", status)
		}
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	hitsBefore := up.hits.Load()
	start := time.Now()
	lat, errs, n := hammer(ctx, c, gw.URL, *loadWorkers, loadMaxRequests, next, check)
	elapsed := time.Since(start)
	for _, err := range errs {
		t.Error(err)
	}
	if n == 0 {
		t.Fatal("no request sent")
	}
	slices.Sort(lat)
	t.Logf("load: %d requests in %v from %d clients: %.0f requests/s; latency p50 %v, p90 %v, p99 %v, max %v",
		n, elapsed.Round(time.Millisecond), *loadWorkers, float64(n)/elapsed.Seconds(),
		percentile(lat, .50), percentile(lat, .90), percentile(lat, .99), lat[len(lat)-1])

	if hits := up.hits.Load() - hitsBefore; hits != n {
		t.Errorf("the upstream got %d requests, the clients sent %d", hits, n)
	}
	m := gw.metrics()
	var counted float64
	for _, route := range []string{"/api/", "/admin/", "/public/"} {
		counted += m[fmt.Sprintf(`cognitojwt_requests_total{route=%q,outcome="ok"}`, route)]
	}
	if counted != float64(n) {
		t.Errorf("the gateway counted %v admitted requests, the clients sent %d: %v", counted, n, filterSeries(m, "cognitojwt_requests_total"))
	}
	if p99 := percentile(lat, .99); p99 > 2*time.Second {
		t.Errorf("p99 latency %v on loopback", p99)
	}
}
