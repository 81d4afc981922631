package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/cognitojwt/cognitojwt/jws"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNewRemoteURL(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI/.well-known/jwks.json", false, true},
		{"HTTPS://example.com/jwks", false, true},
		{"https://example.com:8443/jwks?tenant=a", false, true},
		{"http://127.0.0.1:8080/jwks", false, true},
		{"http://127.9.8.7/jwks", false, true},
		{"http://[::1]:9000/jwks", false, true},
		{"http://localhost:9229/jwks", false, true},
		{"http://LocalHost/jwks", false, true},
		{"http://example.com/jwks", true, true},
		{"http://example.com/jwks", false, false},
		{"http://128.0.0.1/jwks", false, false},
		{"http://10.0.0.1/jwks", false, false},
		{"http://0.0.0.0/jwks", false, false},
		{"http://[::2]/jwks", false, false},
		{"http://localhost.example.com/jwks", false, false},
		{"http://127.0.0.1.nip.io/jwks", false, false},
		{"ftp://example.com/jwks", false, false},
		{"ftp://example.com/jwks", true, false},
		{"file:///etc/jwks.json", false, false},
		{"/jwks.json", false, false},
		{"example.com/jwks", false, false},
		{"https://user:pass@example.com/jwks", false, false},
		{"https:///jwks", false, false},
		{"https:example.com", false, false},
		{"", false, false},
		{"https://exa mple.com/", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			r, err := NewRemote(tt.url, Options{AllowInsecureHTTP: tt.insecure})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if r.URL() != tt.url {
					t.Errorf("URL() = %q", r.URL())
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "pass@") {
				t.Errorf("error repeats credentials: %v", err)
			}
		})
	}
}

func TestNewRemoteOptions(t *testing.T) {
	const url = "https://example.com/jwks"
	bad := []struct {
		name string
		opts Options
		want string
	}{
		{"negative timeout", Options{Timeout: -1}, "Timeout"},
		{"negative connect timeout", Options{ConnectTimeout: -time.Second}, "ConnectTimeout"},
		{"negative interval", Options{MinRefetchInterval: -1}, "MinRefetchInterval"},
		{"negative TTL", Options{TTL: -1}, "TTL"},
		{"negative MaxTTL", Options{MaxTTL: -1}, "MaxTTL"},
		{"negative MaxBackoff", Options{MaxBackoff: -1}, "MaxBackoff"},
		{"negative size", Options{MaxResponseBytes: -1}, "MaxResponseBytes"},
		{"MinTTL above MaxTTL", Options{MinTTL: 2 * time.Hour, MaxTTL: time.Hour}, "MinTTL"},
		{"MinTTL above default MaxTTL", Options{MinTTL: 48 * time.Hour}, "MinTTL"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRemote(url, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		r, err := NewRemote(url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := []any{r.timeout, r.maxBytes, r.maxKeys, r.interval, r.ttl, r.minTTL, r.maxTTL, r.stale, r.maxBackoff}
		want := []any{5 * time.Second, int64(1 << 20), 100, 5 * time.Second, time.Hour, time.Minute, 24 * time.Hour, 24 * time.Hour, 5 * time.Minute}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("defaults %v, want %v", got, want)
		}
		tr := r.client.Transport.(*http.Transport)
		if reflect.ValueOf(tr.Proxy).Pointer() != reflect.ValueOf(http.ProxyFromEnvironment).Pointer() {
			t.Error("default client does not take proxies from the environment")
		}
		if tr.TLSHandshakeTimeout != DefaultConnectTimeout || !tr.DisableKeepAlives || tr.DialContext == nil {
			t.Errorf("transport: handshake %v, keep-alives off %v", tr.TLSHandshakeTimeout, tr.DisableKeepAlives)
		}
		if tr == http.DefaultTransport {
			t.Error("the default transport itself is used")
		}
	})
	t.Run("TTL clamped", func(t *testing.T) {
		r, _ := NewRemote(url, Options{TTL: 48 * time.Hour})
		r2, _ := NewRemote(url, Options{TTL: time.Second})
		if r.ttl != DefaultMaxTTL || r2.ttl != DefaultMinTTL {
			t.Errorf("TTL %v and %v not clamped", r.ttl, r2.ttl)
		}
	})
	t.Run("stale off", func(t *testing.T) {
		r, _ := NewRemote(url, Options{StaleIfError: -1})
		if r.stale != 0 {
			t.Errorf("stale = %v", r.stale)
		}
	})
}

func TestRemoteHydrateAndHit(t *testing.T) {
	ctx := testCtx(t)
	k1 := ecKey(t, "k1")
	srv := newKeyServer(t, doc(t, k1))
	r, rec := newRemote(t, srv.URL+"/jwks.json", newClock(), Options{})

	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		k, err := r.Key(ctx, "k1", jws.ES256)
		if err != nil || !identical(k, k1) {
			t.Fatalf("Key = %v, %v", k, err)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (fresh keys are not refetched)", n)
	}
	if got := rec.keyIDs(KeyAdded); len(got) != 1 || got[0] != "k1" {
		t.Errorf("KeyAdded %q", got)
	}
	started, _ := rec.last(FetchStarted)
	done, _ := rec.last(FetchSucceeded)
	if started.Trigger != TriggerHydrate || done.Keys != 1 || done.TTL != time.Hour || done.URL != r.URL() {
		t.Errorf("events: started %+v, succeeded %+v", started, done)
	}
	if keys := r.Keys(); len(keys) != 1 || keys[0].KeyID != "k1" {
		t.Errorf("Keys() = %v", keys)
	}
}

func TestRemoteFirstLookupFetches(t *testing.T) {
	ctx := testCtx(t)
	srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
	r, rec := newRemote(t, srv.URL, newClock(), Options{})
	if r.Keys() != nil {
		t.Error("keys before any fetch")
	}
	if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
		t.Fatal(err)
	}
	if e, _ := rec.last(FetchStarted); e.Trigger != TriggerMiss || srv.hits.Load() != 1 {
		t.Errorf("trigger %q, %d requests", e.Trigger, srv.hits.Load())
	}
}

func TestRemoteRejectsBeforeFetching(t *testing.T) {
	ctx := testCtx(t)
	srv := newKeyServer(t, doc(t, ecKey(t, "ec"), mustKey(t, "rsa", jws.RS256, &rsaKeys()[0].PublicKey)))
	r, _ := newRemote(t, srv.URL, newClock(), Options{})
	for _, alg := range []jws.Algorithm{"none", "HS256", "", "ES256K"} {
		if _, err := r.Key(ctx, "ec", alg); !errors.Is(err, jws.ErrUnsupportedAlgorithm) {
			t.Errorf("alg %q: %v", alg, err)
		}
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("an unsupported alg caused %d fetches", n)
	}
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kid  string
		alg  jws.Algorithm
		want error
	}{
		{"ec", jws.RS256, ErrInvalidKey},  // algorithm confusion: RSA alg, EC key
		{"rsa", jws.ES256, ErrInvalidKey}, // and the other way
		{"rsa", jws.PS256, ErrInvalidKey}, // the JWK pins RS256
		{"", jws.ES256, ErrKeyNotFound},   // no kid never means "try them all"
	}
	for _, tt := range tests {
		if _, err := r.Key(ctx, tt.kid, tt.alg); !errors.Is(err, tt.want) {
			t.Errorf("Key(%q, %s) = %v, want %v", tt.kid, tt.alg, err, tt.want)
		}
	}
	// A known kid with the wrong alg is the token's fault: no refetch.
	// The kid-less lookup is a miss, and suppressed by the interval.
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestRemoteRotation(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	srv := newKeyServer(t, doc(t, k1))
	r, rec := newRemote(t, srv.URL, clock, Options{})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}

	// The issuer publishes k2. Within the interval of the last fetch the
	// refetch is suppressed...
	srv.setDoc(doc(t, k1, k2))
	clock.Advance(DefaultMinRefetchInterval - time.Millisecond)
	if _, err := r.Key(ctx, "k2", jws.ES256); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Key(k2) inside the interval = %v, want ErrKeyNotFound", err)
	}
	if srv.hits.Load() != 1 || rec.count(RefetchSuppressed) != 1 {
		t.Fatalf("%d requests, %d suppressed", srv.hits.Load(), rec.count(RefetchSuppressed))
	}
	// ...and allowed once it has passed.
	clock.Advance(time.Millisecond)
	k, err := r.Key(ctx, "k2", jws.ES256)
	if err != nil || !identical(k, k2) {
		t.Fatalf("Key(k2) = %v, %v", k, err)
	}
	if got := rec.keyIDs(KeyAdded); fmt.Sprint(got) != "[k1 k2]" {
		t.Errorf("KeyAdded %q", got)
	}

	// The issuer drops k1: trusted until the refresh, not after.
	srv.setDoc(doc(t, k2))
	clock.Advance(30 * time.Minute)
	if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
		t.Fatalf("k1 before the refresh: %v", err)
	}
	clock.Advance(30 * time.Minute) // TTL over
	if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
		t.Fatalf("k1 past TTL is served while the refresh runs: %v", err)
	}
	rec.wait(t, FetchSucceeded, 3)
	if _, err := r.Key(ctx, "k1", jws.ES256); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("k1 after the refresh = %v, want ErrKeyNotFound", err)
	}
	if _, err := r.Key(ctx, "k2", jws.ES256); err != nil {
		t.Fatal(err)
	}
	if got := rec.keyIDs(KeyRemoved); fmt.Sprint(got) != "[k1]" {
		t.Errorf("KeyRemoved %q", got)
	}
	if e, _ := rec.last(FetchStarted); e.Trigger != TriggerRefresh {
		t.Errorf("refresh trigger %q", e.Trigger)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// TestRemoteHerd: 2000 goroutines miss on a new kid at once; one request
// serves them all.
func TestRemoteHerd(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	srv := newKeyServer(t, doc(t, k1))
	r, _ := newRemote(t, srv.URL, clock, Options{})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	srv.update(func(s *keyServer) { s.doc, s.gate = doc(t, k1, k2), gate })
	clock.Advance(DefaultMinRefetchInterval)

	const herd = 2000
	var waiting atomic.Int64
	allWaiting := make(chan struct{})
	r.waitHook = func() {
		if waiting.Add(1) == herd {
			close(allWaiting)
		}
	}
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
	)
	for range herd {
		wg.Go(func() {
			k, err := r.Key(ctx, "k2", jws.ES256)
			if err != nil || !identical(k, k2) {
				failed.Add(1)
			}
		})
	}
	select {
	case <-allWaiting: // every goroutine is waiting on the one fetch
	case <-ctx.Done():
		t.Fatalf("only %d of %d callers waited", waiting.Load(), herd)
	}
	close(gate)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d callers did not get k2", n)
	}
	if n := srv.hits.Load() - 1; n != 1 {
		t.Errorf("the herd caused %d fetches, want 1", n)
	}
	t.Logf("herd of %d: %d fetch", herd, srv.hits.Load()-1)
}

// TestRemoteFlood: tokens with random kids arrive all the time; the JWKS
// is fetched once per interval, and a key published during the flood is
// found within one interval.
func TestRemoteFlood(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	k1, fresh := ecKey(t, "k1"), ecKey(t, "fresh")
	srv := newKeyServer(t, doc(t, k1))
	const (
		interval = 5 * time.Second
		step     = 100 * time.Millisecond
		span     = 60 * time.Second
		perStep  = 20
	)
	r, rec := newRemote(t, srv.URL, clock, Options{MinRefetchInterval: interval})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	var (
		rotatedAt time.Duration = -1
		foundAt   time.Duration = -1
		lookups   int
	)
	for elapsed := time.Duration(0); elapsed < span; elapsed += step {
		// Publish the new key just after a flood-triggered fetch: the
		// worst moment.
		if rotatedAt < 0 && elapsed >= 20*time.Second+step {
			srv.setDoc(doc(t, k1, fresh))
			rotatedAt = elapsed
		}
		var wg sync.WaitGroup
		var wrong atomic.Int64
		for range perStep {
			wg.Go(func() {
				kid := fmt.Sprintf("random-%016x", rand.Uint64())
				if _, err := r.Key(ctx, kid, jws.ES256); !errors.Is(err, ErrKeyNotFound) {
					wrong.Add(1)
				}
			})
		}
		wg.Wait()
		lookups += perStep
		if wrong.Load() > 0 {
			t.Fatalf("at %v: %d random kids did not fail with ErrKeyNotFound", elapsed, wrong.Load())
		}
		if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
			t.Fatalf("at %v the real key failed: %v", elapsed, err)
		}
		if rotatedAt >= 0 && foundAt < 0 {
			if _, err := r.Key(ctx, "fresh", jws.ES256); err == nil {
				foundAt = elapsed
			}
		}
		clock.Advance(step)
	}
	fetches := srv.hits.Load() - 1
	t.Logf("flood: %d lookups of random kids over %v caused %d fetches; new key found %v after publication; %d suppressed",
		lookups, span, fetches, foundAt-rotatedAt, rec.count(RefetchSuppressed))
	if limit := int64(span / interval); fetches > limit || fetches < limit-1 {
		t.Errorf("%d fetches, want %d or %d (one per interval)", fetches, limit-1, limit)
	}
	if foundAt < 0 || foundAt-rotatedAt > interval {
		t.Errorf("new key found %v after publication, want within %v", foundAt-rotatedAt, interval)
	}
	// Lookups that arrive while a fetch runs wait for it instead.
	if rec.count(RefetchSuppressed) < lookups-int(fetches+1)*perStep {
		t.Errorf("%d RefetchSuppressed events for %d lookups", rec.count(RefetchSuppressed), lookups)
	}
}

func TestRemoteOutage(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	k1 := ecKey(t, "k1")
	srv := newKeyServer(t, doc(t, k1))
	r, rec := newRemote(t, srv.URL, clock, Options{})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv.setStatus(http.StatusServiceUnavailable)

	steps := []struct {
		advance time.Duration
		kid     string
		want    error
	}{
		{time.Hour, "k1", nil},                       // TTL over: stale keys serve, refresh fails
		{0, "unknown", ErrKeyNotFound},               // a usable set answers unknown kids: 401, not 503
		{12 * time.Hour, "k1", nil},                  // deep in the outage
		{12*time.Hour - time.Second, "k1", nil},      // one second before the window ends
		{time.Second, "k1", ErrKeysUnavailable},      // TTL + StaleIfError: 503
		{time.Second, "unknown", ErrKeysUnavailable}, // nothing usable: unknown kids are 503 too
		{DefaultMaxBackoff + time.Second, "k1", ErrKeysUnavailable},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		_, err := r.Key(ctx, s.kid, jws.ES256)
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("step %d (%s): err = %v, want %v", i, s.kid, err, s.want)
		}
		if errors.Is(err, ErrKeysUnavailable) {
			var fe *FetchError
			if !errors.As(err, &fe) || fe.StatusCode != 503 || !strings.Contains(err.Error(), "status 503") {
				t.Errorf("step %d: %v does not carry the 503", i, err)
			}
		}
	}
	if rec.count(FetchFailed) < 3 {
		t.Errorf("%d FetchFailed events", rec.count(FetchFailed))
	}
	if e, _ := rec.last(FetchFailed); e.Backoff <= 0 || e.Err == nil {
		t.Errorf("FetchFailed %+v", e)
	}
	// The issuer comes back: keys serve again at the next allowed fetch.
	srv.setStatus(0)
	clock.Advance(DefaultMaxBackoff)
	if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestRemoteNeverFetched(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	srv := newKeyServer(t, nil)
	srv.setStatus(http.StatusInternalServerError)
	r, _ := newRemote(t, srv.URL, clock, Options{})
	for i := range 3 {
		_, err := r.Key(ctx, "k1", jws.RS256)
		var fe *FetchError
		if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrKeyNotFound) || !errors.As(err, &fe) || fe.StatusCode != 500 {
			t.Fatalf("lookup %d: %v", i, err)
		}
		if want := "jwks: keys unavailable: jwks: fetch " + srv.URL + ": status 500"; err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
	}
	if err := r.Hydrate(ctx); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("Hydrate = %v", err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests during backoff, want 1", n)
	}
}

func TestRemoteStaleOff(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
	r, _ := newRemote(t, srv.URL, clock, Options{StaleIfError: -1})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv.setStatus(http.StatusBadGateway)
	clock.Advance(time.Hour)
	if _, err := r.Key(ctx, "k1", jws.ES256); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("past TTL without stale window: %v", err)
	}
}

// hangingServer accepts requests and never answers (or answers part of the
// body, then stalls) until the test ends.
func hangingServer(t *testing.T, partial bool) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if partial {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"keys":[`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first: unblocks handlers so Close returns
	return srv
}

func TestRemoteHangingServer(t *testing.T) {
	tests := []struct {
		name     string
		partial  bool
		timeout  time.Duration // Options.Timeout
		deadline time.Duration // caller's context; 0 = none
		min, max time.Duration // bounds on how long the call takes
		want     error
	}{
		{"no response, fetch timeout", false, 300 * time.Millisecond, 0, 250 * time.Millisecond, 3 * time.Second, context.DeadlineExceeded},
		{"stalled body, fetch timeout", true, 300 * time.Millisecond, 0, 250 * time.Millisecond, 3 * time.Second, context.DeadlineExceeded},
		{"caller deadline first", false, 2 * time.Second, 100 * time.Millisecond, 80 * time.Millisecond, 1500 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := hangingServer(t, tt.partial)
			r, rec := newRemote(t, srv.URL, nil, Options{Timeout: tt.timeout})
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			start := time.Now()
			_, err := r.Key(ctx, "k1", jws.ES256)
			took := time.Since(start)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("err = %v, want %v and ErrKeysUnavailable", err, tt.want)
			}
			if took < tt.min || took > tt.max {
				t.Errorf("took %v, want within [%v, %v]", took, tt.min, tt.max)
			}
			// The fetch itself ends at its own timeout, whatever the caller did.
			rec.wait(t, FetchFailed, 1)
			if e, _ := rec.last(FetchFailed); !strings.Contains(e.Err.Error(), "timed out after") {
				t.Errorf("FetchFailed %v", e.Err)
			}
		})
	}
}

// TestRemoteHungRefreshDoesNotBlock: a refresh hanging on the issuer never
// delays lookups of cached keys, and a later refresh runs once it has
// timed out.
func TestRemoteHungRefreshDoesNotBlock(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	k1 := ecKey(t, "k1")
	srv := newKeyServer(t, doc(t, k1))
	r, rec := newRemote(t, srv.URL, clock, Options{Timeout: time.Second})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	srv.update(func(s *keyServer) { s.gate = gate })
	clock.Advance(time.Hour)
	start := time.Now()
	for range 1000 {
		if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 500*time.Millisecond { // a lookup that waited would take the 1 s Timeout
		t.Errorf("1000 lookups during a hung refresh took %v", took)
	}
	rec.wait(t, FetchFailed, 1)
	close(gate)
	srv.update(func(s *keyServer) { s.gate = nil })
	clock.Advance(DefaultMaxBackoff)
	if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, FetchSucceeded, 2)
}

func TestRemoteContextCancelled(t *testing.T) {
	srv := hangingServer(t, false)
	r, _ := newRemote(t, srv.URL, nil, Options{Timeout: 300 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := r.Key(ctx, "k1", jws.ES256)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("a cancelled caller waited %v", took)
	}
	if err := r.Hydrate(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Hydrate = %v", err)
	}
}

func TestRemoteRedirects(t *testing.T) {
	k1 := ecKey(t, "k1")
	other := newKeyServer(t, doc(t, k1))
	var hits atomic.Int64
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(doc(t, k1))
	})
	mux.Handle("/moved", http.RedirectHandler("/jwks.json", http.StatusMovedPermanently))
	mux.Handle("/moved-twice", http.RedirectHandler("/moved", http.StatusFound))
	mux.Handle("/loop", http.RedirectHandler("/loop", http.StatusFound))
	mux.Handle("/away", http.RedirectHandler(other.URL+"/jwks.json", http.StatusFound))
	mux.Handle("/alias", http.RedirectHandler("http://localhost:"+port+"/jwks.json", http.StatusFound))

	tests := []struct {
		path    string
		wantErr string
	}{
		{"/moved", ""},
		{"/moved-twice", ""},
		{"/loop", "stopped after 3 redirects"},
		{"/away", "another origin"},
		{"/alias", "another origin"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, _ := newRemote(t, srv.URL+tt.path, newClock(), Options{})
			err := r.Hydrate(testCtx(t))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if n := other.hits.Load(); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("%d requests reached the JWKS, want 2", n)
	}
}

func TestRemoteResponseLimits(t *testing.T) {
	big := 20 << 20
	tests := []struct {
		name          string
		contentLength bool
		size          int
		maxBytes      int64
		wantErr       string
	}{
		{"20 MiB chunked", false, big, 0, "exceeds the 1048576-byte limit"},
		{"20 MiB with Content-Length", true, big, 0, "response of 20971520 bytes exceeds"},
		{"small cap", false, 4 << 10, 2 << 10, "exceeds the 2048-byte limit"},
		{"at the cap", true, 2 << 10, 2 << 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var written atomic.Int64
			handlerDone := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer func() { handlerDone <- struct{}{} }()
				// A valid document padded with whitespace to the size.
				head, tail := []byte(`{"keys":[]}`), []byte("\n")
				if tt.contentLength {
					w.Header().Set("Content-Length", fmt.Sprint(tt.size))
				}
				n, err := w.Write(head)
				written.Add(int64(n))
				chunk := []byte(strings.Repeat(" ", 64<<10))
				for rest := tt.size - len(head) - len(tail); rest > 0 && err == nil; rest -= len(chunk) {
					n, err = w.Write(chunk[:min(rest, len(chunk))])
					written.Add(int64(n))
				}
				if err == nil {
					n, _ = w.Write(tail)
					written.Add(int64(n))
				}
			}))
			defer srv.Close()
			r, _ := newRemote(t, srv.URL, newClock(), Options{MaxResponseBytes: tt.maxBytes})
			err := r.Hydrate(testCtx(t))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			select {
			case <-handlerDone:
			case <-time.After(5 * time.Second):
				t.Fatal("the server is still writing")
			}
			if tt.size == big && written.Load() >= int64(big) {
				t.Errorf("the whole %d bytes were sent", big)
			}
		})
	}
}

func TestRemoteBadDocuments(t *testing.T) {
	ec := string(mustJSON(t, ecKey(t, "x")))
	tests := []struct {
		name string
		body string
		opts Options
		want string
	}{
		{"invalid JSON", `{"keys":[`, Options{}, "malformed JSON"},
		{"HTML error page", `<html>Service Unavailable</html>`, Options{}, "not a JSON object"},
		{"array", `[` + ec + `]`, Options{}, "not a JSON object"},
		{"keys not an array", `{"keys":{"a":1}}`, Options{}, "not an array"},
		{"too many keys", `{"keys":[` + strings.TrimSuffix(strings.Repeat(ec+",", 101), ",") + `]}`, Options{}, "more than 100 keys"},
		{"too many for a custom cap", `{"keys":[` + ec + `,` + ec + `]}`, Options{MaxKeys: 1}, "more than 1 keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			clock := newClock()
			k1 := ecKey(t, "k1")
			srv := newKeyServer(t, []byte(tt.body))
			r, _ := newRemote(t, srv.URL, clock, tt.opts)
			err := r.Hydrate(ctx)
			if !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, ErrInvalidSet) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("nothing cached: err = %v, want ErrKeysUnavailable, ErrInvalidSet, %q", err, tt.want)
			}
			// With keys cached, a bad document is a failed refresh: the
			// cached keys keep serving.
			srv.setDoc(doc(t, k1))
			clock.Advance(DefaultMaxBackoff)
			if err := r.Hydrate(ctx); err != nil {
				t.Fatal(err)
			}
			srv.setDoc([]byte(tt.body))
			clock.Advance(time.Hour)
			err = r.Hydrate(ctx)
			if err == nil || errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, ErrInvalidSet) {
				t.Fatalf("with keys cached: err = %v", err)
			}
			if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
				t.Fatalf("cached key after a bad document: %v", err)
			}
		})
	}
}

func TestRemoteTenThousandKeys(t *testing.T) {
	x := enc(ed25519Pub(t))
	var b strings.Builder
	b.WriteString(`{"keys":[`)
	for i := range 10000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"kty":"OKP","crv":"Ed25519","use":"sig","alg":"EdDSA","kid":"k%05d","x":"%s"}`, i, x)
	}
	b.WriteString(`]}`)
	body := []byte(b.String())
	srv := newKeyServer(t, body)

	tests := []struct {
		name string
		opts Options
		want string // "" = accepted
	}{
		{"default limits", Options{}, "exceeds the 1048576-byte limit"},
		{"byte cap raised, key cap not", Options{MaxResponseBytes: 4 << 20}, "more than 100 keys"},
		{"both raised", Options{MaxResponseBytes: 4 << 20, MaxKeys: 10000}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			r, rec := newRemote(t, srv.URL, newClock(), tt.opts)
			start := time.Now()
			err := r.Hydrate(ctx)
			t.Logf("%d-byte JWKS of 10,000 keys: %v in %v", len(body), err, time.Since(start))
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, kid := range []string{"k00000", "k04567", "k09999"} {
				if _, err := r.Key(ctx, kid, jws.EdDSA); err != nil {
					t.Errorf("%s: %v", kid, err)
				}
			}
			if e, _ := rec.last(FetchSucceeded); e.Keys != 10000 || rec.count(KeyAdded) != 10000 {
				t.Errorf("%d keys, %d added", e.Keys, rec.count(KeyAdded))
			}
		})
	}
}

func TestRemoteCacheControl(t *testing.T) {
	tests := []struct {
		cacheControl, age string
		opts              Options
		want              time.Duration
	}{
		{"", "", Options{}, time.Hour},
		{"", "", Options{TTL: 10 * time.Minute}, 10 * time.Minute},
		{"private", "", Options{}, time.Hour},
		{"max-age=120", "", Options{}, 2 * time.Minute},
		{"public, max-age=300", "100", Options{}, 200 * time.Second},
		{"max-age=900", "1000", Options{}, time.Minute},
		{`max-age="900"`, "", Options{}, 15 * time.Minute},
		{"Max-Age=900", "", Options{}, 15 * time.Minute},
		{"max-age=600, max-age=120", "", Options{}, 2 * time.Minute},
		{"max-age=1", "", Options{}, time.Minute},
		{"max-age=0", "", Options{MinTTL: 10 * time.Second}, 10 * time.Second},
		{"max-age=31536000", "", Options{}, 24 * time.Hour},
		{"max-age=31536000", "", Options{MaxTTL: 6 * time.Hour}, 6 * time.Hour},
		{"max-age=99999999999999999999999", "", Options{}, 24 * time.Hour},
		{"no-store", "", Options{}, time.Minute},
		{"no-cache, max-age=3600", "", Options{}, time.Minute},
		{"max-age=abc", "", Options{}, time.Minute},
		{"max-age=-5", "", Options{}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.cacheControl+"/"+tt.age, func(t *testing.T) {
			ctx := testCtx(t)
			clock := newClock()
			srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
			srv.update(func(s *keyServer) { s.cacheControl, s.age = tt.cacheControl, tt.age })
			r, rec := newRemote(t, srv.URL, clock, tt.opts)
			if err := r.Hydrate(ctx); err != nil {
				t.Fatal(err)
			}
			if e, _ := rec.last(FetchSucceeded); e.TTL != tt.want {
				t.Fatalf("TTL %v, want %v", e.TTL, tt.want)
			}
			clock.Advance(tt.want - time.Millisecond)
			if _, err := r.Key(ctx, "k1", jws.ES256); err != nil || srv.hits.Load() != 1 {
				t.Fatalf("before TTL: %v, %d requests", err, srv.hits.Load())
			}
			clock.Advance(time.Millisecond)
			if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
				t.Fatal(err)
			}
			rec.wait(t, FetchSucceeded, 2)
			if n := srv.hits.Load(); n != 2 {
				t.Errorf("at TTL: %d requests, want 2", n)
			}
		})
	}
}

func TestMaxAge(t *testing.T) {
	tests := []struct {
		values []string
		want   time.Duration
		ok     bool
	}{
		{nil, 0, false},
		{[]string{"public"}, 0, false},
		{[]string{"public", "max-age=60"}, time.Minute, true},
		{[]string{"max-age=600", "max-age=60"}, time.Minute, true},
		{[]string{" max-age = 60 "}, time.Minute, true},
		{[]string{"max-age="}, 0, true},
		{[]string{"s-maxage=60"}, 0, false},
		{[]string{"max-age=1e3"}, 0, true},
		{[]string{"max-age=+60"}, 0, true},
	}
	for _, tt := range tests {
		got, ok := maxAge(tt.values)
		if got != tt.want || ok != tt.ok {
			t.Errorf("maxAge(%q) = %v, %v; want %v, %v", tt.values, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRemoteETag(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	k1, k2 := ecKey(t, "k1"), ecKey(t, "k2")
	srv := newKeyServer(t, doc(t, k1))
	srv.update(func(s *keyServer) { s.etag = `"v1"` })
	r, rec := newRemote(t, srv.URL, clock, Options{})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Hour)
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	if e, _ := rec.last(FetchSucceeded); !e.NotModified || e.Keys != 1 || e.TTL != time.Hour {
		t.Fatalf("after 304: %+v", e)
	}
	// The 304 renewed freshness: no fetch for another TTL.
	clock.Advance(time.Hour - time.Second)
	if _, err := r.Key(ctx, "k1", jws.ES256); err != nil || srv.hits.Load() != 2 {
		t.Fatalf("after 304: %v, %d requests", err, srv.hits.Load())
	}

	srv.update(func(s *keyServer) { s.doc, s.etag = doc(t, k2), `"v2"` })
	clock.Advance(time.Second)
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Key(ctx, "k2", jws.ES256); err != nil {
		t.Fatal(err)
	}
	// A server that stops sending ETag gets no If-None-Match.
	srv.update(func(s *keyServer) { s.etag = "" })
	clock.Advance(time.Hour)
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	got := fmt.Sprintf("%q", srv.inm)
	srv.mu.Unlock()
	if want := `["" "\"v1\"" "\"v1\"" "\"v2\"" ""]`; got != want {
		t.Errorf("If-None-Match sent %s, want %s", got, want)
	}
	if fmt.Sprint(rec.keyIDs(KeyRemoved)) != "[k1]" || rec.count(KeyAdded) != 2 {
		t.Errorf("removed %v, %d added", rec.keyIDs(KeyRemoved), rec.count(KeyAdded))
	}
}

func TestRemoteBackoff(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
	srv.setStatus(http.StatusServiceUnavailable)
	const (
		interval   = 5 * time.Second
		maxBackoff = 2 * time.Minute
		step       = 250 * time.Millisecond
	)
	r, rec := newRemote(t, srv.URL, clock, Options{MinRefetchInterval: interval, MaxBackoff: maxBackoff})

	// attempts polls Hydrate every step (bounded) and returns the clock
	// times at which a request went out.
	attempts := func(n int) []time.Time {
		var at []time.Time
		for i := 0; i < 10000 && len(at) < n; i++ {
			before := srv.hits.Load()
			_ = r.Hydrate(ctx)
			if srv.hits.Load() > before {
				at = append(at, clock.Now())
			}
			clock.Advance(step)
		}
		return at
	}
	checkGaps := func(at []time.Time) {
		t.Helper()
		for i := 1; i < len(at); i++ {
			d := min(interval<<i, maxBackoff) // after i failures
			lo, hi := max(d/2, interval), d+step
			if gap := at[i].Sub(at[i-1]); gap < lo || gap > hi {
				t.Errorf("gap after failure %d: %v, want within [%v, %v]", i, gap, lo, hi)
			}
		}
	}
	at := attempts(8)
	if len(at) != 8 {
		t.Fatalf("only %d attempts", len(at))
	}
	checkGaps(at)
	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, at[i].Sub(at[i-1]))
	}
	t.Logf("backoff gaps: %v", gaps)
	if e, _ := rec.last(FetchFailed); e.Backoff < maxBackoff/2 || e.Backoff > maxBackoff {
		t.Errorf("last FetchFailed.Backoff = %v", e.Backoff)
	}

	// Recovery resets the count: the next outage starts from the bottom.
	srv.setStatus(0)
	if at := attempts(1); len(at) != 1 {
		t.Fatal("no fetch after recovery")
	}
	if r.failures != 0 {
		t.Errorf("failures = %d after a success", r.failures)
	}
	srv.setStatus(http.StatusServiceUnavailable)
	clock.Advance(time.Hour)
	checkGaps(attempts(3))
}

func TestBackoffJitter(t *testing.T) {
	r, _ := NewRemote("https://example.com", Options{MinRefetchInterval: time.Second, MaxBackoff: time.Minute})
	for n, d := range map[int]time.Duration{1: 2 * time.Second, 3: 8 * time.Second, 6: time.Minute, 60: time.Minute} {
		seen := map[time.Duration]bool{}
		for range 200 {
			b := r.backoff(n)
			if b < d/2 || b > d {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, b, d/2, d)
			}
			seen[b] = true
		}
		if len(seen) < 100 {
			t.Errorf("backoff(%d): %d distinct values in 200: no jitter", n, len(seen))
		}
	}
}

func TestRemoteTLS(t *testing.T) {
	ctx := testCtx(t)
	k1 := ecKey(t, "k1")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(doc(t, k1))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)

	t.Run("caller's client", func(t *testing.T) {
		client := srv.Client()
		r, _ := newRemote(t, srv.URL, nil, Options{HTTPClient: client})
		if err := r.Hydrate(ctx); err != nil {
			t.Fatal(err)
		}
		if client.CheckRedirect != nil {
			t.Error("the caller's client was modified")
		}
		if r.client == client || r.client.Transport != client.Transport {
			t.Error("the caller's client is not copied with its transport")
		}
	})
	t.Run("default client verifies the certificate", func(t *testing.T) {
		r, _ := newRemote(t, srv.URL, nil, Options{})
		err := r.Hydrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v, want a certificate error", err)
		}
	})
	t.Run("caller's redirect policy still applies", func(t *testing.T) {
		client := srv.Client()
		var asked atomic.Int64
		client.CheckRedirect = func(*http.Request, []*http.Request) error {
			asked.Add(1)
			return errors.New("no redirects here")
		}
		mux := http.NewServeMux()
		mux.Handle("/moved", http.RedirectHandler("/jwks.json", http.StatusFound))
		mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(doc(t, k1)) })
		redir := httptest.NewTLSServer(mux)
		t.Cleanup(redir.Close)
		client.Transport = redir.Client().Transport
		r, _ := newRemote(t, redir.URL+"/moved", nil, Options{HTTPClient: client})
		if err := r.Hydrate(ctx); err == nil || asked.Load() != 1 {
			t.Errorf("err = %v, caller's policy asked %d times", err, asked.Load())
		}
	})
}

// TestRemoteNoGoroutineLeak: nothing started by a Remote outlives its
// fetch, so a Remote needs no Close.
func TestRemoteNoGoroutineLeak(t *testing.T) {
	ctx := testCtx(t)
	clock := newClock()
	srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
	settle := func(limit int) int {
		n := runtime.NumGoroutine()
		for i := 0; i < 200 && n > limit; i++ {
			time.Sleep(10 * time.Millisecond) // waiting for goroutines to exit, not for a clock
			n = runtime.NumGoroutine()
		}
		return n
	}
	baseline := settle(0)
	r, rec := newRemote(t, srv.URL, clock, Options{})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if _, err := r.Key(ctx, "k1", jws.ES256); err != nil { // starts a background refresh
		t.Fatal(err)
	}
	rec.wait(t, FetchSucceeded, 2)
	if n := settle(baseline); n > baseline {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines, %d before:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

func TestRemoteHostileKid(t *testing.T) {
	ctx := testCtx(t)
	srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
	r, rec := newRemote(t, srv.URL, newClock(), Options{})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	kid := strings.Repeat("\x1b[31m\n", 4000)
	_, err := r.Key(ctx, kid, jws.ES256)
	if !errors.Is(err, ErrKeyNotFound) || len(err.Error()) > 120 || strings.ContainsAny(err.Error(), "\n\x1b") {
		t.Errorf("err = %q", err)
	}
	e, ok := rec.last(RefetchSuppressed)
	if !ok || len(e.KeyID) > 3*maxEcho || strings.ContainsAny(e.KeyID, "\n\x1b\"") {
		t.Errorf("RefetchSuppressed KeyID %q", e.KeyID)
	}
}

// TestRemoteKeyHitAllocs runs the production path (real clock).
func TestRemoteKeyHitAllocs(t *testing.T) {
	ctx := testCtx(t)
	srv := newKeyServer(t, cognitoJWKS(t))
	r, err := NewRemote(srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	kid := r.Keys()[0].KeyID
	if n := testing.AllocsPerRun(1000, func() { _, _ = r.Key(ctx, kid, jws.RS256) }); n != 0 {
		t.Errorf("Key hit allocates %v times", n)
	}
}

func BenchmarkRemoteKeyHit(b *testing.B) {
	ctx := context.Background()
	srv := newKeyServer(b, cognitoJWKS(b))
	r, err := NewRemote(srv.URL, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Hydrate(ctx); err != nil {
		b.Fatal(err)
	}
	kid := r.Keys()[1].KeyID
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Key(ctx, kid, jws.RS256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRemoteKeyHitParallel(b *testing.B) {
	ctx := context.Background()
	srv := newKeyServer(b, cognitoJWKS(b))
	r, err := NewRemote(srv.URL, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Hydrate(ctx); err != nil {
		b.Fatal(err)
	}
	kid := r.Keys()[1].KeyID
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Key(ctx, kid, jws.RS256); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestRemoteRealClockExpiry covers the production hit path, which learns
// that keys are past their TTL from a timer instead of reading the clock:
// without the timer, a Remote on the real clock would never refresh.
func TestRemoteRealClockExpiry(t *testing.T) {
	ctx := testCtx(t)
	srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
	r, rec := newRemote(t, srv.URL, nil, Options{TTL: 50 * time.Millisecond, MinTTL: time.Millisecond, MinRefetchInterval: time.Millisecond})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	first := r.cur.Load()
	// Bounded polling: real timers need real time to fire.
	for i := 0; i < 300 && srv.hits.Load() < 2; i++ {
		if _, err := r.Key(ctx, "k1", jws.ES256); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.hits.Load(); n < 2 {
		t.Fatalf("no refresh after the TTL: %d requests", n)
	}
	rec.wait(t, FetchSucceeded, 2)
	if !first.expired.Load() {
		t.Error("the first snapshot was never marked expired")
	}
	if e, _ := rec.last(FetchStarted); e.Trigger != TriggerRefresh {
		t.Errorf("trigger %q", e.Trigger)
	}
}

// TestRemoteCollected: the expiry timer does not keep a Remote alive, so
// one that is dropped needs no Close.
func TestRemoteCollected(t *testing.T) {
	srv := newKeyServer(t, doc(t, ecKey(t, "k1")))
	wr, ws := func() (weak.Pointer[Remote], weak.Pointer[snapshot]) {
		r, err := NewRemote(srv.URL, Options{TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Hydrate(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		return weak.Make(r), weak.Make(r.cur.Load())
	}()
	for i := 0; i < 20 && (wr.Value() != nil || ws.Value() != nil); i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond) // let finalizers and the sweeper run
	}
	if wr.Value() != nil || ws.Value() != nil {
		t.Error("a dropped Remote (or its key set) is still reachable")
	}
}
