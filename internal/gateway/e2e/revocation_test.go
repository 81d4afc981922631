package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/internal/redistest"
	"github.com/cognitojwt/cognitojwt/internal/resp"
	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// propagationBound is how soon a revocation written anywhere must be
// refused by every instance.
const propagationBound = time.Second

// revokeCLI runs "cognitojwt revoke" and returns its exit code.
func revokeCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, gatewayBin, append([]string{"revoke"}, args...)...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// until polls every gateway with token until each answers want, and
// fails after bound; it returns how long the slowest took.
func until(t *testing.T, c interface{ get(string, string) int }, gws []*gatewayProc, token string, want int, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(bound)
	var slowest time.Duration
	for _, gw := range gws {
		for {
			got := c.get(gw.URL+"/api/x", token)
			if got == want {
				slowest = max(slowest, time.Since(start))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("gateway %s answers %d after %v, want %d", gw.URL, got, bound, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return slowest
}

type statusClient struct{ t *testing.T }

func (s statusClient) get(url, token string) int { return get(s.t, newClientOnce(), url, token).Status }

var newClientOnce = sync.OnceValue(newClient)

// Two gateway processes share one real Redis. A revocation through the
// command is refused by both within a second while other users pass;
// with Redis killed, deny mode answers 503; once Redis restarts, the
// revocation still holds; after a burst of 10,000 revocations no instance
// is behind by more than the bound.
func TestRevocationTwoGateways(t *testing.T) {
	srv := redistest.Start(t)
	iss := cognitotest.NewIssuer(t, signingKey)
	up := newUpstream(t)
	block := fmt.Sprintf("\nrevocation:\n  store: %q\n  on_unavailable: deny\n", srv.URL())
	var gws []*gatewayProc
	for range 2 {
		gw := startGateway(t, newConfig(iss, up.URL))
		gw.waitReady(10 * time.Second) // SIGHUP is handled once Run is serving
		// The block arrives by a reload: revocation is reloadable.
		gw.writeRawConfig([]byte(renderConfig(t, gw.cfg) + block))
		gw.signal(syscall.SIGHUP)
		waitLog(t, gw, "configuration reloaded", 1, 10*time.Second)
		gw.waitReady(10 * time.Second)
		gws = append(gws, gw)
	}
	c := statusClient{t}
	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	bob := iss.AccessToken(cognitotest.TokenOptions{Username: "bob"})
	until(t, c, gws, alice, 200, 5*time.Second)

	code, out := revokeCLI(t, "--store", srv.URL(), "--username", "alice")
	if code != 0 {
		t.Fatalf("revoke: exit %d: %s", code, out)
	}
	took := until(t, c, gws, alice, 401, propagationBound)
	t.Logf("revocation refused by both gateways %v after the command returned", took)
	until(t, c, gws, bob, 200, time.Second)

	srv.Stop()
	until(t, c, gws, bob, 503, 3*time.Second)
	for _, gw := range gws {
		r := get(t, newClientOnce(), gw.URL+"/api/x", bob)
		if r.Status != 503 || r.Header.Get("Retry-After") == "" || r.Header.Get("WWW-Authenticate") != "" {
			t.Fatalf("store down: %d, Retry-After %q, WWW-Authenticate %q", r.Status, r.Header.Get("Retry-After"), r.Header.Get("WWW-Authenticate"))
		}
	}
	if code, out := revokeCLI(t, "--store", srv.URL(), "--jti", "x", "--timeout", "2s"); code != 3 {
		t.Fatalf("revoke with Redis down: exit %d, want 3: %s", code, out)
	}

	srv.Restart()
	until(t, c, gws, bob, 200, 5*time.Second)
	until(t, c, gws, alice, 401, time.Second)

	// The burst: 10,000 revocations from four writers, as many instances
	// of the command or the library would send them.
	o, _ := resp.ParseURL(srv.URL())
	admin := resp.New(o)
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := admin.Do(ctx, "CONFIG", "SET", "appendfsync", "everysec"); err != nil { // the burst measures propagation, not fsync
		t.Fatal(err)
	}
	const burst, writers = 10_000, 4
	before := make([]float64, len(gws))
	for i, gw := range gws {
		before[i] = gw.metrics()["cognitojwt_revocation_propagation_seconds_count"]
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := resp.New(o)
			defer cl.Close()
			for i := w; i < burst; i += writers {
				now := time.Now()
				e := revocation.Entry{Kind: revocation.JTI, Value: "burst-" + strconv.Itoa(i), At: now, Expires: now.Add(time.Hour)}
				args, err := revsync.WriteArgs(revsync.DefaultPrefix, e, now)
				if err == nil {
					err = cl.Eval(ctx, revsync.WriteScript, []string{revsync.SetKey(revsync.DefaultPrefix)}, args)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	last := iss.AccessToken(cognitotest.TokenOptions{JTI: "burst-" + strconv.Itoa(burst-1)})
	until(t, c, gws, last, 401, propagationBound)
	for i, gw := range gws {
		var m map[string]float64
		deadline := time.Now().Add(propagationBound)
		for {
			m = gw.metrics()
			if m["cognitojwt_revocation_propagation_seconds_count"]-before[i] >= burst || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		n := m["cognitojwt_revocation_propagation_seconds_count"] - before[i]
		late := m["cognitojwt_revocation_propagation_seconds_count"] - m[`cognitojwt_revocation_propagation_seconds_bucket{le="1"}`]
		t.Logf("gateway %d: %v revocations applied, %v later than 1 s, mean lag %.2f ms", i, n, late,
			1000*(m["cognitojwt_revocation_propagation_seconds_sum"])/m["cognitojwt_revocation_propagation_seconds_count"])
		if n < burst || late > 0 {
			t.Fatalf("gateway %d: %v of %d applied, %v beyond 1 s", i, n, burst, late)
		}
	}
	until(t, c, gws, bob, 200, time.Second)
	if !strings.Contains(gws[0].logs.String(), "revocation store in step") {
		t.Error("no log of the store's state")
	}
}
