//go:build !(amd64 || arm64) || purego

package rsapub

func addMulVVW(z, x []uint64, y uint64) uint64 { return addMulVVWGeneric(z, x, y) }

func redcRows(t, m []uint64, m0inv uint64) uint64 { return redcRowsGeneric(t, m, m0inv) }

func sqrRows(t, x []uint64) { sqrRowsGeneric(t, x) }
