package e2e

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// BenchmarkGatewayOverhead measures one request to the upstream directly
// and through the gateway process (valid token, cached; keys fetched),
// each over its own keep-alive connection on loopback, in the same run.
// The gateway sub-benchmark reports the difference (overhead-ns/op) and
// the ratio (x-direct); hop is a request to the gateway process's
// /healthz, the cost of reaching another process at all; forward-auth is
// the check alone (nginx auth_request, Traefik ForwardAuth). Allocations
// are the client's, in this process: the gateway is another process.
//
//	go test -run '^$' -bench GatewayOverhead -benchtime 3s -count 5 ./internal/gateway/e2e/
func BenchmarkGatewayOverhead(b *testing.B) {
	iss := cognitotest.NewIssuer(b, signingKey)
	up := newUpstream(b)
	gw := startGateway(b, newConfig(iss, up.URL))
	gw.waitReady(15 * time.Second)
	tok := iss.AccessToken()

	one := func(b *testing.B, c *http.Client, url string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}

	var direct float64 // ns/op of the direct sub-benchmark
	run := func(b *testing.B, url string) float64 {
		c := newClient()
		defer c.CloseIdleConnections()
		one(b, c, url) // connect, and let the gateway cache the token
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			one(b, c, url)
			n++
		}
		return float64(b.Elapsed().Nanoseconds()) / float64(n)
	}
	b.Run("direct", func(b *testing.B) {
		direct = run(b, up.URL+"/api/ping")
	})
	// The gateway process's /healthz: one round trip to another process
	// with no work in it, the floor under forward-auth and half the floor
	// under the proxy (which makes two such hops).
	b.Run("hop", func(b *testing.B) {
		run(b, gw.AdminURL+"/healthz")
	})
	b.Run("gateway", func(b *testing.B) {
		ns := run(b, gw.URL+"/api/ping")
		if direct > 0 {
			b.ReportMetric(ns-direct, "overhead-ns/op")
			b.ReportMetric(ns/direct, "x-direct")
		}
	})
	// The check alone, as nginx auth_request or Traefik ForwardAuth make
	// it: one round trip to the gateway, no upstream.
	b.Run("forward-auth", func(b *testing.B) {
		c := newClient()
		defer c.CloseIdleConnections()
		check := func() {
			req, _ := http.NewRequest(http.MethodGet, gw.URL+"/_auth", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("X-Original-Method", "GET")
			req.Header.Set("X-Original-URI", "/api/ping")
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		check()
		b.ReportAllocs()
		for b.Loop() {
			check()
		}
	})
}
