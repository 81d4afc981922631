//go:build !purego

package rsapub

// addMulVVW is z[i] += x[i]·y plus the running carry, for i < len(x),
// returning the final carry; len(z) must be at least len(x). It is in
// arith_arm64.s.
//
//go:noescape
func addMulVVW(z, x []uint64, y uint64) (c uint64)
