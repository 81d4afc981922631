//go:build !amd64 || purego

package rsapub

import "testing"

func kernels(*testing.T) map[string]func(z, x []uint64, y uint64) uint64 {
	return map[string]func(z, x []uint64, y uint64) uint64{"addMulVVW": addMulVVW}
}
