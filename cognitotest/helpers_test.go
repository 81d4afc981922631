package cognitotest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// RSA key generation is slow under the race detector: each test binary
// generates a few keys once and shares them.
var (
	rsaOnce [4]sync.Once
	rsaKeys [4]*rsa.PrivateKey
	rsaErrs [4]error
)

// rsaKey returns shared RSA key n (0 to 3).
func rsaKey(t testing.TB, n int) *rsa.PrivateKey {
	t.Helper()
	rsaOnce[n].Do(func() { rsaKeys[n], rsaErrs[n] = cognitotest.GenerateKey() })
	if rsaErrs[n] != nil {
		t.Fatal(rsaErrs[n])
	}
	return rsaKeys[n]
}

func ecKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newIssuer starts an issuer signing with shared key 0.
func newIssuer(t testing.TB, signers ...crypto.Signer) *cognitotest.Issuer {
	t.Helper()
	if len(signers) == 0 {
		signers = []crypto.Signer{rsaKey(t, 0)}
	}
	return cognitotest.NewIssuer(t, signers...)
}

// get fetches url and returns the status, the Content-Type and the body.
func get(t testing.TB, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// fetchSet fetches and parses the issuer's key set, failing on any
// skipped entry.
func fetchSet(t testing.TB, iss *cognitotest.Issuer) *jwks.Set {
	t.Helper()
	status, _, body := get(t, iss.JWKSURL())
	if status != http.StatusOK {
		t.Fatalf("GET jwks.json: status %d: %s", status, body)
	}
	set, skipped, err := jwks.ParseSet(body, nil)
	if err != nil {
		t.Fatalf("jwks.ParseSet: %v\n%s", err, body)
	}
	if len(skipped) > 0 {
		t.Fatalf("jwks.ParseSet skipped %v\n%s", skipped, body)
	}
	return set
}

// verify parses token and verifies it against the key set, returning the
// parsed token.
func verify(t testing.TB, set *jwks.Set, token string) (*jws.Token, error) {
	t.Helper()
	tok, err := jws.Parse(token)
	if err != nil {
		t.Fatalf("jws.Parse: %v", err)
	}
	key, err := set.Lookup(tok.Header.KeyID, tok.Header.Algorithm)
	if err != nil {
		return tok, err
	}
	return tok, tok.Verify(key.Public)
}

// mustVerify is verify that fails the test on error.
func mustVerify(t testing.TB, set *jwks.Set, token string) *jws.Token {
	t.Helper()
	tok, err := verify(t, set, token)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return tok
}

// claim returns claim name of tok, failing the test when it is absent.
func claim(t testing.TB, tok *jws.Token, name string) jws.Value {
	t.Helper()
	v, ok := tok.Claims.Get(name)
	if !ok {
		t.Fatalf("claim %q absent; claims: %s", name, tok.Claims.Raw())
	}
	return v
}

func str(t testing.TB, tok *jws.Token, name string) string {
	t.Helper()
	s, err := claim(t, tok, name).AsString()
	if err != nil {
		t.Fatalf("claim %q: %v", name, err)
	}
	return s
}
