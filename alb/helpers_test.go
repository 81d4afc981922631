package alb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testARN    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/1234567890abcdef"
	otherARN   = "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/evil/fedcba0987654321"
	testIssuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"
	testClient = "1example23456789"
	testKID    = "8d0a4f2c-3b1e-4c5d-9e6f-7a8b9c0d1e2f"
)

// testNow is the fixed clock of the tests.
var testNow = time.Unix(1763769600, 0)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemOf(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// keyServer is a local ALB key endpoint: GET /keys/<escaped kid> answers
// the PEM key for kid, or 403 as the real endpoint does for an unknown kid.
type keyServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    map[string][]byte
	fetches map[string]int
	paths   []string
	total   atomic.Int64
	status  atomic.Int32 // when not 0, every request gets this status
	delay   time.Duration
}

func newKeyServer(t testing.TB) *keyServer {
	s := &keyServer{keys: map[string][]byte{}, fetches: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *keyServer) serve(w http.ResponseWriter, r *http.Request) {
	s.total.Add(1)
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	kid, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/keys/"))
	if err != nil {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.fetches[kid]++
	s.paths = append(s.paths, r.URL.EscapedPath())
	doc, ok := s.keys[kid]
	s.mu.Unlock()
	if code := s.status.Load(); code != 0 {
		w.WriteHeader(int(code))
		return
	}
	if !ok {
		http.Error(w, "<Error><Code>AccessDenied</Code></Error>", http.StatusForbidden)
		return
	}
	w.Write(doc)
}

func (s *keyServer) add(kid string, doc []byte) {
	s.mu.Lock()
	s.keys[kid] = doc
	s.mu.Unlock()
}

// mint builds a token in ALB's exact shape: padded base64url segments
// (unless unpadded), a header with kid, signer, iss, client and exp, and
// an ES256 signature over the segments as sent.
func mint(t testing.TB, key *ecdsa.PrivateKey, hdr, claims map[string]any, padded bool) string {
	t.Helper()
	encode := base64.RawURLEncoding.EncodeToString
	if padded {
		encode = base64.URLEncoding.EncodeToString
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := encode(h) + "." + encode(c)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + encode(sig)
}

func albHeader(kid string) map[string]any {
	return map[string]any{
		"alg":    "ES256",
		"kid":    kid,
		"signer": testARN,
		"iss":    testIssuer,
		"client": testClient,
		"exp":    testNow.Add(2 * time.Minute).Unix(),
		"typ":    "JWT",
	}
}

func albClaims() map[string]any {
	return map[string]any{
		"sub":            "4b8e1e5a-3c1f-4f7e-9d2a-6a3b5c7d9e0f",
		"email":          "jane@example.com",
		"email_verified": "true",
		"username":       "jane",
		"exp":            testNow.Add(2 * time.Minute).Unix(),
		"iss":            testIssuer,
	}
}

// fixture is a key server holding testKID, its private key, and a verifier
// configured for it.
type fixture struct {
	srv   *keyServer
	key   *ecdsa.PrivateKey
	clock *clock
	v     *Verifier
}

func newFixture(t testing.TB, edit func(*Config)) *fixture {
	t.Helper()
	f := &fixture{srv: newKeyServer(t), key: newKey(t), clock: &clock{t: testNow}}
	f.srv.add(testKID, pemOf(t, &f.key.PublicKey))
	cfg := Config{
		ALBARNs:   []string{testARN},
		Issuer:    testIssuer,
		ClientIDs: []string{testClient},
		KeyURL:    f.srv.URL + "/keys",
		Now:       f.clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	return f
}

func (f *fixture) token(t testing.TB, editH, editC func(map[string]any)) string {
	t.Helper()
	h, c := albHeader(testKID), albClaims()
	if editH != nil {
		editH(h)
	}
	if editC != nil {
		editC(c)
	}
	return mint(t, f.key, h, c, true)
}
