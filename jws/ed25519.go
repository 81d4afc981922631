package jws

import (
	"bytes"
	"fmt"
)

// Ed25519 public keys that are not keys (RFC 8032 §5.1.3 decoding, and
// "Taming the many EdDSAs", Chalkias et al., 2020). crypto/ed25519 accepts
// all of them: it follows the decoding most implementations use, and
// leaves key validation to the caller.
//
// A point of small order (the identity, the point of order 2, the two of
// order 4 and the four of order 8) makes [k]A the identity for every
// k ≡ 0 modulo its order, so the signature (R = B, S = 1) verifies for a
// share of all messages (all of them for the identity): a JWKS that
// carries such a key lets anyone mint tokens. A point is of small order
// exactly when its y-coordinate is one of five values (the x sign bit
// picks between a point and its negation, which has the same order), so
// the check compares y alone and covers both signs.
//
// An encoding with y ≥ p is non-canonical: it names the point of y − p,
// so one key would have two spellings (and two thumbprints); it is
// refused whatever the point.

// ed25519P is p = 2^255 − 19, little-endian.
var ed25519P = [32]byte{
	0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
}

// ed25519SmallOrderY are the y-coordinates of the small-order points,
// little-endian, sign bit clear: 0 (order 4), 1 (the identity), p − 1
// (order 2) and the two of the points of order 8.
var ed25519SmallOrderY = [5][32]byte{
	{},
	{1},
	{
		0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
	},
	{
		0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
	},
	{
		0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
	},
}

// checkEd25519 refuses a 32-byte key of small order or in a non-canonical
// encoding. It is a few comparisons, cheap enough for every verification.
func checkEd25519(k []byte) error {
	var y [32]byte
	copy(y[:], k)
	y[31] &= 0x7f // the sign of x
	if !lessLE(&y, &ed25519P) {
		return fmt.Errorf("%w: Ed25519 key is not canonically encoded (y ≥ 2^255−19)", ErrInvalidKey)
	}
	for i := range ed25519SmallOrderY {
		if bytes.Equal(y[:], ed25519SmallOrderY[i][:]) {
			return fmt.Errorf("%w: Ed25519 key is a point of small order: it would verify forged signatures", ErrInvalidKey)
		}
	}
	return nil
}

// lessLE reports whether a < b, both little-endian.
func lessLE(a, b *[32]byte) bool {
	for i := 31; i >= 0; i-- {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
