package rsapub

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"math/big"
	"math/bits"
)

// MaxBits is the largest modulus New takes. The working values live in
// arrays of this size on the stack, so an operation allocates nothing.
const MaxBits = 8192

const maxWords = MaxBits / 64

// Key is an RSA public key with its Montgomery constants: the modulus as
// words, −n⁻¹ mod 2⁶⁴ and R^e mod n (R = 2^(64·words)). It is immutable
// and safe for concurrent use.
type Key struct {
	n     []uint64 // modulus, least significant word first
	m0inv uint64   // −n[0]⁻¹ mod 2⁶⁴
	re    []uint64 // R^e mod n, see exp
	e     uint64
	size  int // modulus length in bytes: the length of a signature
	bits  int // modulus length in bits
}

var errKey = errors.New("rsapub: modulus must be odd and of at most 8192 bits, exponent odd, greater than 1 and below 2^31")

// New computes pub's constants. It refuses an even modulus, one over
// MaxBits, and an exponent that is even, not greater than 1 or not below
// 2³¹ (what crypto/rsa refuses at verification).
func New(pub *rsa.PublicKey) (*Key, error) {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 || pub.N.Bit(0) == 0 || pub.N.BitLen() > MaxBits ||
		pub.E <= 1 || pub.E&1 == 0 || pub.E > 1<<31-1 {
		return nil, errKey
	}
	words := (pub.N.BitLen() + 63) / 64
	k := &Key{
		n:    toWords(pub.N, words),
		e:    uint64(pub.E),
		size: (pub.N.BitLen() + 7) / 8,
		bits: pub.N.BitLen(),
	}
	// Newton's iteration for n[0]⁻¹ mod 2⁶⁴: each step doubles the
	// number of correct low bits, and x = n[0] is right to 3 bits for any
	// odd n[0] (n·n ≡ 1 mod 8).
	n0 := k.n[0]
	x := n0
	for range 5 {
		x *= 2 - n0*x
	}
	k.m0inv = -x
	r := new(big.Int).Lsh(big.NewInt(1), uint(64*words))
	k.re = toWords(r.Exp(r, big.NewInt(int64(pub.E)), pub.N), words)
	return k, nil
}

// Size is the length in bytes of the modulus and of every signature.
func (k *Key) Size() int { return k.size }

// toWords goes through bytes: big.Word is 32 bits on 32-bit platforms.
func toWords(x *big.Int, words int) []uint64 {
	b := x.FillBytes(make([]byte, 8*words))
	w := make([]uint64, words)
	for i := range w {
		w[i] = binary.BigEndian.Uint64(b[len(b)-8*(i+1):])
	}
	return w
}

// exp sets out (k.size bytes) to sig^e mod n and reports whether sig is a
// valid input: exactly k.size bytes, as an integer below n (RFC 8017
// §5.2.2 step 1).
//
// It runs the square-and-multiply ladder on s itself, not on s·R: each
// Montgomery step divides by R once more, and the invariant "the
// accumulator holds s^j·R^−(j−1)" holds after a square (2j, 2j−1) and a
// multiply by s (j+1, j), so the ladder ends at s^e·R^−(e−1). One more
// Montgomery multiply by R^e mod n, precomputed in New, gives s^e. That
// is one multiplication fewer than converting s into and out of
// Montgomery form.
func (k *Key) exp(out, sig []byte) bool {
	if len(sig) != k.size || len(out) != k.size {
		return false
	}
	nw := len(k.n)
	var sBuf, accBuf [maxWords]uint64
	var tBuf [2 * maxWords]uint64
	s, acc, t := sBuf[:nw], accBuf[:nw], tBuf[:2*nw]
	for i := range s {
		// Word i holds bytes [size−8(i+1), size−8i) of the big-endian input.
		end := k.size - 8*i
		var w uint64
		for j := max(end-8, 0); j < end; j++ {
			w = w<<8 | uint64(sig[j])
		}
		s[i] = w
	}
	if !less(s, k.n) {
		return false
	}
	copy(acc, s)
	for i := bits.Len64(k.e) - 2; i >= 0; i-- {
		sqr(t, acc)
		redc(acc, t, k.n, k.m0inv)
		if k.e>>uint(i)&1 == 1 {
			mul(t, acc, s)
			redc(acc, t, k.n, k.m0inv)
		}
	}
	mul(t, acc, k.re)
	redc(acc, t, k.n, k.m0inv)
	for i := range acc {
		w := acc[i]
		end := k.size - 8*i
		for j := end - 1; j >= max(end-8, 0); j-- {
			out[j] = byte(w)
			w >>= 8
		}
	}
	return true
}

// DigestInfo prefixes of RFC 8017 §9.2 note 1: the DER of the hash's
// AlgorithmIdentifier (parameters NULL) and the OCTET STRING header.
var (
	prefixSHA256 = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
	prefixSHA384 = []byte{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}
	prefixSHA512 = []byte{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40}
)

func prefix(h crypto.Hash) []byte {
	switch h {
	case crypto.SHA256:
		return prefixSHA256
	case crypto.SHA384:
		return prefixSHA384
	case crypto.SHA512:
		return prefixSHA512
	}
	return nil
}

// VerifyPKCS1v15 reports whether sig is an RSASSA-PKCS1-v1_5 signature
// of hashed, a SHA-256, SHA-384 or SHA-512 digest (RFC 8017 §8.2.2). It
// compares the whole encoded message 00 01 FF…FF 00 DigestInfo, as
// crypto/rsa does: no ASN.1 is parsed, so no lenient reading exists.
func (k *Key) VerifyPKCS1v15(h crypto.Hash, hashed, sig []byte) bool {
	p := prefix(h)
	if p == nil || len(hashed) != h.Size() {
		return false
	}
	t := len(p) + len(hashed)
	if k.size < t+11 {
		return false
	}
	var buf [MaxBits / 8]byte
	em := buf[:k.size]
	if !k.exp(em, sig) {
		return false
	}
	ok := em[0] == 0 && em[1] == 1 && em[k.size-t-1] == 0
	for _, b := range em[2 : k.size-t-1] {
		ok = ok && b == 0xff
	}
	return ok && string(em[k.size-t:k.size-len(hashed)]) == string(p) && string(em[k.size-len(hashed):]) == string(hashed)
}

// VerifyPSS reports whether sig is an RSASSA-PSS signature of hashed with
// MGF1 and a salt exactly as long as the hash, both over h, which must be
// SHA-256, SHA-384 or SHA-512 (RFC 8017 §8.1.2 and §9.1.2; RFC 7518
// §3.5 fixes the salt length).
func (k *Key) VerifyPSS(h crypto.Hash, hashed, sig []byte) bool {
	hLen := h.Size()
	if prefix(h) == nil || len(hashed) != hLen {
		return false
	}
	var buf [MaxBits / 8]byte
	em := buf[:k.size]
	if !k.exp(em, sig) {
		return false
	}
	// §8.1.2 step 2c: EM is ⌈(modBits−1)/8⌉ bytes; when that is one byte
	// shorter than the modulus, the leading byte must be zero.
	emBits := k.bits - 1
	emLen := (emBits + 7) / 8
	if emLen < len(em) {
		if em[0] != 0 {
			return false
		}
		em = em[1:]
	}
	sLen := hLen
	if emLen < hLen+sLen+2 || em[emLen-1] != 0xbc {
		return false
	}
	db, hh := em[:emLen-hLen-1], em[emLen-hLen-1:emLen-1]
	topMask := byte(0xff >> (8*emLen - emBits))
	if db[0]&^topMask != 0 {
		return false
	}
	mgf1XOR(db, h, hh)
	db[0] &= topMask
	psLen := emLen - hLen - sLen - 2
	for _, b := range db[:psLen] {
		if b != 0 {
			return false
		}
	}
	if db[psLen] != 1 {
		return false
	}
	salt := db[len(db)-sLen:]
	// M' = 00×8 ‖ mHash ‖ salt, hashed.
	var mBuf [8 + 2*64]byte
	m := append(append(mBuf[:8], hashed...), salt...)
	var sum [64]byte
	return string(digest(sum[:0], h, m)) == string(hh)
}

// mgf1XOR xors out with MGF1(seed) over h (RFC 8017 §B.2.1).
func mgf1XOR(out []byte, h crypto.Hash, seed []byte) {
	var in [64 + 4]byte
	copy(in[:], seed)
	var sum [64]byte
	for counter := uint32(0); len(out) > 0; counter++ {
		c := in[len(seed) : len(seed)+4]
		c[0], c[1], c[2], c[3] = byte(counter>>24), byte(counter>>16), byte(counter>>8), byte(counter)
		d := digest(sum[:0], h, in[:len(seed)+4])
		n := min(len(out), len(d))
		for i := range n {
			out[i] ^= d[i]
		}
		out = out[n:]
	}
}

func digest(dst []byte, h crypto.Hash, in []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(in)
		return append(dst, d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(in)
		return append(dst, d[:]...)
	default:
		d := sha512.Sum512(in)
		return append(dst, d[:]...)
	}
}
