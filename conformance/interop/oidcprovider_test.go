//go:build unix

package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

const (
	rsResource = "https://rs256.api.example" // access tokens signed RS256
	esResource = "https://es256.api.example" // access tokens signed ES256
)

// privateJWK returns the private JWK of an RSA or P-256 key, as
// oidc-provider reads it.
func privateJWK(t *testing.T, kid string, key any) map[string]string {
	t.Helper()
	b64 := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.Bytes()) }
	switch k := key.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		return map[string]string{
			"kty": "RSA", "kid": kid, "use": "sig",
			"n": b64(k.N), "e": b64(big.NewInt(int64(k.E))), "d": b64(k.D),
			"p": b64(k.Primes[0]), "q": b64(k.Primes[1]),
			"dp": b64(k.Precomputed.Dp), "dq": b64(k.Precomputed.Dq), "qi": b64(k.Precomputed.Qinv),
		}
	case *ecdsa.PrivateKey:
		pad := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.FillBytes(make([]byte, 32))) }
		return map[string]string{
			"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256",
			"x": pad(k.X), "y": pad(k.Y), "d": pad(k.D),
		}
	}
	t.Fatalf("unsupported key %T", key)
	return nil
}

// provider is a running oidc-provider.
type provider struct {
	t      *testing.T
	port   int
	issuer string
	proc   *process
}

// startProvider runs js/oidc-provider.mjs with these keys (kid → private
// key) on port, or with port 0 on a free one (retried if another program
// takes it first).
func startProvider(t *testing.T, port int, keys map[string]any) *provider {
	t.Helper()
	_, node := nodeModules(t, "oidc-provider")
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	for kid, k := range keys {
		set.Keys = append(set.Keys, privateJWK(t, kid, k))
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keysFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("js", "oidc-provider.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{t: t}
	mk := func() (*exec.Cmd, string) {
		p.port = port
		if port == 0 {
			p.port = freePort(t)
		}
		p.issuer = fmt.Sprintf("http://127.0.0.1:%d", p.port)
		cmd := exec.Command(node, script, fmt.Sprint(p.port), keysFile)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NODE_ENV=production")
		return cmd, p.issuer + "/.well-known/openid-configuration"
	}
	if port == 0 {
		p.proc = startServer(t, mk)
		return p
	}
	cmd, url := mk()
	p.proc = start(t, cmd)
	p.proc.waitHTTP(t, url, http.StatusOK)
	return p
}

// clientCredentials asks for a JWT access token for resource.
func (p *provider) clientCredentials(t *testing.T, resource, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {scope}}
	return p.token(t, "m2m", "m2m-secret", form)["access_token"]
}

// token posts form to the token endpoint with client_secret_basic.
func (p *provider) token(t *testing.T, id, secret string, form url.Values) map[string]string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("token endpoint: %d %s", resp.StatusCode, body)
	}
	strs := map[string]string{}
	for k, v := range out {
		if s, ok := v.(string); ok {
			strs[k] = s
		}
	}
	return strs
}

// codeFlow runs the authorization code flow of the client "web" (the
// script signs alice in without a page) and returns the ID token.
func (p *provider) codeFlow(t *testing.T, nonce string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	const redirect = "http://127.0.0.1/callback"
	next := p.issuer + "/auth?" + url.Values{
		"client_id": {"web"}, "response_type": {"code"}, "scope": {"openid email"},
		"redirect_uri": {redirect}, "state": {"st"}, "nonce": {nonce},
	}.Encode()
	for hop := 0; hop < 10; hop++ {
		resp, err := client.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("GET %s: %d without a redirect: %s", next, resp.StatusCode, body)
		}
		if strings.HasPrefix(loc.String(), redirect) {
			code := loc.Query().Get("code")
			if code == "" || loc.Query().Get("state") != "st" {
				t.Fatalf("callback %s", loc)
			}
			out := p.token(t, "web", "web-secret", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}})
			return out["id_token"]
		}
		next = loc.String()
	}
	t.Fatal("the code flow did not reach the callback in 10 redirects")
	return ""
}

func genRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestOIDCProvider verifies oidc-provider's tokens through discovery, with
// the library and the gateway, across a key rotation.
func TestOIDCProvider(t *testing.T) {
	ctx := context.Background()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaOld, rsaNew := genRSA(t), genRSA(t)
	p := startProvider(t, 0, map[string]any{"rsa-1": rsaOld, "ec-1": ec})

	// One library verifier and one gateway live through the rotation.
	var (
		mu     sync.Mutex
		events []jwks.Event
	)
	v, err := oidc.New(oidc.Config{
		Issuer:    p.issuer, // keys by discovery
		Audiences: []string{rsResource, esResource},
		Scopes:    []string{"read"},
		KeyOptions: jwks.Options{MinRefetchInterval: 100 * time.Millisecond, OnEvent: func(e jwks.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	idv, err := oidc.New(oidc.Config{Issuer: p.issuer, Audiences: []string{"web"}, RequiredClaims: []string{"nonce"}})
	if err != nil {
		t.Fatal(err)
	}
	gw := startIssuerGateway(t, p.issuer)

	rsOld := p.clientCredentials(t, rsResource, "read")
	es := p.clientCredentials(t, esResource, "read write")
	writeOnly := p.clientCredentials(t, rsResource, "write")
	idToken := p.codeFlow(t, "n-0S6_WzA2Mj")

	check := func(t *testing.T, v *oidc.Verifier, token string, alg jws.Algorithm, kid string, want error) *oidc.Claims {
		t.Helper()
		c, err := v.Verify(ctx, token)
		if want != nil {
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			return nil
		}
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		if c.Algorithm() != alg || c.KeyID() != kid {
			t.Errorf("signed %s with %q, want %s with %q", c.Algorithm(), c.KeyID(), alg, kid)
		}
		return c
	}
	t.Run("before rotation", func(t *testing.T) {
		c := check(t, v, rsOld, jws.RS256, "rsa-1", nil)
		if c.Subject != "m2m" || !c.HasScope("read") || len(c.Audience) != 1 || c.Audience[0] != rsResource {
			t.Errorf("client_credentials claims %+v", c)
		}
		check(t, v, es, jws.ES256, "ec-1", nil)
		check(t, v, writeOnly, "", "", oidc.ErrMissingScope)
		c = check(t, idv, idToken, jws.ES256, "ec-1", nil)
		var extra struct{ Nonce, Email string }
		if err := c.Decode(&extra); err != nil {
			t.Fatal(err)
		}
		if c.Subject != "alice" || extra.Nonce != "n-0S6_WzA2Mj" || len(c.Audience) != 1 || c.Audience[0] != "web" {
			t.Errorf("ID token claims %+v %+v", c, extra)
		}
		// An access token is no ID token for "web", nor the reverse.
		check(t, idv, rsOld, "", "", oidc.ErrInvalidAudience)
		check(t, v, idToken, "", "", oidc.ErrInvalidAudience)
		gw.expect(t, rsOld, http.StatusOK)
		gw.expect(t, es, http.StatusOK)
		gw.expect(t, idToken, http.StatusUnauthorized)
	})

	// Rotation: the provider restarts on the same port with rsa-1 removed
	// and rsa-2 added; ec-1 stays.
	p.proc.stop(t)
	p = startProvider(t, p.port, map[string]any{"rsa-2": rsaNew, "ec-1": ec})
	rsNew := p.clientCredentials(t, rsResource, "read")

	t.Run("after rotation", func(t *testing.T) {
		// The new kid is unknown: one refetch, without a restart.
		check(t, v, rsNew, jws.RS256, "rsa-2", nil)
		// That refetch dropped rsa-1: its token no longer verifies, even
		// though the verifier remembered it.
		check(t, v, rsOld, "", "", oidc.ErrKeyNotFound)
		check(t, v, es, jws.ES256, "ec-1", nil)
		// The gateway picks the new key up within its refetch interval
		// (5 s by default) and then refuses the removed key's token.
		gw.eventually(t, rsNew, http.StatusOK, 15*time.Second)
		gw.expect(t, rsOld, http.StatusUnauthorized)
		gw.expect(t, es, http.StatusOK)
	})
	if t.Failed() {
		mu.Lock()
		defer mu.Unlock()
		t.Logf("key events: %+v", events)
	}
}

// issuerGateway is cognitojwt proxy trusting one OIDC issuer.
type issuerGateway struct{ url string }

func startIssuerGateway(t *testing.T, issuer string) *issuerGateway {
	t.Helper()
	upstream := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(rw, "sub=%s", r.Header.Get("X-Auth-Sub"))
	}))
	t.Cleanup(upstream.Close)
	var listen string
	startServer(t, func() (*exec.Cmd, string) {
		var admin string
		listen, admin = fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
		cfg := fmt.Sprintf(`listen: %q
admin_listen: %q
upstream: %q
issuers:
  - issuer: %q
    audiences: [%q, %q]
default: authenticate
headers:
  sub: X-Auth-Sub
`, listen, admin, upstream.URL, issuer, rsResource, esResource)
		path := filepath.Join(t.TempDir(), "gateway.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command(cognitojwtBin(t), "proxy", "--config", path), "http://" + admin + "/readyz"
	})
	return &issuerGateway{url: "http://" + listen}
}

func (g *issuerGateway) status(t *testing.T, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.url+"/api", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (g *issuerGateway) expect(t *testing.T, token string, want int) {
	t.Helper()
	if got := g.status(t, token); got != want {
		t.Errorf("gateway answered %d, want %d", got, want)
	}
}

func (g *issuerGateway) eventually(t *testing.T, token string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := g.status(t, token)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway still answers %d after %s, want %d", got, within, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
