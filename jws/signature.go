package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"math/big"

	"github.com/cognitojwt/cognitojwt/jws/internal/rsapub"
)

// PSS options are fixed: the salt must be exactly as long as the hash (RFC
// 7518 §3.5). Go's PSSSaltLengthAuto would also accept other salt lengths,
// which Wycheproof marks invalid. These values are never written.
var (
	pssSHA256 = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	pssSHA384 = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA384}
	pssSHA512 = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA512}
)

// VerifySignature reports whether signature is a valid alg signature of
// signingInput (the ASCII "header.payload" of a compact JWS) under key.
//
// It returns nil only for a valid signature. It refuses an unsupported alg
// ([ErrUnsupportedAlgorithm], [ErrAlgNone], [ErrSymmetricAlgorithm]), a key
// that does not fit alg or is weak ([ErrInvalidKey], see [CheckKey]), and
// with [ErrInvalidSignature] a signature that does not verify or is not in
// the exact JWS form: for ECDSA, raw r‖s of exactly 64, 96 or 132 bytes with
// r and s in [1, n−1] (DER is refused); for Ed25519, 64 bytes; for RSA, as
// long as the modulus. RSASSA-PKCS1-v1_5 compares the whole encoded message
// (no lenient ASN.1 parsing), and PSS requires a salt as long as the hash.
// High-S ECDSA signatures are valid, as in the standard.
//
// key may also be a *[Key], which verifies RSA signatures faster and with
// the same result.
func VerifySignature(alg Algorithm, key crypto.PublicKey, signingInput, signature []byte) error {
	var prepared *rsapub.Key
	if k, ok := key.(*Key); ok && k != nil {
		key, prepared = k.pub, k.rsa
	}
	if err := checkKey(alg, key, false); err != nil {
		return err
	}
	p := alg.params()
	if p.fam == famEdDSA {
		if len(signature) != ed25519.SignatureSize || !ed25519.Verify(key.(ed25519.PublicKey), signingInput, signature) {
			return ErrInvalidSignature
		}
		return nil
	}

	switch p.fam {
	case famRSA, famPSS:
		if prepared != nil {
			return verifyPrepared(prepared, p, signingInput, signature)
		}
		return verifyRSA(key.(*rsa.PublicKey), p, signingInput, signature)
	case famECDSA:
		return verifyECDSA(key.(*ecdsa.PublicKey), p.hash, signingInput, signature)
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, sanitize(string(alg)))
}

// verifyRSA hashes into an array that stays on the stack, and hands each
// crypto/rsa function a digest of a fixed size, as a direct caller would.
// PKCS #1 v1.5 and PSS have separate paths because a digest passed to
// rsa.VerifyPSS escapes to the heap, and one passed to VerifyPKCS1v15
// does not.
func verifyRSA(k *rsa.PublicKey, p params, in, sig []byte) error {
	var err error
	if p.fam == famRSA {
		switch p.hash {
		case crypto.SHA256:
			d := sha256.Sum256(in)
			err = rsa.VerifyPKCS1v15(k, p.hash, d[:], sig)
		case crypto.SHA384:
			d := sha512.Sum384(in)
			err = rsa.VerifyPKCS1v15(k, p.hash, d[:], sig)
		default:
			d := sha512.Sum512(in)
			err = rsa.VerifyPKCS1v15(k, p.hash, d[:], sig)
		}
	} else {
		err = verifyPSS(k, p.hash, in, sig)
	}
	if err != nil {
		return ErrInvalidSignature
	}
	return nil
}

// digestInto hashes in with h (SHA-256, SHA-384, otherwise SHA-512) into
// sum, which the caller keeps on its stack, and returns the digest.
func digestInto(sum *[64]byte, h crypto.Hash, in []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(in)
		return append(sum[:0], d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(in)
		return append(sum[:0], d[:]...)
	}
	d := sha512.Sum512(in)
	return append(sum[:0], d[:]...)
}

// verifyPrepared is verifyRSA through a key's precomputed constants.
func verifyPrepared(k *rsapub.Key, p params, in, sig []byte) error {
	var sum [64]byte
	d := digestInto(&sum, p.hash, in)
	var ok bool
	if p.fam == famPSS {
		ok = k.VerifyPSS(p.hash, d, sig)
	} else {
		ok = k.VerifyPKCS1v15(p.hash, d, sig)
	}
	if !ok {
		return ErrInvalidSignature
	}
	return nil
}

func verifyPSS(k *rsa.PublicKey, h crypto.Hash, in, sig []byte) error {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(in)
		return rsa.VerifyPSS(k, h, d[:], sig, &pssSHA256)
	case crypto.SHA384:
		d := sha512.Sum384(in)
		return rsa.VerifyPSS(k, h, d[:], sig, &pssSHA384)
	default:
		d := sha512.Sum512(in)
		return rsa.VerifyPSS(k, h, d[:], sig, &pssSHA512)
	}
}

// verifyECDSA checks the JWS (IEEE P1363) form: r‖s, each exactly the
// curve's byte length, both in [1, n−1]. A DER signature has another length
// and is refused; checking the range ourselves means "psychic signatures"
// (r = s = 0, CVE-2022-21449) fail here whatever the backend does.
func verifyECDSA(k *ecdsa.PublicKey, h crypto.Hash, in, sig []byte) error {
	var sum [64]byte
	digest := digestInto(&sum, h, in)
	params := k.Curve.Params()
	size := (params.BitSize + 7) / 8
	if len(sig) != 2*size {
		return fmt.Errorf("%w: ECDSA signature must be %d bytes, got %d", ErrInvalidSignature, 2*size, len(sig))
	}
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(params.N) >= 0 || s.Cmp(params.N) >= 0 {
		return ErrInvalidSignature
	}
	if !ecdsa.Verify(k, digest, r, s) {
		return ErrInvalidSignature
	}
	return nil
}
