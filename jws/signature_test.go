package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"
	"testing"
)

// TestVerifyRoundTrip runs every algorithm with the key as it is and
// prepared as a *Key: a valid signature verifies, and each tampering is
// refused, both ways.
func TestVerifyRoundTrip(t *testing.T) {
	k := keys(t)
	for _, alg := range Algorithms() {
		key := k.signer(alg)
		prepared, err := NewKey(key.Public())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []struct {
			name string
			pub  crypto.PublicKey
		}{{"raw", key.Public()}, {"prepared", prepared}} {
			t.Run(string(alg)+"/"+v.name, func(t *testing.T) {
				pub := v.pub
				tok := makeToken(t, alg, key, `{"alg":"`+string(alg)+`","kid":"k1"}`, `{"sub":"u"}`)
				parsed, err := Parse(tok)
				if err != nil {
					t.Fatal(err)
				}
				if err := parsed.Verify(pub); err != nil {
					t.Fatalf("valid signature refused: %v", err)
				}
				if got, ok := parsed.VerifiedKey().(interface{ Equal(crypto.PublicKey) bool }); !ok || !got.Equal(key.Public()) {
					t.Errorf("VerifiedKey is %T, not the key verified with", parsed.VerifiedKey())
				}
				// Flip one bit of the signature, then of the signing input.
				sig := append([]byte(nil), parsed.Signature...)
				sig[len(sig)/2] ^= 0x01
				if err := VerifySignature(alg, pub, parsed.SigningInput(), sig); !errors.Is(err, ErrInvalidSignature) {
					t.Errorf("tampered signature: %v", err)
				}
				in := append([]byte(nil), parsed.SigningInput()...)
				in[len(in)-1] ^= 0x01
				if err := VerifySignature(alg, pub, in, parsed.Signature); !errors.Is(err, ErrInvalidSignature) {
					t.Errorf("tampered input: %v", err)
				}
				// Truncated and extended signatures.
				if err := VerifySignature(alg, pub, parsed.SigningInput(), parsed.Signature[:len(parsed.Signature)-1]); !errors.Is(err, ErrInvalidSignature) {
					t.Errorf("short signature: %v", err)
				}
				long := append(append([]byte(nil), parsed.Signature...), 0)
				if err := VerifySignature(alg, pub, parsed.SigningInput(), long); !errors.Is(err, ErrInvalidSignature) {
					t.Errorf("long signature: %v", err)
				}
				if err := VerifySignature(alg, pub, parsed.SigningInput(), nil); !errors.Is(err, ErrInvalidSignature) {
					t.Errorf("empty signature: %v", err)
				}
			})
		}
	}
}

// TestNewKey: what NewKey refuses, and that a prepared key keeps every
// refusal of VerifySignature (the wrong family, the zero Key) while the
// control verifies.
func TestNewKey(t *testing.T) {
	k := keys(t)
	n := k.rsa2048.N
	for _, c := range []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"nil RSA", (*rsa.PublicKey)(nil)},
		{"nil", nil},
		{"unsupported type", "key"},
		{"RSA-1024", &k.rsa1024.PublicKey},
		{"even modulus", &rsa.PublicKey{N: new(big.Int).Add(n, big.NewInt(1)), E: 65537}},
		{"exponent 2^31", &rsa.PublicKey{N: n, E: int(two31)}},
		{"exponent 1", &rsa.PublicKey{N: n, E: 1}},
	} {
		if _, err := NewKey(c.pub); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", c.name, err)
		}
	}

	signer := k.rsa2048
	tok, err := Parse(makeToken(t, RS256, signer, `{"alg":"RS256"}`, `{"sub":"u"}`))
	if err != nil {
		t.Fatal(err)
	}
	// The Key holds a copy: changing the key it was made from after the
	// fact changes nothing.
	pub := &rsa.PublicKey{N: new(big.Int).Set(signer.N), E: signer.E}
	prepared, err := NewKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pub.N.Add(pub.N, big.NewInt(2))
	if err := tok.Verify(prepared); err != nil {
		t.Fatalf("control: %v", err)
	}
	if prepared.Public().(*rsa.PublicKey).N.Cmp(signer.N) != 0 {
		t.Error("Public is not the key prepared")
	}
	if err := VerifySignature(ES256, prepared, tok.SigningInput(), tok.Signature); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("an RSA Key for ES256: %v, want ErrInvalidKey", err)
	}
	for _, zero := range []*Key{{}, nil} {
		if err := VerifySignature(RS256, zero, tok.SigningInput(), tok.Signature); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("zero or nil Key: %v, want ErrInvalidKey", err)
		}
	}
}

func TestVerifyKeyBinding(t *testing.T) {
	k := keys(t)
	edPub := k.ed.Public().(ed25519.PublicKey)
	tests := []struct {
		name string
		alg  Algorithm
		key  crypto.PublicKey
		want error
	}{
		{"RSA key for ES256", ES256, &k.rsa2048.PublicKey, ErrInvalidKey},
		{"EC key for RS256", RS256, &k.p256.PublicKey, ErrInvalidKey},
		{"EC key for PS256", PS256, &k.p256.PublicKey, ErrInvalidKey},
		{"Ed25519 key for ES256", ES256, edPub, ErrInvalidKey},
		{"RSA key for EdDSA", EdDSA, &k.rsa2048.PublicKey, ErrInvalidKey},
		{"P-384 key for ES256", ES256, &k.p384.PublicKey, ErrInvalidKey},
		{"P-256 key for ES512", ES512, &k.p256.PublicKey, ErrInvalidKey},
		{"RSA 1024", RS256, &k.rsa1024.PublicKey, ErrInvalidKey},
		{"RSA 1024 PSS", PS256, &k.rsa1024.PublicKey, ErrInvalidKey},
		{"RSA even exponent", RS256, &rsa.PublicKey{N: k.rsa2048.N, E: 65536}, ErrInvalidKey},
		{"RSA exponent 1", RS256, &rsa.PublicKey{N: k.rsa2048.N, E: 1}, ErrInvalidKey},
		{"RSA even modulus", RS256, &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 2047), E: 65537}, ErrInvalidKey},
		{"RSA 8200 bits", RS256, &rsa.PublicKey{N: new(big.Int).SetBit(new(big.Int).Lsh(big.NewInt(1), 8199), 0, 1), E: 65537}, ErrInvalidKey},
		{"RSA nil modulus", RS256, &rsa.PublicKey{E: 65537}, ErrInvalidKey},
		{"nil RSA pointer", RS256, (*rsa.PublicKey)(nil), ErrInvalidKey},
		{"nil EC pointer", ES256, (*ecdsa.PublicKey)(nil), ErrInvalidKey},
		{"EC nil coordinates", ES256, &ecdsa.PublicKey{Curve: k.p256.Curve}, ErrInvalidKey},
		{"Ed25519 short", EdDSA, edPub[:31], ErrInvalidKey},
		{"private key instead of public", RS256, k.rsa2048, ErrInvalidKey},
		{"nil key", RS256, nil, ErrInvalidKey},
		{"alg none", "none", &k.rsa2048.PublicKey, ErrAlgNone},
		{"alg HS256", "HS256", &k.rsa2048.PublicKey, ErrSymmetricAlgorithm},
		{"alg unknown", "XS256", &k.rsa2048.PublicKey, ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := make([]byte, 256)
			if err := VerifySignature(tt.alg, tt.key, []byte("a.b"), sig); !errors.Is(err, tt.want) {
				t.Errorf("VerifySignature = %v, want %v", err, tt.want)
			}
			if err := CheckKey(tt.alg, tt.key); !errors.Is(err, tt.want) {
				t.Errorf("CheckKey = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCheckKeyOffCurve(t *testing.T) {
	k := keys(t)
	bad := &ecdsa.PublicKey{Curve: k.p256.Curve, X: new(big.Int).Set(k.p256.X), Y: new(big.Int).Add(k.p256.Y, big.NewInt(1))}
	if err := CheckKey(ES256, bad); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("off-curve point: CheckKey = %v", err)
	}
	// VerifySignature leaves the point check to crypto/ecdsa: it must
	// still refuse.
	in := []byte("a.b")
	sig := rawSign(t, ES256, k.p256, in)
	if err := VerifySignature(ES256, bad, in, sig); err == nil {
		t.Error("off-curve point verified a signature")
	}
}

// A signature made by an RSA key must not verify as RS256 when presented
// as PS256, and vice versa: the algorithm is part of what is verified.
func TestVerifyAlgorithmIsBound(t *testing.T) {
	k := keys(t)
	in := []byte(enc(`{"alg":"RS256"}`) + "." + enc(`{}`))
	pairs := [][2]Algorithm{{RS256, PS256}, {PS256, RS256}, {RS256, RS384}, {RS512, RS256}, {PS256, PS384}, {ES384, ES512}}
	for _, p := range pairs {
		sig := rawSign(t, p[0], k.signer(p[0]), in)
		if err := VerifySignature(p[1], k.signer(p[1]).Public(), in, sig); err == nil {
			t.Errorf("%s signature verified as %s", p[0], p[1])
		}
	}
}

func TestVerifyECDSAEncoding(t *testing.T) {
	k := keys(t)
	in := []byte("header.payload")
	digest := digest(crypto.SHA256, in)
	r, s, err := ecdsa.Sign(rand.Reader, k.p256, digest)
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	n := k.p256.Curve.Params().N
	fixed := func(r, s *big.Int) []byte {
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
	if err := VerifySignature(ES256, &k.p256.PublicKey, in, fixed(r, s)); err != nil {
		t.Fatalf("valid raw signature refused: %v", err)
	}
	highS := new(big.Int).Sub(n, s)
	if err := VerifySignature(ES256, &k.p256.PublicKey, in, fixed(r, highS)); err != nil {
		t.Errorf("high-S signature is valid ECDSA and must verify: %v", err)
	}
	bad := map[string][]byte{
		"DER":                  der,
		"zero r and s":         make([]byte, 64),
		"r = n":                fixed(n, s),
		"s = n":                fixed(r, n),
		"r + n does not fit":   append([]byte{1}, fixed(r, s)...),
		"r zero":               fixed(big.NewInt(0), s),
		"s zero":               fixed(r, big.NewInt(0)),
		"ES384 length for 256": make([]byte, 96),
	}
	for name, sig := range bad {
		if err := VerifySignature(ES256, &k.p256.PublicKey, in, sig); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestVerifyPSSSaltLength(t *testing.T) {
	k := keys(t)
	in := []byte("header.payload")
	for _, salt := range []int{0, 20, 31, 33, 64} {
		sig, err := rsa.SignPSS(rand.Reader, k.rsa2048, crypto.SHA256, digest(crypto.SHA256, in), &rsa.PSSOptions{SaltLength: salt})
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifySignature(PS256, &k.rsa2048.PublicKey, in, sig); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("PS256 with salt %d: %v", salt, err)
		}
	}
}

func TestNonCanonicalHelperIsLenientlyEqual(t *testing.T) {
	// Guards the parser test: the mutated segment must decode to the same
	// bytes under Go's lenient decoder, so only the canonical check can
	// refuse it.
	seg := enc("signatures")
	mut := nonCanonical(seg)
	a, err1 := base64.RawURLEncoding.DecodeString(seg)
	b, err2 := base64.RawURLEncoding.DecodeString(mut)
	if err1 != nil || err2 != nil || string(a) != string(b) || seg == mut {
		t.Fatalf("helper broken: %q %q %v %v", seg, mut, err1, err2)
	}
}

func TestAlgorithmMetadata(t *testing.T) {
	want := map[Algorithm][2]string{
		RS256: {"RSA", ""}, RS384: {"RSA", ""}, RS512: {"RSA", ""},
		PS256: {"RSA", ""}, PS384: {"RSA", ""}, PS512: {"RSA", ""},
		ES256: {"EC", "P-256"}, ES384: {"EC", "P-384"}, ES512: {"EC", "P-521"},
		EdDSA: {"OKP", "Ed25519"},
	}
	if len(Algorithms()) != len(want) {
		t.Fatalf("Algorithms() has %d entries", len(Algorithms()))
	}
	for _, a := range Algorithms() {
		if !a.Supported() || a.KeyType() != want[a][0] || a.Curve() != want[a][1] {
			t.Errorf("%s: supported=%v kty=%q crv=%q", a, a.Supported(), a.KeyType(), a.Curve())
		}
	}
	for _, a := range []Algorithm{"", "none", "HS256", "rs256", "ES256K"} {
		if a.Supported() || a.KeyType() != "" || a.Curve() != "" {
			t.Errorf("%q reported as supported", a)
		}
	}
}

// rocaModulus is the RSA modulus of Wycheproof's json_web_key_test.json
// group jws_rsa_roca_key (Apache-2.0, see conformance/testdata/wycheproof):
// a 2049-bit key with the Infineon fingerprint.
const rocaModulus = "AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKIgArXGTu3MaW_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzCaWflUI6auImYbVfoN9_nD5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOwz6efnXEaxuTEtPd7BjSx7NaFka8Dx9U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg_c_qHRtKUsNSGCT7OZg0hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE"

func TestCheckKeyRefusesROCA(t *testing.T) {
	b, err := base64.RawURLEncoding.DecodeString(rocaModulus)
	if err != nil {
		t.Fatal(err)
	}
	weak := &rsa.PublicKey{N: new(big.Int).SetBytes(b), E: 65537}
	if err := CheckKey(RS256, weak); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("ROCA key: CheckKey = %v", err)
	}
	// Generated keys do not have the fingerprint (a false positive has
	// probability far below 2^-100).
	if err := CheckKey(RS256, &keys(t).rsa2048.PublicKey); err != nil {
		t.Fatalf("ordinary key refused: %v", err)
	}
	if isROCA(big.NewInt(65537 * 3)) {
		t.Error("a small number has the fingerprint")
	}
}

// two31 is 2³¹ as a variable, so that int(two31) compiles where int is 32
// bits (it is negative there, and refused all the same).
var two31 int64 = 1 << 31
