//go:build !purego

package rsapub

import "testing"

func kernels(t *testing.T) map[string]func(z, x []uint64, y uint64) uint64 {
	k := map[string]func(z, x []uint64, y uint64) uint64{"MULQ": addMulVVWMULQ}
	if hasADX {
		k["ADX"] = addMulVVWADX
	} else {
		t.Log("this CPU has no ADX: the ADX kernel is not tested")
	}
	return k
}
