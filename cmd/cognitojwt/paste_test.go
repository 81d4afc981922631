package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/pastetest"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pasteBlock returns the lines after the banner's "Try it" line: the part
// a user pastes.
func pasteBlock(t *testing.T, banner string) string {
	t.Helper()
	_, block, ok := strings.Cut(banner, "Try it")
	if !ok {
		t.Fatalf("no Try it section:\n%s", banner)
	}
	_, block, _ = strings.Cut(block, "\n")
	return strings.TrimSpace(block)
}

// TestDevBannerPastes runs the lines proxy --dev prints, as printed, in
// bash, zsh -f (also interactive) and fish against the running dev
// gateway, and checks that every curl answers the status its comment
// promises (200 with identity headers, 401, 403, 200, 200) and that the
// M2M curl gets a token.
func TestDevBannerPastes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"proxy", "--dev", "--addr", "127.0.0.1:0", "--admin-addr", "off", "--log-level", "warn"}, strings.NewReader(""), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("proxy --dev did not stop")
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(stdout.String(), "client_credentials") {
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	banner := stdout.String()
	if !strings.Contains(banner, "admin off") || strings.Contains(banner, "on off") {
		t.Errorf("banner with --admin-addr off:\n%s", banner)
	}
	block := pasteBlock(t, banner)
	if got := pastetest.Promised(block); len(got) != 5 || got[0] != 200 || got[1] != 401 || got[2] != 403 {
		t.Fatalf("the banner promises %v", got)
	}
	pastetest.Check(t, block)
	for _, s := range pastetest.Shells(t) {
		if out := pastetest.Run(t, s, block); !strings.Contains(out, `"access_token"`) || !strings.Contains(out, "X-Auth-Username") {
			t.Errorf("%s: no M2M token or no identity headers:\n%s", s.Name, out)
		}
	}
}

// TestIssuerBannerPastes runs the issuer's "get tokens" lines, with and
// without --keys, through every shell's syntax check, and runs the M2M
// curl against a live issuer.
func TestIssuerBannerPastes(t *testing.T) {
	iss := testIssuer(t)
	for _, keys := range []string{"", "/tmp/my keys"} {
		var b strings.Builder
		printIssuerHelp(&b, iss, keys)
		_, block, _ := strings.Cut(b.String(), "fish):\n")
		pastetest.Syntax(t, block)
		pastetest.Comments(t, block)
		if keys == "" {
			for _, s := range pastetest.Shells(t) {
				if out := pastetest.Run(t, s, block); !strings.Contains(out, `"access_token"`) {
					t.Errorf("%s: no M2M token:\n%s", s.Name, out)
				}
			}
		}
	}
}
