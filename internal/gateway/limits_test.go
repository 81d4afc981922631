package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// TestTricklingBodyCutOff: a client that sends its body slower than
// limits.min_body_rate gets 408 and loses its connection once body_grace
// has passed, bounded in time; a client at full speed is the control.
func TestTricklingBodyCutOff(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	var got atomic.Int64
	up := newUpstreamFunc(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		if r.URL.Path == "/public/slow" {
			time.Sleep(800 * time.Millisecond)
		}
	})
	gw := newGateway(t, testConfig(t, iss, up, "limits: {min_body_rate: 1000, body_grace: 300ms}\n"))
	addr := strings.TrimPrefix(gw.URL, "http://")
	const size = 5000

	t.Run("control: full speed", func(t *testing.T) {
		resp, err := http.Post(gw.URL+"/public/up", "application/octet-stream", strings.NewReader(strings.Repeat("x", size)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || got.Load() != size {
			t.Fatalf("status %d, upstream read %d bytes", resp.StatusCode, got.Load())
		}
	})
	t.Run("control: slow upstream after a fast body", func(t *testing.T) {
		// The deadline must not outlive the body: the answer may take
		// longer than body_grace.
		req, _ := http.NewRequest("POST", gw.URL+"/public/slow", strings.NewReader("0123456789"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("trickle", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.SetDeadline(start.Add(10 * time.Second)) // the bound: far above grace + rate
		fmt.Fprintf(c, "POST /public/up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
		done := make(chan struct{})
		go func() { // one byte every 50 ms: 20 B/s, far below 1000 B/s
			defer close(done)
			for i := 0; i < size; i++ {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
				if time.Since(start) > 10*time.Second {
					return
				}
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		elapsed := time.Since(start)
		if err != nil {
			t.Fatalf("no answer after %v: %v", elapsed, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("status %d, want 408", resp.StatusCode)
		}
		if elapsed > 5*time.Second {
			t.Errorf("cut off after %v, want about body_grace", elapsed)
		}
		c.Close()
		<-done
	})
}

// TestInFlightCap: beyond limits.max_in_flight the answer is 503 with
// Retry-After; once a slot is free, requests pass again (the control).
func TestInFlightCap(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	up := newUpstreamFunc(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/public/slow" {
			entered <- struct{}{}
			<-release
		}
	})
	gw := newGateway(t, testConfig(t, iss, up, "limits: {max_in_flight: 1}\n"))
	slow := make(chan int)
	go func() {
		resp, err := http.Get(gw.URL + "/public/slow")
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	<-entered
	resp, _ := get(t, gw.URL+"/public/x", nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("over the cap: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	close(release)
	if s := <-slow; s != 200 {
		t.Errorf("the request in flight: %d", s)
	}
	if resp, _ := get(t, gw.URL+"/public/x", nil); resp.StatusCode != 200 {
		t.Errorf("after release: %d", resp.StatusCode)
	}
}

// TestConnectionCap: the listener holds at most limits.max_connections
// connections; the next waits in the accept queue until one closes.
func TestConnectionCap(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(inner, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first := <-accepted
	<-accepted
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted over a cap of 2")
	case <-time.After(200 * time.Millisecond):
	}
	first.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("a freed slot was not reused")
	}
}

// TestMemoryPerConnection measures the gateway's resident memory with
// COGNITOJWT_RSS_CONNS connections (for docs/GATEWAY.md): half of them
// idle keep-alive connections after a request, half trickling a body to
// an anonymous route through to the upstream, under the default limits.
// It is skipped unless the variable is set, and fails when the total
// exceeds the 128 MiB limit of the Kubernetes example.
func TestMemoryPerConnection(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COGNITOJWT_RSS_CONNS"))
	if n <= 0 {
		t.Skip("set COGNITOJWT_RSS_CONNS=3000 to measure")
	}
	trickling := n / 2
	if v := os.Getenv("COGNITOJWT_RSS_TRICKLING"); v != "" {
		trickling, _ = strconv.Atoi(v)
	}
	iss := cognitotest.NewIssuer(t, testKey())
	// The upstream runs in a process of its own, so that only the
	// gateway's memory is measured (the clients below are bare sockets).
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upFile, _ := upLn.(*net.TCPListener).File()
	upLn.Close()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^TestHelperUpstream$")
	cmd.Env = append(os.Environ(), "COGNITOJWT_HELPER_UPSTREAM=1")
	cmd.ExtraFiles = []*os.File{upFile}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	upFile.Close()
	up := "http://" + upLn.Addr().String()
	cfg := testConfig(t, iss, up, "")
	g, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: newLimitListener(inner, cfg.Limits.MaxConnections), Config: &http.Server{Handler: g, IdleTimeout: 120 * time.Second, ReadHeaderTimeout: 10 * time.Second}}
	srv.Start()
	defer srv.Close()
	addr := inner.Addr().String()
	rssBefore := rss(t)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if i >= trickling {
			fmt.Fprintf(c, "GET /public/x HTTP/1.1\r\nHost: x\r\n\r\n")
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				resp.Body.Close()
			}
		} else {
			fmt.Fprintf(c, "POST /public/up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nx")
		}
	}
	time.Sleep(2 * time.Second) // let every accepted connection settle
	after := rss(t)
	t.Logf("%d connections (%d idle, %d trickling, at most %d accepted): RSS %d KiB before, %d KiB after, %.1f KiB per connection",
		len(conns), len(conns)-trickling, trickling, cfg.Limits.MaxConnections, rssBefore, after, float64(after-rssBefore)/float64(min(len(conns), cfg.Limits.MaxConnections)))
	if after > 128<<10 {
		t.Errorf("RSS %d KiB is over 128 MiB", after)
	}
}

// rss is this process's resident set size in KiB (Linux).
func rss(t *testing.T) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestHelperUpstream is the upstream process of TestMemoryPerConnection:
// it serves on the listener it inherits (fd 3) until killed.
func TestHelperUpstream(t *testing.T) {
	if os.Getenv("COGNITOJWT_HELPER_UPSTREAM") != "1" {
		t.Skip("helper process of TestMemoryPerConnection")
	}
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		t.Fatal(err)
	}
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
}
