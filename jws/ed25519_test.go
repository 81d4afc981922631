package jws

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"testing"
)

// Independent Edwards25519 arithmetic (affine, big.Int), to confirm the
// constants of ed25519.go from the curve equation rather than trust them.
var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	edD = func() *big.Int { // −121665/121666 mod p
		d := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, edP)
	}()
)

type edPoint struct{ x, y *big.Int }

func edAdd(a, b edPoint) edPoint {
	m := func(v ...*big.Int) *big.Int {
		r := big.NewInt(1)
		for _, x := range v {
			r.Mul(r, x).Mod(r, edP)
		}
		return r
	}
	t := m(edD, a.x, b.x, a.y, b.y)
	xn := new(big.Int).Add(m(a.x, b.y), m(a.y, b.x))
	xd := new(big.Int).Add(big.NewInt(1), t)
	yn := new(big.Int).Add(m(a.y, b.y), m(a.x, b.x)) // a = −1
	yd := new(big.Int).Sub(big.NewInt(1), t)
	x := m(xn, new(big.Int).ModInverse(xd.Mod(xd, edP), edP))
	y := m(yn, new(big.Int).ModInverse(yd.Mod(yd, edP), edP))
	return edPoint{x, y}
}

// edDecode decodes like RFC 8032 §5.1.3 but reduces y mod p, as
// crypto/ed25519 does, and reports whether the point is on the curve.
func edDecode(enc []byte) (edPoint, bool) {
	le := make([]byte, 32)
	for i := range le {
		le[i] = enc[31-i]
	}
	sign := le[0] >> 7
	le[0] &= 0x7f
	y := new(big.Int).Mod(new(big.Int).SetBytes(le), edP)
	y2 := new(big.Int).Mul(y, y)
	num := new(big.Int).Sub(y2, big.NewInt(1))
	den := new(big.Int).Add(new(big.Int).Mul(edD, y2), big.NewInt(1))
	x2 := num.Mul(num, new(big.Int).ModInverse(den.Mod(den, edP), edP))
	x := new(big.Int).ModSqrt(x2.Mod(x2, edP), edP)
	if x == nil {
		return edPoint{}, false
	}
	if x.Bit(0) != uint(sign) {
		x.Sub(edP, x)
		x.Mod(x, edP)
	}
	return edPoint{x, y}, true
}

func edOrder(p edPoint) int {
	q := p
	for n := 1; n <= 8; n++ {
		if q.x.Sign() == 0 && q.y.Cmp(big.NewInt(1)) == 0 {
			return n
		}
		q = edAdd(q, p)
	}
	return 0 // large
}

// smallOrderEncodings are the eight small-order points in canonical form,
// then non-canonical spellings: y ≥ p (p and p + 1 name y = 0 and y = 1)
// and a set sign bit on the points whose x is 0.
var smallOrderEncodings = []struct{ hex, what string }{
	{"0100000000000000000000000000000000000000000000000000000000000000", "identity (order 1)"},
	{"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "order 2"},
	{"0000000000000000000000000000000000000000000000000000000000000000", "order 4"},
	{"0000000000000000000000000000000000000000000000000000000000000080", "order 4, x negated"},
	{"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", "order 8"},
	{"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", "order 8, x negated"},
	{"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", "order 8, other y"},
	{"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", "order 8, other y, x negated"},
	{"0100000000000000000000000000000000000000000000000000000000000080", "identity with the sign bit set (non-canonical)"},
	{"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "order 2 with the sign bit set (non-canonical)"},
	{"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "y = p, order 4 (non-canonical)"},
	{"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "y = p, order 4, x negated (non-canonical)"},
	{"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "y = p + 1, identity (non-canonical)"},
	{"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "y = p + 1, identity, sign bit set (non-canonical)"},
}

// edBase is the encoding of the base point B.
const edBase = "5866666666666666666666666666666666666666666666666666666666666666"

// TestEd25519SmallOrderKeys: every small-order key (and its non-canonical
// spellings) is refused by CheckKey and VerifySignature, although
// crypto/ed25519 verifies the forged signature (R = B, S = 1) under it for
// some message; a genuine key still verifies (the control).
func TestEd25519SmallOrderKeys(t *testing.T) {
	orders := map[int]int{}
	for _, v := range smallOrderEncodings[:8] {
		enc, _ := hex.DecodeString(v.hex)
		p, ok := edDecode(enc)
		if !ok {
			t.Fatalf("%s: %s is not on the curve", v.what, v.hex)
		}
		orders[edOrder(p)]++
	}
	if fmt.Sprint(orders) != "map[1:1 2:1 4:2 8:4]" {
		t.Fatalf("orders of the eight points = %v", orders)
	}

	base, _ := hex.DecodeString(edBase)
	forged := append(base, make([]byte, 32)...)
	forged[32] = 1 // S = 1, little-endian
	for _, v := range smallOrderEncodings {
		t.Run(v.what, func(t *testing.T) {
			key, _ := hex.DecodeString(v.hex)
			if err := CheckKey(EdDSA, ed25519.PublicKey(key)); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("CheckKey = %v, want ErrInvalidKey", err)
			}
			// Find a message the forgery verifies for (k ≡ 0 mod the
			// order: one in eight at worst), proving the key is a
			// universal skeleton key under crypto/ed25519.
			var msg []byte
			for i := 0; i < 256 && msg == nil; i++ {
				m := []byte(`eyJhbGciOiJFZERTQSJ9.` + strconv.Itoa(i))
				if ed25519.Verify(ed25519.PublicKey(key), m, forged) {
					msg = m
				}
			}
			if msg == nil {
				t.Fatal("no message found for which crypto/ed25519 verifies the forgery")
			}
			if err := VerifySignature(EdDSA, ed25519.PublicKey(key), msg, forged); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("VerifySignature of the forgery = %v, want ErrInvalidKey", err)
			}
		})
	}

	// Control: a genuine key passes and verifies its signature; the forged
	// signature does not verify under it.
	k := keys(t).ed
	pub := k.Public().(ed25519.PublicKey)
	if err := CheckKey(EdDSA, pub); err != nil {
		t.Fatalf("genuine key refused: %v", err)
	}
	msg := []byte("eyJhbGciOiJFZERTQSJ9.e30")
	if err := VerifySignature(EdDSA, pub, msg, ed25519.Sign(k, msg)); err != nil {
		t.Fatalf("genuine signature refused: %v", err)
	}
	if err := VerifySignature(EdDSA, pub, msg, forged); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("forgery under a genuine key: %v", err)
	}
}

// TestEd25519NonCanonical: y ≥ p is refused for any point, small order or
// not; the largest canonical y (p − 1, the order-2 point aside) is
// judged on its point.
func TestEd25519NonCanonical(t *testing.T) {
	for i := 0; i < 19; i++ {
		key := make([]byte, 32)
		copy(key, ed25519P[:])
		key[0] += byte(i) // p + i, i < 19 fits below 2^255
		for _, sign := range []byte{0, 0x80} {
			key[31] = 0x7f | sign
			if err := CheckKey(EdDSA, ed25519.PublicKey(key)); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("y = p+%d sign %x: CheckKey = %v", i, sign, err)
			}
		}
	}
}
