//go:build !amd64 || purego

package rsapub

import "testing"

func kernels(*testing.T) map[string]func(z, x []uint64, y uint64) uint64 {
	return map[string]func(z, x []uint64, y uint64) uint64{"addMulVVW": addMulVVW}
}

func redcKernels(*testing.T) map[string]func(t, m []uint64, m0inv uint64) uint64 {
	return map[string]func(t, m []uint64, m0inv uint64) uint64{"redcRows": redcRows}
}

func sqrKernels(*testing.T) map[string]func(t, x []uint64) {
	return map[string]func(t, x []uint64){"sqrRows": sqrRows}
}
