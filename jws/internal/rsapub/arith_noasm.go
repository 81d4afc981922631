//go:build !(amd64 || arm64) || purego

package rsapub

func addMulVVW(z, x []uint64, y uint64) uint64 { return addMulVVWGeneric(z, x, y) }
