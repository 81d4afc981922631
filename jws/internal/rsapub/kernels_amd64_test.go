//go:build !purego

package rsapub

import (
	mrand "math/rand/v2"
	"testing"
)

func kernels(t *testing.T) map[string]func(z, x []uint64, y uint64) uint64 {
	k := map[string]func(z, x []uint64, y uint64) uint64{"MULQ": addMulVVWMULQ}
	if hasADX {
		k["ADX"] = addMulVVWADX
	} else {
		t.Log("this CPU has no ADX: the ADX kernel is not tested")
	}
	return k
}

func redcKernels(t *testing.T) map[string]func(t, m []uint64, m0inv uint64) uint64 {
	k := map[string]func(t, m []uint64, m0inv uint64) uint64{"generic+MULQ": func(t, m []uint64, m0inv uint64) uint64 {
		return redcRowsWith(addMulVVWMULQ, t, m, m0inv)
	}}
	if hasADX {
		k["ADX"] = redcRowsADX
	}
	return k
}

// redcRowsWith is redcRowsGeneric with a given kernel.
func redcRowsWith(kernel func(z, x []uint64, y uint64) uint64, t, m []uint64, m0inv uint64) (carry uint64) {
	n := len(m)
	for i := 0; i < n; i++ {
		q := t[i] * m0inv
		c := kernel(t[i:i+n], m, q)
		var cc uint64
		t[i+n], cc = add3(t[i+n], c, carry)
		carry = cc
	}
	return carry
}

func sqrKernels(t *testing.T) map[string]func(t, x []uint64) {
	k := map[string]func(t, x []uint64){"generic+MULQ": func(t, x []uint64) {
		n := len(x)
		for i := 0; i < n-1; i++ {
			t[i+n] = addMulVVWMULQ(t[2*i+1:i+n], x[i+1:], x[i])
		}
	}}
	if hasADX {
		k["ADX"] = sqrRowsADX
	}
	return k
}

// TestExpWithoutADX runs the exponentiation on the path CPUs without
// BMI2 and ADX take (MULQ kernel, rows in Go), against math/big.
func TestExpWithoutADX(t *testing.T) {
	saved := hasADX
	hasADX = false
	defer func() { hasADX = saved }()
	r := mrand.New(mrand.NewPCG(11, 12))
	for _, bitLen := range []int{2048, 2049, 3072, 4096} {
		n := randOdd(r, bitLen)
		for range 3 {
			checkExp(t, n, 65537, randBelow(r, n))
		}
	}
}
