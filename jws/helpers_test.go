package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"math/big"
	"sync"
	"testing"
)

// testKeys are generated once per test binary: RSA generation is slow.
type testKeys struct {
	rsa2048 *rsa.PrivateKey
	rsa1024 *rsa.PrivateKey
	p256    *ecdsa.PrivateKey
	p384    *ecdsa.PrivateKey
	p521    *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
}

var keysOnce = sync.OnceValue(func() *testKeys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	k := &testKeys{}
	var err error
	k.rsa2048, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

func keys(t testing.TB) *testKeys {
	t.Helper()
	return keysOnce()
}

// signer returns the private key used for alg in tests.
func (k *testKeys) signer(alg Algorithm) crypto.Signer {
	switch alg {
	case RS256, RS384, RS512, PS256, PS384, PS512:
		return k.rsa2048
	case ES256:
		return k.p256
	case ES384:
		return k.p384
	case ES512:
		return k.p521
	case EdDSA:
		return k.ed
	}
	return nil
}

func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(msg)
		return s[:]
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return s[:]
	default:
		s := sha512.Sum512(msg)
		return s[:]
	}
}

// rawSign signs msg the JWS way for alg with key, independently of the code
// under test (only crypto/* is used).
func rawSign(t testing.TB, alg Algorithm, key crypto.Signer, msg []byte) []byte {
	t.Helper()
	p := alg.params()
	var sig []byte
	var err error
	switch p.fam {
	case famRSA:
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), p.hash, digest(p.hash, msg))
	case famPSS:
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), p.hash, digest(p.hash, msg), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case famECDSA:
		k := key.(*ecdsa.PrivateKey)
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, k, digest(p.hash, msg))
		size := (k.Curve.Params().BitSize + 7) / 8
		sig = make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
	case famEdDSA:
		sig = ed25519.Sign(key.(ed25519.PrivateKey), msg)
	default:
		t.Fatalf("cannot sign %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// makeToken assembles and signs a compact JWS from literal JSON texts.
func makeToken(t testing.TB, alg Algorithm, key crypto.Signer, header, claims string) string {
	t.Helper()
	in := enc(header) + "." + enc(claims)
	return in + "." + base64.RawURLEncoding.EncodeToString(rawSign(t, alg, key, []byte(in)))
}

// unsigned assembles a token with a dummy signature, for parser tests.
func unsigned(header, claims string) string {
	return enc(header) + "." + enc(claims) + "." + enc("signature")
}

// cognitoAccessClaims is an access token's claims as Cognito issues them.
const cognitoAccessClaims = `{"sub":"4b8e1e5a-3c1f-4f7e-9d2a-6a3b5c7d9e0f","cognito:groups":["admin","users"],"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI","version":2,"client_id":"1example23456789abcdefghij","origin_jti":"6b2f0c9e-1d4a-4e8b-a7c3-2f5e9d1b8a60","event_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","token_use":"access","scope":"openid profile email my-api/read","auth_time":1763769600,"exp":1763773200,"iat":1763769600,"jti":"0f1e2d3c-4b5a-4968-8776-655443322110","username":"4b8e1e5a-3c1f-4f7e-9d2a-6a3b5c7d9e0f"}`

const cognitoHeader = `{"kid":"abcdEFGH1234ijklMNOP5678qrstUVWX90yz+/abcd=","alg":"RS256"}`
