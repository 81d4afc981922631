package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"math/big"

	"github.com/cognitojwt/cognitojwt/jws/internal/rsapub"
)

// Key is a public key prepared once for verifying many signatures. Pass
// it to [VerifySignature] or [Token.Verify] in place of the key it holds.
//
// For RSA it keeps the modulus's Montgomery constants, which crypto/rsa
// recomputes on every verification (a quarter of its time for RSA-2048),
// and does the public-key operation itself (assembly on amd64 and arm64): a
// verification through a Key allocates nothing and, measured in
// docs/BENCHMARKS.md, takes about half the time of crypto/rsa's for
// RSA-2048 and a sixth for RSA-4096. The result is the same on every
// input: the arithmetic is checked against crypto/rsa and math/big by
// differential tests and fuzzing, and against every Wycheproof RSA vector.
// For ECDSA and Ed25519 keys a Key simply holds the key.
//
// A Key is immutable and safe for concurrent use. The zero Key holds no
// key, and every verification with it fails.
type Key struct {
	pub crypto.PublicKey
	rsa *rsapub.Key
}

// NewKey prepares pub, an *rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey. It refuses, with [ErrInvalidKey], another type and an
// RSA key that [CheckKey] would refuse for every RSA algorithm (modulus
// outside [MinRSABits, MaxRSABits] or even, exponent not odd, not above 1
// or not below 2³¹). The Key holds its own copy of an RSA key: later
// changes to pub do not reach it. Which algorithms the key may verify is
// still decided on each call, as with an unprepared key.
func NewKey(pub crypto.PublicKey) (*Key, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil {
			return nil, fmt.Errorf("%w: nil RSA key", ErrInvalidKey)
		}
		if err := checkRSA(p); err != nil {
			return nil, err
		}
		c := &rsa.PublicKey{N: new(big.Int).Set(p.N), E: p.E}
		rk, err := rsapub.New(c)
		if err != nil {
			return nil, fmt.Errorf("%w: RSA exponent must be below 2^31", ErrInvalidKey)
		}
		return &Key{pub: c, rsa: rk}, nil
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return &Key{pub: p}, nil
	}
	return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, pub)
}

// Public returns the key that k holds, nil for the zero Key.
func (k *Key) Public() crypto.PublicKey { return k.pub }
