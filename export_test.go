package cognitojwt

// LivePools reports how many pools a resolving verifier holds, for tests.
func LivePools(v *Verifier) int { return v.r.livePools() }
