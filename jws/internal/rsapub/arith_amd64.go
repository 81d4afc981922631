//go:build !purego

package rsapub

// hasADX is read once: MULX needs BMI2 (CPUID leaf 7, EBX bit 8) and
// ADCX/ADOX need ADX (bit 19). The OS needs no part in these, unlike AVX.
var hasADX = func() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<8) != 0 && ebx&(1<<19) != 0
}()

// addMulVVW is z[i] += x[i]·y plus the running carry, for i < len(x),
// returning the final carry; len(z) must be at least len(x).
func addMulVVW(z, x []uint64, y uint64) uint64 {
	if hasADX {
		return addMulVVWADX(z, x, y)
	}
	return addMulVVWMULQ(z, x, y)
}

// redcRows runs the rows of a Montgomery reduction; see redcRowsGeneric.
func redcRows(t, m []uint64, m0inv uint64) uint64 {
	if hasADX {
		return redcRowsADX(t, m, m0inv)
	}
	return redcRowsGeneric(t, m, m0inv)
}

// sqrRows adds the cross products of a square; see sqrRowsGeneric.
func sqrRows(t, x []uint64) {
	if hasADX {
		sqrRowsADX(t, x)
		return
	}
	sqrRowsGeneric(t, x)
}

//go:noescape
func sqrRowsADX(t, x []uint64)

//go:noescape
func redcRowsADX(t, m []uint64, m0inv uint64) (carry uint64)

//go:noescape
func addMulVVWADX(z, x []uint64, y uint64) (c uint64)

//go:noescape
func addMulVVWMULQ(z, x []uint64, y uint64) (c uint64)

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
