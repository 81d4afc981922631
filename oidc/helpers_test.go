package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	rsaKB  = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	ecKey  = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// testIssuer is a minimal OpenID provider on loopback: discovery, a JWKS,
// and request counters. Keys are signed with crypto/* directly, so the
// code under test verifies tokens it did not produce.
type testIssuer struct {
	srv       *httptest.Server
	mu        sync.Mutex
	keys      map[string]crypto.Signer // kid → private key
	jwksHits  atomic.Int64
	discHits  atomic.Int64
	jwksFail  atomic.Bool
	docIssuer string // issuer the discovery document claims; default the real one
	jwksURI   string // jwks_uri the discovery document claims
}

func newTestIssuer(t testing.TB) *testIssuer {
	ti := &testIssuer{keys: map[string]crypto.Signer{"rsa1": rsaKey(), "ec1": ecKey()}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		ti.discHits.Add(1)
		ti.mu.Lock()
		iss, uri := ti.docIssuer, ti.jwksURI
		ti.mu.Unlock()
		if iss == "" {
			iss = ti.srv.URL
		}
		if uri == "" {
			uri = ti.srv.URL + "/jwks"
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "jwks_uri": uri})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		ti.jwksHits.Add(1)
		if ti.jwksFail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(ti.jwks(t))
	})
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	return ti
}

func (ti *testIssuer) jwks(t testing.TB) []byte {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	var keys []*jwks.Key
	for kid, k := range ti.keys {
		alg := jws.RS256
		if _, ok := k.(*ecdsa.PrivateKey); ok {
			alg = jws.ES256
		}
		jk, err := jwks.NewKey(kid, alg, k.Public())
		if err != nil {
			t.Error(err)
			return nil
		}
		keys = append(keys, jk)
	}
	set, _ := jwks.NewSet(keys...)
	b, err := json.Marshal(set)
	if err != nil {
		t.Error(err)
	}
	return b
}

func (ti *testIssuer) setKeys(keys map[string]crypto.Signer) {
	ti.mu.Lock()
	ti.keys = keys
	ti.mu.Unlock()
}

// config returns a Config for this issuer with a fixed clock.
func (ti *testIssuer) config(now time.Time) Config {
	return Config{
		Issuer:    ti.srv.URL,
		Audiences: []string{"api"},
		JWKSURL:   ti.srv.URL + "/jwks",
		Now:       func() time.Time { return now },
	}
}

// sign makes a compact JWS of header and claims with key, the JWS way.
func sign(t testing.TB, alg jws.Algorithm, key crypto.Signer, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(in))
	var sig []byte
	switch alg {
	case jws.RS256:
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, sum[:])
	case jws.ES256:
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), sum[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	default:
		t.Fatalf("sign: %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// claimsAt returns valid claims for ti, issued at now.
func (ti *testIssuer) claimsAt(now time.Time) map[string]any {
	return map[string]any{
		"iss": ti.srv.URL, "sub": "user-1", "aud": "api",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j1",
	}
}

func (ti *testIssuer) token(t testing.TB, claims map[string]any) string {
	return sign(t, jws.RS256, rsaKey(), map[string]any{"alg": "RS256", "kid": "rsa1"}, claims)
}

// with returns a copy of m with the changes applied; a nil value deletes.
func with(m map[string]any, changes map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}
