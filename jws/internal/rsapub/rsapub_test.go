package rsapub

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"sync"
	"testing"
)

var keySizes = []int{2048, 2049, 2055, 3072, 4096, 8192}

var loadKeys = sync.OnceValue(func() map[int]*rsa.PrivateKey {
	keys := map[int]*rsa.PrivateKey{}
	for _, b := range keySizes {
		data, err := os.ReadFile(fmt.Sprintf("testdata/rsa%d.pem", b))
		if err != nil {
			panic(err)
		}
		blk, _ := pem.Decode(data)
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			panic(err)
		}
		keys[b] = k.(*rsa.PrivateKey)
	}
	return keys
})

func mustNew(t testing.TB, pub *rsa.PublicKey) *Key {
	t.Helper()
	k, err := New(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestAddMulVVW compares the kernel in use (assembly on amd64 and arm64)
// with the portable one, on random words and on the all-ones words that
// make every carry ripple, for every length up to 40 and for offsets that
// leave z longer than x.
func TestAddMulVVW(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	word := func(kind int) uint64 {
		switch kind {
		case 0:
			return r.Uint64()
		case 1:
			return ^uint64(0)
		default:
			return 0
		}
	}
	for name, kernel := range kernels(t) {
		for n := 0; n <= 40; n++ {
			for kind := range 3 {
				for range 20 {
					x := make([]uint64, n)
					z := make([]uint64, n+2)
					for i := range x {
						x[i] = word(kind)
					}
					for i := range z {
						z[i] = word(kind)
					}
					y := word(kind)
					if kind == 0 && r.IntN(2) == 0 {
						y = ^uint64(0)
					}
					z1, z2 := bytesOf(z), bytesOf(z)
					c1 := kernel(z1, x, y)
					c2 := addMulVVWGeneric(z2, x, y)
					if c1 != c2 || !equal(z1, z2) {
						t.Fatalf("%s n=%d kind=%d: carry %x, portable kernel %x", name, n, kind, c1, c2)
					}
					// And both against math/big: z + x·y.
					want := new(big.Int).Add(fromWords(z[:n]), new(big.Int).Mul(fromWords(x), new(big.Int).SetUint64(y)))
					got := new(big.Int).Add(fromWords(z1[:n]), new(big.Int).Lsh(new(big.Int).SetUint64(c1), uint(64*n)))
					if got.Cmp(want) != 0 {
						t.Fatalf("n=%d kind=%d: z + x·y is wrong", n, kind)
					}
					if !equal(z1[n:], z[n:]) {
						t.Fatalf("n=%d: wrote past len(x)", n)
					}
				}
			}
		}
	}
}

// add3 is a + b + c (c ≤ 1) and its carry, written apart from the code
// under test.
func add3(a, b, c uint64) (uint64, uint64) {
	s := new(big.Int).Add(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
	s.Add(s, new(big.Int).SetUint64(c))
	lo := new(big.Int).And(s, new(big.Int).SetUint64(^uint64(0))).Uint64()
	return lo, new(big.Int).Rsh(s, 64).Uint64()
}

// TestRedcRows compares the reduction kernels in use with the word-by-word
// definition on top of math/big: the rows must leave t ≡ t₀ (mod m), with
// the low n words zero and the returned carry above t[2n−1], so that
// (t₀ + q·m) / R is exact. All-ones inputs make every carry ripple.
func TestRedcRows(t *testing.T) {
	r := mrand.New(mrand.NewPCG(7, 8))
	for name, kernel := range redcKernels(t) {
		if c := kernel(nil, nil, 1); c != 0 {
			t.Fatalf("%s: no rows gave carry %d", name, c)
		}
		for n := 1; n <= 40; n++ {
			for kind := range 2 {
				for range 10 {
					m := make([]uint64, n)
					tt := make([]uint64, 2*n)
					for i := range m {
						m[i] = r.Uint64()
						if kind == 1 {
							m[i] = ^uint64(0)
						}
					}
					m[0] |= 1
					for i := range tt {
						tt[i] = r.Uint64()
						if kind == 1 {
							tt[i] = ^uint64(0) - uint64(r.IntN(2))
						}
					}
					x := m[0]
					for range 5 {
						x *= 2 - m[0]*x
					}
					m0inv := -x
					t0 := fromWords(tt)
					got := bytesOf(tt)
					carry := kernel(got, m, m0inv)
					for i := range n {
						if got[i] != 0 {
							t.Fatalf("%s n=%d: low word %d is %x, not 0", name, n, i, got[i])
						}
					}
					// got + carry·2^(128n) − t0 must be a multiple of m
					// smaller than R·m.
					sum := new(big.Int).Add(fromWords(got), new(big.Int).Lsh(new(big.Int).SetUint64(carry), uint(128*n)))
					diff := new(big.Int).Sub(sum, t0)
					q, rem := new(big.Int).QuoRem(diff, fromWords(m), new(big.Int))
					if rem.Sign() != 0 || q.Sign() < 0 || q.BitLen() > 64*n {
						t.Fatalf("%s n=%d kind=%d: the rows did not add a multiple q·m, q < R", name, n, kind)
					}
				}
			}
		}
	}
}

// TestSqrRows checks the cross-product kernels in use against math/big:
// twice the rows' sum plus the squares of the words must be x².
func TestSqrRows(t *testing.T) {
	r := mrand.New(mrand.NewPCG(9, 10))
	for name, kernel := range sqrKernels(t) {
		for n := 1; n <= 40; n++ {
			for kind := range 2 {
				for range 10 {
					x := make([]uint64, n)
					for i := range x {
						x[i] = r.Uint64()
						if kind == 1 {
							x[i] = ^uint64(0)
						}
					}
					tt := make([]uint64, 2*n)
					kernel(tt, x)
					sum := new(big.Int).Lsh(fromWords(tt), 1)
					for i, xi := range x {
						d := new(big.Int).SetUint64(xi)
						sum.Add(sum, new(big.Int).Lsh(d.Mul(d, d), uint(128*i)))
					}
					xx := fromWords(x)
					if sum.Cmp(new(big.Int).Mul(xx, xx)) != 0 {
						t.Fatalf("%s n=%d kind=%d: cross products do not make x²", name, n, kind)
					}
				}
			}
		}
	}
}

func bytesOf(z []uint64) []uint64 { return append([]uint64(nil), z...) }

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fromWords(w []uint64) *big.Int {
	b := make([]byte, 8*len(w))
	for i, x := range w {
		binary.BigEndian.PutUint64(b[len(b)-8*(i+1):], x)
	}
	return new(big.Int).SetBytes(b)
}

// checkExp compares exp with math/big for modulus n, exponent e and input s.
func checkExp(t testing.TB, n *big.Int, e int, s *big.Int) {
	t.Helper()
	k, err := New(&rsa.PublicKey{N: n, E: e})
	if err != nil {
		t.Fatalf("New(%d bits, e=%d): %v", n.BitLen(), e, err)
	}
	if s.BitLen() > 8*k.Size() {
		// Keep what fits a signature's length: s may still be ≥ n.
		s = new(big.Int).Mod(s, new(big.Int).Lsh(big.NewInt(1), uint(8*k.Size())))
	}
	sig := s.FillBytes(make([]byte, k.Size()))
	out := make([]byte, k.Size())
	ok := k.exp(out, sig)
	if s.Cmp(n) >= 0 {
		if ok {
			t.Fatalf("exp took s ≥ n (%d bits)", n.BitLen())
		}
		return
	}
	if !ok {
		t.Fatalf("exp refused s < n (%d bits)", n.BitLen())
	}
	want := new(big.Int).Exp(s, big.NewInt(int64(e)), n).FillBytes(make([]byte, k.Size()))
	if !bytes.Equal(out, want) {
		t.Fatalf("s^%d mod n (%d bits) differs from math/big", e, n.BitLen())
	}
}

// TestExp checks s^e mod n against math/big for odd moduli of every
// length the jws package allows and beyond (any odd n works: the
// arithmetic never uses primality), for the exponents JWKS use and random
// ones, and for the edge inputs 0, 1, n−1 and n (refused).
func TestExp(t *testing.T) {
	r := mrand.New(mrand.NewPCG(3, 4))
	for _, bitLen := range []int{2048, 2049, 2111, 2112, 2113, 3072, 4095, 4096, 6000, 8191, 8192} {
		for _, e := range []int{3, 17, 65537, 1<<31 - 1, 2*r.IntN(1<<29) + 3} {
			n := randOdd(r, bitLen)
			one := big.NewInt(1)
			for _, s := range []*big.Int{
				new(big.Int), one, new(big.Int).Sub(n, one), new(big.Int).Set(n),
				new(big.Int).Rsh(n, 1), randBelow(r, n), randBelow(r, n),
			} {
				checkExp(t, n, e, s)
			}
		}
	}
	// Moduli with the top or bottom words all ones or almost zero, where
	// the final subtraction and carries are taken most often.
	for _, bitLen := range []int{2048, 4096} {
		allOnes := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bitLen)), big.NewInt(1))
		low := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(bitLen-1)), big.NewInt(1))
		for _, n := range []*big.Int{allOnes, low} {
			for range 5 {
				checkExp(t, n, 65537, randBelow(r, n))
			}
			checkExp(t, n, 65537, new(big.Int).Sub(n, big.NewInt(1)))
		}
	}
}

func randOdd(r *mrand.Rand, bitLen int) *big.Int {
	b := make([]byte, (bitLen+7)/8)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	n := new(big.Int).SetBytes(b)
	n.SetBit(n, bitLen-1, 1)
	for i := n.BitLen() - 1; i >= bitLen; i-- {
		n.SetBit(n, i, 0)
	}
	return n.SetBit(n, 0, 1)
}

func randBelow(r *mrand.Rand, n *big.Int) *big.Int {
	b := make([]byte, (n.BitLen()+7)/8)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(b), n)
}

// TestNewRefuses: keys crypto/rsa refuses at verification, and moduli
// that do not fit the stack arrays, are refused when the key is made.
func TestNewRefuses(t *testing.T) {
	n := loadKeys()[2048].N
	for _, c := range []struct {
		name string
		pub  *rsa.PublicKey
	}{
		{"nil", nil},
		{"nil modulus", &rsa.PublicKey{E: 65537}},
		{"zero modulus", &rsa.PublicKey{N: new(big.Int), E: 65537}},
		{"negative modulus", &rsa.PublicKey{N: new(big.Int).Neg(n), E: 65537}},
		{"even modulus", &rsa.PublicKey{N: new(big.Int).Add(n, big.NewInt(1)), E: 65537}},
		{"8193 bits", &rsa.PublicKey{N: new(big.Int).SetBit(big.NewInt(1), 8192, 1), E: 65537}},
		{"e = 1", &rsa.PublicKey{N: n, E: 1}},
		{"e even", &rsa.PublicKey{N: n, E: 65536}},
		{"e = 2^31", &rsa.PublicKey{N: n, E: int(two31)}}, // negative where int is 32 bits: refused too
		{"e negative", &rsa.PublicKey{N: n, E: -3}},
	} {
		if _, err := New(c.pub); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if _, err := New(&rsa.PublicKey{N: n, E: 65537}); err != nil {
		t.Errorf("control: %v", err)
	}
}

var hashes = []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}

func sum(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return d[:]
	}
	d := sha512.Sum512(msg)
	return d[:]
}

// rawSign is the private-key operation on an arbitrary encoded message, so
// the tests can make signatures whose encoding is wrong in one place.
// It uses the CRT, four times faster than m^d mod n on the 8192-bit key.
func rawSign(priv *rsa.PrivateKey, em []byte) []byte {
	m := new(big.Int).SetBytes(em)
	p, q := priv.Primes[0], priv.Primes[1]
	c := &priv.Precomputed
	m1 := new(big.Int).Exp(m, c.Dp, p)
	m2 := new(big.Int).Exp(m, c.Dq, q)
	hh := new(big.Int).Sub(m1, m2)
	hh.Mul(hh, c.Qinv).Mod(hh, p)
	return hh.Mul(hh, q).Add(hh, m2).FillBytes(make([]byte, priv.Size()))
}

// positions picks the bytes of an encoded message to change: where the
// structure is (the first 24 bytes: 00 01 FF… or PSS's masked top bits;
// the last hLen+24: DigestInfo and digest, or PSS's H and 0xbc) and eight
// bytes in between.
func positions(r *mrand.Rand, size, hLen int) []int {
	var ps []int
	for i := 0; i < size; i++ {
		if i < 24 || i >= size-hLen-24 {
			ps = append(ps, i)
		}
	}
	for range 8 {
		ps = append(ps, 24+r.IntN(size-hLen-48))
	}
	return ps
}

// agree checks that Key and crypto/rsa give the same answer for sig, and
// returns it.
func agree(t testing.TB, k *Key, pub *rsa.PublicKey, h crypto.Hash, hashed, sig []byte) (pkcs1, pss bool) {
	t.Helper()
	pkcs1 = k.VerifyPKCS1v15(h, hashed, sig)
	if std := rsa.VerifyPKCS1v15(pub, h, hashed, sig) == nil; pkcs1 != std {
		t.Fatalf("%d bits %v: PKCS#1 v1.5 says %v, crypto/rsa %v", pub.N.BitLen(), h, pkcs1, std)
	}
	pss = k.VerifyPSS(h, hashed, sig)
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	if std := rsa.VerifyPSS(pub, h, hashed, sig, opts) == nil; pss != std {
		t.Fatalf("%d bits %v: PSS says %v, crypto/rsa %v", pub.N.BitLen(), h, pss, std)
	}
	return pkcs1, pss
}

// TestAgreesWithCryptoRSA signs with crypto/rsa and with encodings broken
// one byte at a time, then checks that both verifiers give the same answer
// on each. The valid signatures are the control: a Key that refused
// everything fails here.
func TestAgreesWithCryptoRSA(t *testing.T) {
	r := mrand.New(mrand.NewPCG(5, 6))
	for _, bitLen := range keySizes {
		if testing.Short() && bitLen > 3072 {
			// Under emulation (CI's arm64 run) the large keys take
			// minutes; TestExp covers their sizes against math/big.
			continue
		}
		priv := loadKeys()[bitLen]
		k := mustNew(t, &priv.PublicKey)
		for _, h := range hashes {
			hashed := sum(h, []byte("header.payload"))
			sig, err := rsa.SignPKCS1v15(rand.Reader, priv, h, hashed)
			if err != nil {
				t.Fatal(err)
			}
			if p1, _ := agree(t, k, &priv.PublicKey, h, hashed, sig); !p1 {
				t.Fatalf("%d bits %v: a valid PKCS#1 v1.5 signature is refused", bitLen, h)
			}
			pssSig, err := rsa.SignPSS(rand.Reader, priv, h, hashed, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			if err != nil {
				t.Fatal(err)
			}
			if _, ps := agree(t, k, &priv.PublicKey, h, hashed, pssSig); !ps {
				t.Fatalf("%d bits %v: a valid PSS signature is refused", bitLen, h)
			}
			// Another hash, another digest, a short or long signature.
			agree(t, k, &priv.PublicKey, h, sum(h, []byte("other")), sig)
			agree(t, k, &priv.PublicKey, h, hashed, sig[1:])
			agree(t, k, &priv.PublicKey, h, hashed, append([]byte{0}, sig...))
			agree(t, k, &priv.PublicKey, h, hashed, priv.N.Bytes())
			// Every byte of both encoded messages changed, one at a time.
			for _, valid := range [][]byte{sig, pssSig} {
				em := new(big.Int).Exp(new(big.Int).SetBytes(valid), big.NewInt(int64(priv.E)), priv.N).FillBytes(make([]byte, priv.Size()))
				ps := positions(r, len(em), h.Size())
				if bitLen > 3072 {
					// A sample on the large keys, where raw signing is slow.
					r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
					ps = ps[:12]
				}
				for _, i := range ps {
					bad := bytes.Clone(em)
					bad[i] ^= byte(1 << r.IntN(8))
					if new(big.Int).SetBytes(bad).Cmp(priv.N) >= 0 {
						continue
					}
					p1, ps := agree(t, k, &priv.PublicKey, h, hashed, rawSign(priv, bad))
					if p1 || ps {
						t.Fatalf("%d bits %v: byte %d changed, still accepted", bitLen, h, i)
					}
				}
			}
		}
	}
}

// FuzzExp: for any odd modulus of 2048 to 8192 bits, exponent and input
// the fuzzer picks, exp equals math/big's Exp (or refuses s ≥ n).
//
// ci-fuzztime: 50000x, as each execution is two modular exponentiations.
func FuzzExp(f *testing.F) {
	f.Add([]byte{1}, uint32(65537), []byte{2})
	f.Add(bytes.Repeat([]byte{0xff}, 256), uint32(3), bytes.Repeat([]byte{0xfe}, 256))
	f.Add(bytes.Repeat([]byte{0x80}, 300), uint32(1<<31-1), bytes.Repeat([]byte{0x7f}, 300))
	f.Fuzz(func(t *testing.T, nb []byte, e uint32, sb []byte) {
		if len(nb) > MaxBits/8 {
			nb = nb[:MaxBits/8]
		}
		n := new(big.Int).SetBytes(nb)
		if n.BitLen() < 2048 {
			// Lift short inputs into range: set bit 2047.
			n.SetBit(n, 2047, 1)
		}
		n.SetBit(n, 0, 1)
		ee := int(e&(1<<31-1)) | 1
		if ee == 1 {
			ee = 3
		}
		s := new(big.Int).SetBytes(sb)
		if len(sb) > (n.BitLen()+7)/8 {
			s.Mod(s, new(big.Int).Lsh(n, 1)) // keep s ≥ n possible
		}
		checkExp(t, n, ee, s)
	})
}

// FuzzVerify changes a valid encoded message where the fuzzer says, signs
// it with the private key and checks that Key and crypto/rsa agree, for
// PKCS#1 v1.5 and PSS, on every key size.
//
// ci-fuzztime: 10000x, as each execution signs with the private key.
func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), uint8(0), false, uint16(0), uint8(1))
	f.Add(uint8(1), uint8(1), true, uint16(255), uint8(0x80))
	f.Add(uint8(2), uint8(2), false, uint16(1), uint8(0xff))
	f.Fuzz(func(t *testing.T, size, hash uint8, pss bool, pos uint16, flip uint8) {
		priv := loadKeys()[keySizes[int(size)%3]] // the small keys: raw signing is fast
		h := hashes[int(hash)%len(hashes)]
		hashed := sum(h, []byte{size, hash, byte(pos)})
		var sig []byte
		var err error
		if pss {
			sig, err = rsa.SignPSS(rand.Reader, priv, h, hashed, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, priv, h, hashed)
		}
		if err != nil {
			t.Fatal(err)
		}
		k := mustNew(t, &priv.PublicKey)
		if flip != 0 {
			em := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(priv.E)), priv.N).FillBytes(make([]byte, priv.Size()))
			em[int(pos)%len(em)] ^= flip
			if new(big.Int).SetBytes(em).Cmp(priv.N) >= 0 {
				return
			}
			sig = rawSign(priv, em)
		}
		p1, ps := agree(t, k, &priv.PublicKey, h, hashed, sig)
		if flip == 0 && !(p1 || ps) {
			t.Fatal("the unchanged signature is refused")
		}
	})
}

// two31 is 2³¹ as a variable, so that int(two31) compiles where int is 32
// bits (it is negative there, and refused all the same).
var two31 int64 = 1 << 31
