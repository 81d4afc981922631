// Package rsapub is the RSA public-key operation, s^e mod n, with the
// modulus's constants computed once per key instead of on every call.
//
// crypto/rsa rebuilds its Montgomery modulus (bigmod.NewModulus) on each
// VerifyPKCS1v15 and VerifyPSS: a quarter of the time of a verification. A
// verifier that keeps a JWKS key for hours can do that once, when the key is
// imported. Everything here is public data (the key, the signature, the
// message), so the arithmetic is variable-time; what it must be is exactly
// equal to crypto/rsa on every input, which the differential fuzz target
// and the Wycheproof vectors check.
//
// The arithmetic is Montgomery multiplication by separated operand
// scanning: a full product (or a square, at half the word products), then a
// word-by-word reduction. Its kernel, addMulVVW (z += x·y, returning the
// carry), is Go assembly on amd64 and arm64 and plain Go elsewhere or
// under the purego build tag. On amd64 with BMI2 and ADX, the rows of a
// reduction and the cross products of a square also run as one assembly
// call each (redcRowsADX, sqrRowsADX) instead of one call per row; the
// Go loops they replace (redcRowsGeneric, sqrRowsGeneric) are the
// definition they are tested against.
package rsapub
