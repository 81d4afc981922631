package rsapub

import "math/bits"

// addMulVVWGeneric is the portable addMulVVW: z[i] += x[i]·y plus the
// running carry, for i < len(x); it returns the final carry. len(z) must be
// at least len(x).
func addMulVVWGeneric(z, x []uint64, y uint64) (c uint64) {
	z = z[:len(x)]
	for i, xi := range x {
		hi, lo := bits.Mul64(xi, y)
		var cc uint64
		lo, cc = bits.Add64(lo, z[i], 0)
		hi += cc
		lo, cc = bits.Add64(lo, c, 0)
		hi += cc
		z[i] = lo
		c = hi
	}
	return c
}

// mul sets t[:2n] to x·y, n = len(x) = len(y). Row i adds x·y[i] at t[i:]
// and its carry lands in t[i+n], which no earlier row has written.
func mul(t, x, y []uint64) {
	n := len(x)
	clear(t[:2*n])
	for i, yi := range y {
		t[i+n] = addMulVVW(t[i:i+n], x, yi)
	}
}

// sqr sets t[:2n] to x², n = len(x), with about half the word products of
// mul: each cross product x[i]·x[j], i < j, is computed once and doubled,
// then the squares x[i]² are added on the diagonal.
func sqr(t, x []uint64) {
	n := len(x)
	clear(t[:2*n])
	sqrRows(t[:2*n], x)
	// The cross products sum to less than x²/2 < 2^(128n-1), so doubling
	// them shifts nothing out of t[2n-1]; nor does adding the diagonal,
	// since the total is x² < 2^(128n).
	var top, c uint64
	for i, xi := range x {
		hi, lo := bits.Mul64(xi, xi)
		a, b := t[2*i], t[2*i+1]
		a2 := a<<1 | top
		b2 := b<<1 | a>>63
		top = b >> 63
		t[2*i], c = bits.Add64(a2, lo, c)
		t[2*i+1], c = bits.Add64(b2, hi, c)
	}
}

// sqrRowsGeneric sets t[:2n], zero on entry, to the sum of the cross
// products x[i]·x[j], i < j, each at word i+j. Row i adds x[i+1:]·x[i] at
// t[2i+1:] and its carry lands in t[i+n], which no earlier row has
// written.
func sqrRowsGeneric(t, x []uint64) {
	n := len(x)
	for i := 0; i < n-1; i++ {
		t[i+n] = addMulVVW(t[2*i+1:i+n], x[i+1:], x[i])
	}
}

// redc sets z to t·R⁻¹ mod m (Montgomery reduction, R = 2^(64n)) for
// t < m·R, destroying t[:2n]. The sum (t + q·m)/R is below 2m, so one
// conditional subtraction leaves z < m.
func redc(z, t, m []uint64, m0inv uint64) {
	n := len(m)
	carry := redcRows(t[:2*n], m, m0inv)
	hi := t[n : 2*n]
	if carry != 0 || !less(hi, m) {
		var b uint64
		for i := range z {
			z[i], b = bits.Sub64(hi[i], m[i], b)
		}
		return
	}
	copy(z, hi)
}

// redcRowsGeneric is the word-by-word part of redc: for each of the n =
// len(m) low words of t (len(t) ≥ 2n), add the multiple of m that makes
// it zero, carrying into t[i+n]. It returns the carry out of t[2n−1].
func redcRowsGeneric(t, m []uint64, m0inv uint64) (carry uint64) {
	n := len(m)
	for i := 0; i < n; i++ {
		q := t[i] * m0inv // makes t[i] + q·m[0] ≡ 0 mod 2^64
		c := addMulVVW(t[i:i+n], m, q)
		t[i+n], carry = bits.Add64(t[i+n], c, carry)
	}
	return carry
}

// less reports whether x < y, both n words, least significant first.
func less(x, y []uint64) bool {
	for i := len(x) - 1; i >= 0; i-- {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}
