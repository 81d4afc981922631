package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/jws"
)

var enc = base64.RawURLEncoding.EncodeToString

// oddBytes is a big-endian number of n bytes, top bit set, odd: it passes
// every RSA modulus check that does not need primes.
func oddBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	b[0] = 0xc5
	b[n-1] |= 1
	return b
}

func ecCoords(t testing.TB, c elliptic.Curve) (x, y []byte) {
	t.Helper()
	point, err := ecPriv(t, c).PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	size := (len(point) - 1) / 2
	return point[1 : 1+size], point[1+size:]
}

func TestParseKey(t *testing.T) {
	n := enc(oddBytes(256))
	p256x, p256y := ecCoords(t, elliptic.P256())
	p384x, p384y := ecCoords(t, elliptic.P384())
	p521x, p521y := ecCoords(t, elliptic.P521())
	x256, y256 := enc(p256x), enc(p256y)
	offCurveY := append([]byte(nil), p256y...)
	offCurveY[31] ^= 1
	p := elliptic.P256().Params().P.FillBytes(make([]byte, 32))
	ed := enc(ed25519Pub(t))

	// A Java BigInteger modulus: a zero sign octet before a top-bit-set octet.
	javaN := enc(append([]byte{0}, oddBytes(256)...))
	lowAfterZero := oddBytes(256)
	lowAfterZero[0] = 0x7f
	badZeroN := enc(append([]byte{0}, lowAfterZero...))

	// The builders replace a member named in extra, else append it; a
	// duplicate member needs obj itself.
	rsaJWK := func(extra ...any) []byte {
		return obj(with([]any{"kty", "RSA", "kid", "r1", "n", n, "e", "AQAB"}, extra...)...)
	}
	rsaNE := func(n, e string) []byte { return obj("kty", "RSA", "n", n, "e", e) }
	ecJWK := func(extra ...any) []byte {
		return obj(with([]any{"kty", "EC", "kid", "e1", "crv", "P-256", "x", x256, "y", y256}, extra...)...)
	}
	okpJWK := func(extra ...any) []byte {
		return obj(with([]any{"kty", "OKP", "kid", "o1", "crv", "Ed25519", "x", ed}, extra...)...)
	}

	tests := []struct {
		name    string
		data    []byte
		wantErr string // substring of the error; "" = accepted
		kty     string
		crv     string
		alg     jws.Algorithm
	}{
		// RSA.
		{name: "rsa", data: rsaJWK(), kty: "RSA"},
		{name: "rsa alg RS256 use sig", data: rsaJWK("alg", "RS256", "use", "sig"), kty: "RSA", alg: jws.RS256},
		{name: "rsa alg PS512", data: rsaJWK("alg", "PS512"), kty: "RSA", alg: jws.PS512},
		{name: "rsa key_ops verify", data: rsaJWK("key_ops", []string{"verify"}), kty: "RSA"},
		{name: "rsa key_ops sign verify", data: rsaJWK("key_ops", []string{"sign", "verify"}), kty: "RSA"},
		{name: "rsa exponent 3", data: rsaNE(n, "Aw"), kty: "RSA"},
		{name: "rsa 8192 bits", data: rsaNE(enc(oddBytes(1024)), "AQAB"), kty: "RSA"},
		{name: "rsa java sign octet", data: rsaNE(javaN, "AQAB"), kty: "RSA"},
		{name: "rsa unknown members and x5c ignored", data: rsaJWK("x5c", []string{"MIIB"}, "x5t", "abc", "ext", map[string]any{"a": 1}), kty: "RSA"},
		{name: "rsa cognito kid", data: obj("kty", "RSA", "kid", "abc+/def=", "n", n, "e", "AQAB"), kty: "RSA"},
		{name: "rsa 1024 bits", data: rsaNE(enc(oddBytes(128)), "AQAB"), wantErr: "outside 2048..8192"},
		{name: "rsa 8200 bits", data: rsaNE(enc(oddBytes(1025)), "AQAB"), wantErr: "outside 2048..8192"},
		{name: "rsa even modulus", data: rsaNE(enc(append(oddBytes(255), 0x10)), "AQAB"), wantErr: "even"},
		{name: "rsa exponent 1", data: rsaNE(n, "AQ"), wantErr: "exponent"},
		{name: "rsa exponent even", data: rsaNE(n, "AQAA"), wantErr: "exponent"},
		{name: "rsa exponent leading zero", data: rsaNE(n, "AAEAAQ"), wantErr: `"e" has leading zero`},
		{name: "rsa exponent 2^31", data: rsaNE(n, "gAAAAQ"), wantErr: "2^31"},
		{name: "rsa exponent 5 bytes", data: rsaNE(n, "AQAAAAE"), wantErr: "2^31"},
		{name: "rsa exponent empty", data: rsaNE(n, ""), wantErr: `"e" has leading zero`},
		{name: "rsa modulus two zero octets", data: rsaNE(enc(append([]byte{0, 0}, oddBytes(256)...)), "AQAB"), wantErr: `"n" has leading zero`},
		{name: "rsa modulus zero before low octet", data: rsaNE(badZeroN, "AQAB"), wantErr: `"n" has leading zero`},
		{name: "rsa modulus padded", data: rsaNE(base64.URLEncoding.EncodeToString(oddBytes(256)), "AQAB"), wantErr: "unpadded base64url"},
		{name: "rsa exponent padded", data: rsaNE(n, "AQAB=="), wantErr: "unpadded base64url"},
		{name: "rsa modulus newline", data: rsaNE(n[:100]+"\n"+n[100:], "AQAB"), wantErr: "unpadded base64url"},
		{name: "rsa modulus CR", data: rsaNE(n[:100]+"\r"+n[100:], "AQAB"), wantErr: "unpadded base64url"},
		{name: "rsa modulus space", data: rsaNE(" "+n, "AQAB"), wantErr: "unpadded base64url"},
		{name: "rsa modulus std base64", data: rsaNE(base64.RawStdEncoding.EncodeToString([]byte{0xfb, 0xff, 0xbf})+n, "AQAB"), wantErr: "unpadded base64url"},
		{name: "rsa exponent non-canonical bits", data: rsaNE(n, "Ax"), wantErr: "canonical"},
		{name: "rsa missing n", data: obj("kty", "RSA", "e", "AQAB"), wantErr: `needs "n" and "e"`},
		{name: "rsa missing e", data: obj("kty", "RSA", "n", n), wantErr: `needs "n" and "e"`},
		{name: "rsa with crv", data: rsaJWK("crv", "P-256"), wantErr: `"crv"`},
		{name: "rsa use enc", data: rsaJWK("use", "enc"), wantErr: `"use"`},
		{name: "rsa use empty", data: rsaJWK("use", ""), wantErr: `"use"`},
		{name: "rsa use SIG", data: rsaJWK("use", "SIG"), wantErr: `"use"`},
		{name: "rsa key_ops sign only", data: rsaJWK("key_ops", []string{"sign"}), wantErr: `"verify"`},
		{name: "rsa key_ops empty", data: rsaJWK("key_ops", []string{}), wantErr: `"verify"`},
		{name: "rsa key_ops repeated", data: rsaJWK("key_ops", []string{"verify", "verify"}), wantErr: "repeats"},
		{name: "rsa key_ops string", data: rsaJWK("key_ops", "verify"), wantErr: "array of strings"},
		{name: "rsa key_ops numbers", data: rsaJWK("key_ops", []int{1}), wantErr: "array of strings"},
		{name: "rsa key_ops null", data: rsaJWK("key_ops", nil), wantErr: "array of strings"},
		{name: "rsa alg HS256", data: rsaJWK("alg", "HS256"), wantErr: "not a supported"},
		{name: "rsa alg none", data: rsaJWK("alg", "none"), wantErr: "not a supported"},
		{name: "rsa alg RSA-OAEP", data: rsaJWK("alg", "RSA-OAEP"), wantErr: "not a supported"},
		{name: "rsa alg lower case", data: rsaJWK("alg", "rs256"), wantErr: "not a supported"},
		{name: "rsa alg ES256", data: rsaJWK("alg", "ES256"), wantErr: "does not fit"},
		{name: "rsa alg EdDSA", data: rsaJWK("alg", "EdDSA"), wantErr: "does not fit"},

		// Private and symmetric material.
		{name: "private d", data: rsaJWK("d", "AQAB"), wantErr: `private key member "d"`},
		{name: "private p", data: rsaJWK("p", "AQAB"), wantErr: `"p"`},
		{name: "private q", data: rsaJWK("q", "AQAB"), wantErr: `"q"`},
		{name: "private dp", data: rsaJWK("dp", "AQAB"), wantErr: `"dp"`},
		{name: "private dq", data: rsaJWK("dq", "AQAB"), wantErr: `"dq"`},
		{name: "private qi", data: rsaJWK("qi", "AQAB"), wantErr: `"qi"`},
		{name: "private oth", data: rsaJWK("oth", []any{}), wantErr: `"oth"`},
		{name: "private d null", data: rsaJWK("d", nil), wantErr: `"d"`},
		{name: "private d on EC", data: ecJWK("d", "AQAB"), wantErr: `"d"`},
		{name: "private d on OKP", data: okpJWK("d", ed), wantErr: `"d"`},
		{name: "oct with k", data: obj("kty", "oct", "k", "c2VjcmV0"), wantErr: `"k"`},
		{name: "oct without k", data: obj("kty", "oct", "alg", "HS256"), wantErr: "not a supported"},
		{name: "oct bare", data: obj("kty", "oct"), wantErr: "oct"},

		// EC.
		{name: "ec P-256", data: ecJWK(), kty: "EC", crv: "P-256"},
		{name: "ec P-256 ES256", data: ecJWK("alg", "ES256", "use", "sig"), kty: "EC", crv: "P-256", alg: jws.ES256},
		{name: "ec P-384", data: obj("kty", "EC", "crv", "P-384", "x", enc(p384x), "y", enc(p384y), "alg", "ES384"), kty: "EC", crv: "P-384", alg: jws.ES384},
		{name: "ec P-521", data: obj("kty", "EC", "crv", "P-521", "x", enc(p521x), "y", enc(p521y)), kty: "EC", crv: "P-521"},
		{name: "ec alg ES384 on P-256", data: ecJWK("alg", "ES384"), wantErr: "does not fit"},
		{name: "ec alg ES512 on P-384", data: obj("kty", "EC", "crv", "P-384", "x", enc(p384x), "y", enc(p384y), "alg", "ES512"), wantErr: "does not fit"},
		{name: "ec alg RS256", data: ecJWK("alg", "RS256"), wantErr: "does not fit"},
		{name: "ec alg ES224", data: ecJWK("alg", "ES224"), wantErr: "not a supported"},
		{name: "ec point off curve", data: ecJWK("y", enc(offCurveY)), wantErr: "not on P-256"},
		{name: "ec point zero", data: ecJWK("x", enc(make([]byte, 32)), "y", enc(make([]byte, 32))), wantErr: "not on P-256"},
		{name: "ec x not reduced", data: ecJWK("x", enc(p)), wantErr: "not on P-256"},
		{name: "ec coordinates of P-256 on P-384", data: ecJWK("crv", "P-384"), wantErr: "must be 48 bytes"},
		{name: "ec x short", data: ecJWK("x", enc(p256x[1:])), wantErr: "must be 32 bytes"},
		{name: "ec x long", data: ecJWK("x", enc(append([]byte{0}, p256x...))), wantErr: "must be 32 bytes"},
		{name: "ec P-521 65 bytes", data: obj("kty", "EC", "crv", "P-521", "x", enc(p521x[1:]), "y", enc(p521y)), wantErr: "must be 66 bytes"},
		{name: "ec secp256k1", data: ecJWK("crv", "secp256k1"), wantErr: "unsupported EC curve"},
		{name: "ec missing y", data: obj("kty", "EC", "crv", "P-256", "x", x256), wantErr: "needs"},
		{name: "ec missing crv", data: obj("kty", "EC", "x", x256, "y", y256), wantErr: "needs"},
		{name: "ec with n", data: ecJWK("n", n), wantErr: `"n"`},
		{name: "ec wrong kty RSA", data: obj("kty", "RSA", "crv", "P-256", "x", x256, "y", y256), wantErr: `"crv"`},

		// OKP.
		{name: "ed25519", data: okpJWK(), kty: "OKP", crv: "Ed25519"},
		{name: "ed25519 EdDSA", data: okpJWK("alg", "EdDSA"), kty: "OKP", crv: "Ed25519", alg: jws.EdDSA},
		{name: "ed25519 alg ES256", data: okpJWK("alg", "ES256"), wantErr: "does not fit"},
		{name: "ed25519 short", data: okpJWK("x", enc(make([]byte, 31))), wantErr: "32 bytes"},
		{name: "x25519", data: okpJWK("crv", "X25519"), wantErr: "unsupported OKP curve"},
		{name: "ed448", data: okpJWK("crv", "Ed448"), wantErr: "unsupported OKP curve"},
		{name: "okp with y", data: okpJWK("y", ed), wantErr: `"y"`},
		{name: "okp missing x", data: obj("kty", "OKP", "crv", "Ed25519"), wantErr: "needs"},

		// Structure.
		{name: "missing kty", data: obj("n", n, "e", "AQAB"), wantErr: `missing "kty"`},
		{name: "kty upper-case member name", data: obj("KTY", "RSA", "n", n, "e", "AQAB"), wantErr: `missing "kty"`},
		{name: "kty unknown", data: obj("kty", "DSA"), wantErr: "unsupported kty"},
		{name: "kty empty", data: obj("kty", ""), wantErr: "unsupported kty"},
		{name: "kty number", data: obj("kty", 1), wantErr: "not a string"},
		{name: "kid number", data: rsaJWK("kid", 7), wantErr: "not a string"},
		{name: "kid not a string", data: obj("kty", "RSA", "kid", 7, "n", n, "e", "AQAB"), wantErr: "not a string"},
		{name: "kid null", data: obj("kty", "RSA", "kid", nil, "n", n, "e", "AQAB"), wantErr: "not a string"},
		{name: "duplicate kty", data: obj("kty", "RSA", "kty", "EC", "n", n, "e", "AQAB"), wantErr: `duplicate member "kty"`},
		{name: "duplicate n", data: obj("kty", "RSA", "n", n, "e", "AQAB", "n", n), wantErr: `duplicate member "n"`},
		{name: "duplicate kid", data: obj("kid", "a", "kty", "RSA", "n", n, "e", "AQAB", "kid", "b"), wantErr: `duplicate member "kid"`},
		{name: "duplicate unknown member", data: obj("kty", "RSA", "n", n, "e", "AQAB", "ext", 1, "ext", 2), wantErr: "duplicate member"},
		{name: "array", data: []byte(`[]`), wantErr: "not a JSON object"},
		{name: "string", data: []byte(`"RSA"`), wantErr: "not a JSON object"},
		{name: "null", data: []byte(`null`), wantErr: "not a JSON object"},
		{name: "empty", data: nil, wantErr: "not a JSON object"},
		{name: "trailing object", data: append(rsaJWK(), `{}`...), wantErr: "after the JSON object"},
		{name: "trailing garbage", data: append(rsaJWK(), 'x'), wantErr: "after the JSON object"},
		{name: "truncated", data: rsaJWK()[:40], wantErr: "malformed JSON"},
		{name: "invalid utf-8", data: rsaJWK("ext", json.RawMessage("\"\xff\"")), wantErr: "UTF-8"},
		{name: "trailing whitespace", data: append(rsaJWK(), " \n"...), kty: "RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.data)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("accepted %s", tt.data)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not mention %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidKey) || !errors.Is(err, jws.ErrInvalidKey) {
					t.Errorf("error %v does not wrap ErrInvalidKey", err)
				}
				if !strings.HasPrefix(err.Error(), "jwks: ") {
					t.Errorf("error %q lacks the jwks: prefix", err)
				}
				if k != nil {
					t.Errorf("returned a key with the error")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if k.KeyType != tt.kty || k.Curve != tt.crv || k.Algorithm != tt.alg {
				t.Errorf("got kty %q crv %q alg %q, want %q %q %q", k.KeyType, k.Curve, k.Algorithm, tt.kty, tt.crv, tt.alg)
			}
			if err := jws.CheckKey(firstFit(t, k), k.Public); err != nil {
				t.Errorf("accepted key fails jws.CheckKey: %v", err)
			}
		})
	}
}

// with returns base with each name/value pair of extra replacing the
// member of that name, or appended.
func with(base []any, extra ...any) []any {
	out := append([]any(nil), base...)
	for i := 0; i+1 < len(extra); i += 2 {
		replaced := false
		for j := 0; j+1 < len(out); j += 2 {
			if out[j] == extra[i] {
				out[j+1], replaced = extra[i+1], true
			}
		}
		if !replaced {
			out = append(out, extra[i], extra[i+1])
		}
	}
	return out
}

// firstFit returns an algorithm the key fits.
func firstFit(t testing.TB, k *Key) jws.Algorithm {
	t.Helper()
	for _, a := range jws.Algorithms() {
		if k.Fits(a) == nil {
			return a
		}
	}
	t.Fatalf("key %q fits no algorithm", k.KeyID)
	return ""
}

func TestParseKeyValues(t *testing.T) {
	t.Run("rsa", func(t *testing.T) {
		want := &rsaKeys()[0].PublicKey
		data := obj("kty", "RSA", "kid", "abc+/=", "n", enc(want.N.Bytes()), "e", "AQAB")
		k, err := ParseKey(data)
		if err != nil {
			t.Fatal(err)
		}
		if !want.Equal(k.Public) || k.KeyID != "abc+/=" {
			t.Errorf("got %+v", k)
		}
	})
	t.Run("java sign octet is the same key", func(t *testing.T) {
		want := &rsaKeys()[0].PublicKey
		k, err := ParseKey(obj("kty", "RSA", "n", enc(append([]byte{0}, want.N.Bytes()...)), "e", "AQAB"))
		if err != nil {
			t.Fatal(err)
		}
		if !want.Equal(k.Public) {
			t.Error("leading zero changed the modulus")
		}
	})
	t.Run("ec", func(t *testing.T) {
		want := &ecPriv(t, elliptic.P384()).PublicKey
		point, _ := want.Bytes()
		k, err := ParseKey(obj("kty", "EC", "crv", "P-384", "x", enc(point[1:49]), "y", enc(point[49:])))
		if err != nil {
			t.Fatal(err)
		}
		if !want.Equal(k.Public) {
			t.Error("wrong point")
		}
	})
	t.Run("ed25519", func(t *testing.T) {
		want := ed25519Pub(t)
		k, err := ParseKey(obj("kty", "OKP", "crv", "Ed25519", "x", enc(want)))
		if err != nil {
			t.Fatal(err)
		}
		if !want.Equal(k.Public) {
			t.Error("wrong key")
		}
	})
}

func TestKeyFits(t *testing.T) {
	rsaAny, _ := NewKey("r", "", &rsaKeys()[0].PublicKey)
	rsaPS, _ := NewKey("r", jws.PS256, &rsaKeys()[0].PublicKey)
	p256, _ := NewKey("e", "", &ecPriv(t, elliptic.P256()).PublicKey)
	p521, _ := NewKey("e", jws.ES512, &ecPriv(t, elliptic.P521()).PublicKey)
	ed, _ := NewKey("o", "", ed25519Pub(t))

	all := jws.Algorithms()
	tests := []struct {
		name string
		key  *Key
		fits []jws.Algorithm
	}{
		{"rsa without alg", rsaAny, []jws.Algorithm{jws.RS256, jws.RS384, jws.RS512, jws.PS256, jws.PS384, jws.PS512}},
		{"rsa pinned PS256", rsaPS, []jws.Algorithm{jws.PS256}},
		{"P-256 without alg", p256, []jws.Algorithm{jws.ES256}},
		{"P-521 pinned", p521, []jws.Algorithm{jws.ES512}},
		{"ed25519", ed, []jws.Algorithm{jws.EdDSA}},
		{"struct literal", &Key{KeyType: "RSA", Public: &rsaKeys()[0].PublicKey}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, a := range all {
				err := tt.key.Fits(a)
				want := false
				for _, f := range tt.fits {
					want = want || f == a
				}
				if (err == nil) != want {
					t.Errorf("Fits(%s) = %v, want fit %v", a, err, want)
				}
				if err != nil && !errors.Is(err, ErrInvalidKey) {
					t.Errorf("Fits(%s) error %v does not wrap ErrInvalidKey", a, err)
				}
			}
			for _, a := range []jws.Algorithm{"", "none", "HS256", "rs256", "ES256K"} {
				err := tt.key.Fits(a)
				if !errors.Is(err, jws.ErrUnsupportedAlgorithm) {
					t.Errorf("Fits(%q) = %v, want ErrUnsupportedAlgorithm", a, err)
				}
			}
		})
	}
	t.Run("no allocation on success", func(t *testing.T) {
		if n := testing.AllocsPerRun(100, func() { _ = rsaAny.Fits(jws.PS384) }); n != 0 {
			t.Errorf("Fits allocates %v times", n)
		}
	})
	t.Run("error echoes a hostile alg briefly", func(t *testing.T) {
		err := rsaAny.Fits(jws.Algorithm(strings.Repeat("A\n", 500)))
		if msg := err.Error(); len(msg) > 120 || strings.Contains(msg, "\n") {
			t.Errorf("message echoes too much: %q", msg)
		}
	})
}

func TestNewKey(t *testing.T) {
	small := &rsa.PublicKey{N: new(big.Int).SetBytes(oddBytes(128)), E: 65537}
	p224 := &ecPriv(t, elliptic.P224()).PublicKey
	tests := []struct {
		name    string
		alg     jws.Algorithm
		pub     crypto.PublicKey
		wantErr string
	}{
		{"rsa", "", &rsaKeys()[0].PublicKey, ""},
		{"rsa RS512", jws.RS512, &rsaKeys()[0].PublicKey, ""},
		{"ec", jws.ES256, &ecPriv(t, elliptic.P256()).PublicKey, ""},
		{"ed25519", jws.EdDSA, ed25519Pub(t), ""},
		{"rsa 1024", "", small, "outside 2048..8192"},
		{"rsa for ES256", jws.ES256, &rsaKeys()[0].PublicKey, "does not fit"},
		{"rsa for HS256", "HS256", &rsaKeys()[0].PublicKey, "not a supported"},
		{"rsa exponent 2^31+1", "", &rsa.PublicKey{N: rsaKeys()[0].N, E: 1<<31 + 1}, "2^31"},
		{"P-224", "", p224, "unsupported EC curve"},
		{"ed25519 short", "", ed25519.PublicKey(make([]byte, 31)), "32 bytes"},
		{"nil rsa", "", (*rsa.PublicKey)(nil), "nil"},
		{"nil ecdsa", "", (*ecdsa.PublicKey)(nil), "nil"},
		{"private key", "", rsaKeys()[0], "unsupported key type"},
		{"nil", "", nil, "unsupported key type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := NewKey("kid", tt.alg, tt.pub)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if k.Fits(firstFit(t, k)) != nil {
					t.Error("key fits nothing")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidKey) {
				t.Errorf("err = %v, want ErrInvalidKey mentioning %q", err, tt.wantErr)
			}
		})
	}
	t.Run("copies the key", func(t *testing.T) {
		pub := ed25519Pub(t)
		keep := append(ed25519.PublicKey(nil), pub...)
		k, err := NewKey("", "", pub)
		if err != nil {
			t.Fatal(err)
		}
		pub[0] ^= 0xff
		if !keep.Equal(k.Public) {
			t.Error("changing the caller's key changed the Key")
		}
		rpub := &rsa.PublicKey{N: new(big.Int).Set(rsaKeys()[0].N), E: 65537}
		rk, _ := NewKey("", "", rpub)
		rpub.N.SetInt64(3)
		if !rsaKeys()[0].PublicKey.Equal(rk.Public) {
			t.Error("changing the caller's RSA key changed the Key")
		}
	})
}

// TestKeyMarshalRoundTrip: what MarshalJSON writes, ParseKey reads back as
// the same key, so servers built on this package publish strict JWKs.
func TestKeyMarshalRoundTrip(t *testing.T) {
	keys := []struct {
		kid string
		alg jws.Algorithm
		pub crypto.PublicKey
	}{
		{"rsa+/=", jws.RS256, &rsaKeys()[0].PublicKey},
		{"rsa-any", "", &rsaKeys()[1].PublicKey},
		{"p256", jws.ES256, &ecPriv(t, elliptic.P256()).PublicKey},
		{"p384", "", &ecPriv(t, elliptic.P384()).PublicKey},
		{"p521", jws.ES512, &ecPriv(t, elliptic.P521()).PublicKey},
		{"", jws.EdDSA, ed25519Pub(t)},
	}
	for _, tt := range keys {
		t.Run(tt.kid, func(t *testing.T) {
			k, err := NewKey(tt.kid, tt.alg, tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			data, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseKey(data)
			if err != nil {
				t.Fatalf("ParseKey(%s): %v", data, err)
			}
			if !identical(k, back) {
				t.Errorf("round trip changed the key: %s", data)
			}
			if !strings.Contains(string(data), `"use":"sig"`) {
				t.Errorf("no use sig: %s", data)
			}
		})
	}
	if _, err := json.Marshal(&Key{}); err == nil {
		t.Error("a struct-literal Key marshalled")
	}
}
