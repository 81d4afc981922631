//go:build !purego

package rsapub

// addMulVVW is z[i] += x[i]·y plus the running carry, for i < len(x),
// returning the final carry; len(z) must be at least len(x). It is in
// arith_arm64.s.
//
//go:noescape
func addMulVVW(z, x []uint64, y uint64) (c uint64)

func redcRows(t, m []uint64, m0inv uint64) uint64 { return redcRowsGeneric(t, m, m0inv) }

func sqrRows(t, x []uint64) { sqrRowsGeneric(t, x) }
