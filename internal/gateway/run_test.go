package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestRunTLS serves the main listener over TLS, becomes ready once the
// keys are fetched, and shuts down cleanly when its context ends.
func TestRunTLS(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	up := newUpstream(t)
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	cfg := testConfig(t, iss, up.URL, fmt.Sprintf("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ntls: {cert_file: %q, key_file: %q}\n", certFile, keyFile))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, RunOptions{Logger: slog.New(slog.DiscardHandler), Ready: func(main, admin net.Addr) { addrs <- [2]net.Addr{main, admin} }})
	}()
	var a [2]net.Addr
	select {
	case a = <-addrs:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+a[0].String()+"/api/x", nil)
	req.Header.Set("Authorization", "Bearer "+iss.AccessToken())
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("over TLS: status %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	// Go's TLS server answers plain HTTP with a 400, never the route.
	if r, err := http.Get("http://" + a[0].String() + "/api/x"); err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("plain http on the TLS listener: %d", r.StatusCode)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := http.Get("http://" + a[1].String() + "/readyz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// TestReloadKeysUnavailable: a SIGHUP to a valid file whose keys cannot
// be fetched is refused, the configuration that can verify keeps serving
// and /readyz keeps telling the truth about it; once the keys can be
// fetched, the same file is applied (the control).
func TestReloadKeysUnavailable(t *testing.T) {
	iss1 := cognitotest.NewIssuer(t, testKey())
	iss2 := cognitotest.NewIssuer(t, testKey())
	iss2.SetJWKSStatus(http.StatusServiceUnavailable)
	up := newUpstream(t)
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	doc := func(iss *cognitotest.Issuer) []byte {
		return []byte(fmt.Sprintf("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nupstream: %s\ntimeouts: {reload_keys: 2s}\npools: [{user_pool_id: %s, issuer: %q, client_ids: [%s]}]\ndefault: authenticate\n",
			up.URL, iss.PoolID, iss.IssuerURL(), iss.ClientID))
	}
	os.WriteFile(file, doc(iss1), 0o600)
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, RunOptions{ConfigPath: file, Logger: slog.New(slog.DiscardHandler), Ready: func(main, admin net.Addr) { addrs <- [2]net.Addr{main, admin} }})
	}()
	a := <-addrs
	main, admin := "http://"+a[0].String(), "http://"+a[1].String()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	status := func(url string, tok string) int {
		req, _ := http.NewRequest("GET", url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	metric := func(line string) bool { _, body := get(t, admin+"/metrics", nil); return strings.Contains(body, line) }
	waitFor("ready", func() bool { return status(admin+"/readyz", "") == 200 })

	os.WriteFile(file, doc(iss2), 0o600)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("the reload to be refused", func() bool { return metric("cognitojwt_config_reload_failures_total 1") })
	if s := status(admin+"/readyz", ""); s != 200 {
		t.Errorf("readyz %d after a refused reload: the old configuration still verifies", s)
	}
	if s := status(main+"/x", iss1.AccessToken()); s != 200 {
		t.Errorf("old configuration's token: %d, want 200", s)
	}
	if s := status(main+"/x", iss2.AccessToken()); s != 401 {
		t.Errorf("new configuration's token before its reload: %d, want 401", s)
	}

	iss2.SetJWKSStatus(0)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor("the reload to be applied", func() bool { return metric("cognitojwt_config_reloads_total 1") })
	if s := status(main+"/x", iss2.AccessToken()); s != 200 {
		t.Errorf("new configuration's token after its reload: %d, want 200", s)
	}
	if s := status(admin+"/readyz", ""); s != 200 {
		t.Errorf("readyz %d after an applied reload", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestReadyzNeverLies: with keys that cannot be fetched, /readyz answers
// 503 before and after a failed fetch; the control turns 200 once they
// can be.
func TestReadyzNeverLies(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	iss.SetJWKSStatus(http.StatusInternalServerError)
	up := newUpstream(t)
	g, err := New(testConfig(t, iss, up.URL, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(g.AdminHandler())
	defer admin.Close()
	if err := g.Hydrate(context.Background()); err == nil {
		t.Fatal("hydrate succeeded against a failing key set")
	}
	if resp, _ := get(t, admin.URL+"/readyz", nil); resp.StatusCode != 503 {
		t.Errorf("readyz %d while nothing can be verified", resp.StatusCode)
	}
	// A reload to keys that cannot come is refused and changes nothing.
	if err := g.Reload(context.Background(), testConfig(t, iss, up.URL, "timeouts: {reload_keys: 1s}\n")); err == nil {
		t.Error("reload applied without its keys")
	}
	if resp, _ := get(t, admin.URL+"/readyz", nil); resp.StatusCode != 503 {
		t.Errorf("readyz %d after a refused reload", resp.StatusCode)
	}
	iss.SetJWKSStatus(0)
	if err := g.Reload(context.Background(), testConfig(t, iss, up.URL, "")); err != nil {
		t.Fatalf("reload with keys: %v", err)
	}
	if resp, _ := get(t, admin.URL+"/readyz", nil); resp.StatusCode != 200 {
		t.Errorf("readyz %d once keys are fetched", resp.StatusCode)
	}
}
