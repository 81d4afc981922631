package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// Algorithm is a JWS "alg" value (RFC 7518 §3.1, RFC 8037 §3.1). Only the
// asymmetric algorithms declared below are supported; the zero value is
// not a valid algorithm.
type Algorithm string

// The supported algorithms. "none" and the HMAC family are deliberately
// absent: see [ErrAlgNone] and [ErrSymmetricAlgorithm].
const (
	RS256 Algorithm = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
	RS384 Algorithm = "RS384" // RSASSA-PKCS1-v1_5 with SHA-384
	RS512 Algorithm = "RS512" // RSASSA-PKCS1-v1_5 with SHA-512
	PS256 Algorithm = "PS256" // RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt
	PS384 Algorithm = "PS384" // RSASSA-PSS with SHA-384, MGF1-SHA-384, 48-byte salt
	PS512 Algorithm = "PS512" // RSASSA-PSS with SHA-512, MGF1-SHA-512, 64-byte salt
	ES256 Algorithm = "ES256" // ECDSA on P-256 with SHA-256, raw r‖s
	ES384 Algorithm = "ES384" // ECDSA on P-384 with SHA-384, raw r‖s
	ES512 Algorithm = "ES512" // ECDSA on P-521 with SHA-512, raw r‖s
	EdDSA Algorithm = "EdDSA" // Ed25519 (RFC 8037)
)

// RSA key size bounds. Under 2048 bits is factorable in practice or soon
// will be (NIST SP 800-131A); over 8192 bits only makes verification a
// denial-of-service lever.
const (
	MinRSABits = 2048
	MaxRSABits = 8192
)

// Algorithms returns every supported algorithm, in a fixed order.
func Algorithms() []Algorithm {
	return []Algorithm{RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA}
}

type family uint8

const (
	famUnknown family = iota
	famRSA            // PKCS#1 v1.5
	famPSS
	famECDSA
	famEdDSA
)

// params describes how one algorithm verifies. hash is zero for EdDSA,
// which hashes internally; curve is set for ECDSA only.
type params struct {
	fam   family
	hash  crypto.Hash
	curve elliptic.Curve
}

func (a Algorithm) params() params {
	switch a {
	case RS256:
		return params{famRSA, crypto.SHA256, nil}
	case RS384:
		return params{famRSA, crypto.SHA384, nil}
	case RS512:
		return params{famRSA, crypto.SHA512, nil}
	case PS256:
		return params{famPSS, crypto.SHA256, nil}
	case PS384:
		return params{famPSS, crypto.SHA384, nil}
	case PS512:
		return params{famPSS, crypto.SHA512, nil}
	case ES256:
		return params{famECDSA, crypto.SHA256, elliptic.P256()}
	case ES384:
		return params{famECDSA, crypto.SHA384, elliptic.P384()}
	case ES512:
		return params{famECDSA, crypto.SHA512, elliptic.P521()}
	case EdDSA:
		return params{famEdDSA, 0, nil}
	}
	return params{}
}

// Supported reports whether a is one of the algorithms this package
// verifies. The comparison is exact: "rs256" is not RS256.
func (a Algorithm) Supported() bool { return a.params().fam != famUnknown }

// KeyType returns the JWK "kty" that keys for a must have ("RSA", "EC" or
// "OKP"), or "" when a is not supported.
func (a Algorithm) KeyType() string {
	switch a.params().fam {
	case famRSA, famPSS:
		return "RSA"
	case famECDSA:
		return "EC"
	case famEdDSA:
		return "OKP"
	}
	return ""
}

// Curve returns the JWK "crv" that keys for a must have ("P-256", "P-384",
// "P-521" or "Ed25519"), or "" for RSA and unsupported algorithms.
func (a Algorithm) Curve() string {
	switch a {
	case ES256:
		return "P-256"
	case ES384:
		return "P-384"
	case ES512:
		return "P-521"
	case EdDSA:
		return "Ed25519"
	}
	return ""
}

// checkAlg classifies an algorithm that is not supported, so that "none"
// and HMAC get their own errors. The name is echoed sanitised.
func checkAlg(a Algorithm) error {
	if a.Supported() {
		return nil
	}
	if equalFoldASCII(string(a), "none") {
		return ErrAlgNone
	}
	if len(a) >= 2 && equalFoldASCII(string(a[:2]), "HS") {
		return fmt.Errorf("%w: %s", ErrSymmetricAlgorithm, sanitize(string(a)))
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, sanitize(string(a)))
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// CheckKey reports whether key may verify signatures made with alg. It
// refuses, with [ErrInvalidKey], a key of the wrong type (an RSA key for an
// ES256 token: algorithm confusion), an EC key on another curve, an RSA
// modulus outside [MinRSABits, MaxRSABits] bits or even, an RSA exponent
// that is not odd or not greater than 1, an RSA modulus with the ROCA
// fingerprint (CVE-2017-15361: factorable), an EC point not on its curve,
// an Ed25519 key of the wrong length, of small order (one of the eight
// points of order 1, 2, 4 or 8: with such a key anyone can forge a
// signature, R = B and S = 1 verifying for every message under the
// identity) or in a non-canonical encoding (y ≥ p). An unsupported alg yields
// [ErrUnsupportedAlgorithm]. Accepted key types are *rsa.PublicKey,
// *ecdsa.PublicKey and ed25519.PublicKey.
func CheckKey(alg Algorithm, key crypto.PublicKey) error {
	return checkKey(alg, key, true)
}

// checkKey is CheckKey; full=false skips the checks that cost more than a
// comparison: the EC on-curve check, which crypto/ecdsa repeats on every
// verification anyway, and the ROCA fingerprint, which keys from a JWKS
// pass once, when they are imported.
func checkKey(alg Algorithm, key crypto.PublicKey, full bool) error {
	p := alg.params()
	switch p.fam {
	case famRSA, famPSS:
		k, ok := key.(*rsa.PublicKey)
		if !ok || k == nil {
			return fmt.Errorf("%w: %s needs an RSA public key, got %T", ErrInvalidKey, alg, key)
		}
		if err := checkRSA(k); err != nil {
			return err
		}
		if full && isROCA(k.N) {
			return fmt.Errorf("%w: RSA modulus has the ROCA fingerprint (CVE-2017-15361): it can be factored", ErrInvalidKey)
		}
		return nil
	case famECDSA:
		k, ok := key.(*ecdsa.PublicKey)
		if !ok || k == nil || k.Curve == nil {
			return fmt.Errorf("%w: %s needs an ECDSA public key, got %T", ErrInvalidKey, alg, key)
		}
		if k.Curve != p.curve {
			return fmt.Errorf("%w: %s needs curve %s, key is on %s", ErrInvalidKey, alg, p.curve.Params().Name, k.Curve.Params().Name)
		}
		if k.X == nil || k.Y == nil || (full && !onCurve(k)) {
			return fmt.Errorf("%w: EC point is not on %s", ErrInvalidKey, p.curve.Params().Name)
		}
		return nil
	case famEdDSA:
		k, ok := key.(ed25519.PublicKey)
		if !ok {
			return fmt.Errorf("%w: EdDSA needs an ed25519.PublicKey, got %T", ErrInvalidKey, key)
		}
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 key must be %d bytes, got %d", ErrInvalidKey, ed25519.PublicKeySize, len(k))
		}
		return checkEd25519(k)
	}
	return checkAlg(alg)
}

func checkRSA(k *rsa.PublicKey) error {
	if k.N == nil || k.N.Sign() <= 0 {
		return fmt.Errorf("%w: RSA modulus missing", ErrInvalidKey)
	}
	if bits := k.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
		return fmt.Errorf("%w: RSA modulus of %d bits is outside %d..%d", ErrInvalidKey, bits, MinRSABits, MaxRSABits)
	}
	if k.N.Bit(0) == 0 {
		return fmt.Errorf("%w: RSA modulus is even", ErrInvalidKey)
	}
	if k.E <= 1 || k.E&1 == 0 {
		return fmt.Errorf("%w: RSA exponent must be odd and greater than 1", ErrInvalidKey)
	}
	return nil
}

// onCurve validates the point through crypto/ecdh, which rejects the point
// at infinity and off-curve points in constant time; elliptic.Curve.IsOnCurve
// is deprecated for this use.
func onCurve(k *ecdsa.PublicKey) bool {
	_, err := k.ECDH()
	return err == nil
}
