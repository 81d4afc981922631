package jwks

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"unicode/utf8"

	"github.com/cognitojwt/cognitojwt/jws"
)

// Key is one validated public verification key from a JWK (RFC 7517).
//
// A Key is immutable once built: treat its fields as read-only. What it
// may verify is fixed when it is built by [ParseKey], [NewKey] or a [Set]
// and is answered by [Key.Fits]; a Key written as a struct literal fits no
// algorithm at all, so it can never be used by mistake.
type Key struct {
	// KeyID is the JWK "kid", any string (Cognito's contain "+", "/" and
	// "="); "" when the JWK has none.
	KeyID string

	// Algorithm is the JWK "alg", or "" when the JWK names none. When set,
	// the key verifies that algorithm only.
	Algorithm jws.Algorithm

	// KeyType is the JWK "kty": "RSA", "EC" or "OKP".
	KeyType string

	// Curve is the JWK "crv": "P-256", "P-384", "P-521" or "Ed25519"; ""
	// for RSA.
	Curve string

	// Public is the key: *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey, already validated by [jws.CheckKey].
	Public crypto.PublicKey

	// algs is the precomputed answer of Fits: one bit per algorithm the
	// key may verify. Zero for a Key not built by this package.
	algs algSet

	// prepared is Public made ready for verification once; nil for a
	// Key not built by this package.
	prepared *jws.Key
}

// algSet holds one bit per supported algorithm, so that binding a token's
// alg to a key on the hot path is a switch and an AND.
type algSet uint16

func algBit(a jws.Algorithm) algSet {
	switch a {
	case jws.RS256:
		return 1 << 0
	case jws.RS384:
		return 1 << 1
	case jws.RS512:
		return 1 << 2
	case jws.PS256:
		return 1 << 3
	case jws.PS384:
		return 1 << 4
	case jws.PS512:
		return 1 << 5
	case jws.ES256:
		return 1 << 6
	case jws.ES384:
		return 1 << 7
	case jws.ES512:
		return 1 << 8
	case jws.EdDSA:
		return 1 << 9
	}
	return 0
}

// algsFor lists what a key of this type and curve may verify: the JWK's
// own alg when it names one, else every algorithm of that type and curve
// (an RSA key without alg serves RS* and PS*).
func algsFor(kty, crv string, alg jws.Algorithm) algSet {
	if alg != "" {
		if alg.KeyType() != kty || alg.Curve() != crv {
			return 0
		}
		return algBit(alg)
	}
	var s algSet
	for _, a := range jws.Algorithms() {
		if a.KeyType() == kty && a.Curve() == crv {
			s |= algBit(a)
		}
	}
	return s
}

// Fits reports whether k may verify a signature made with alg, the
// token's header "alg". It refuses an algorithm outside the allow-list
// (the error wraps [jws.ErrUnsupportedAlgorithm]) and, with
// [ErrInvalidKey], an algorithm of another key type or curve (an RS256
// token against an EC key: algorithm confusion) or other than the JWK's
// own "alg" when the JWK names one. It does not allocate when the key fits.
func (k *Key) Fits(alg jws.Algorithm) error {
	if b := algBit(alg); b != 0 && k != nil && k.algs&b != 0 {
		return nil
	}
	return k.misfit(alg)
}

func (k *Key) misfit(alg jws.Algorithm) error {
	if algBit(alg) == 0 {
		return &detailError{msg: "jwks: unsupported algorithm " + quote(string(alg)), kind: jws.ErrUnsupportedAlgorithm}
	}
	if k == nil || k.algs == 0 {
		return invalidKey("key was not built by ParseKey, NewKey or a Set")
	}
	what := k.KeyType
	if k.Curve != "" {
		what += " " + k.Curve
	}
	if k.Algorithm != "" {
		what += " " + string(k.Algorithm)
	}
	return invalidKey(fmt.Sprintf("key %s is %s, token alg is %s", quote(k.KeyID), what, alg))
}

// ParseKey parses and validates one JWK, a JSON object (RFC 7517 §4), as
// a public signature-verification key.
//
// It accepts "kty" RSA (modulus of 2048 to 8192 bits, odd, without the
// ROCA fingerprint; exponent odd, greater than 1 and below 2^31), EC (P-256, P-384, P-521; "x" and "y" of
// exactly the coordinate length, a point on the curve) and OKP with "crv"
// Ed25519. Numbers and coordinates must be strict base64url: no padding,
// no whitespace, no characters outside the URL-safe alphabet, canonical
// trailing bits, no leading zero octets in "n" or "e". One leniency, for
// keys written by Java's BigInteger: "n" may carry a single leading zero
// octet when the next octet has its high bit set.
//
// It refuses, with an error wrapping [ErrInvalidKey]: any private member
// ("d", "p", "q", "dp", "dq", "qi", "oth", "k"), even empty or null; "kty"
// oct and any unknown kty or curve; a "use" other than "sig"; a "key_ops"
// that is not an array of distinct strings including "verify"; an "alg"
// outside [jws.Algorithms] or one that does not fit kty/crv; a "kid" that
// is not a string; duplicate member names; invalid UTF-8; anything after
// the object. Member names are matched exactly ("KTY" is an unknown
// member). Unknown members, "x5c", "x5t", "x5t#S256" and "x5u" are
// ignored: certificates are never trusted in place of the key.
func ParseKey(data []byte) (*Key, error) {
	k, _, err := parseKey(data)
	return k, err
}

// NewKey builds a Key from a public key held in memory, with the same
// validation as [ParseKey]. kid may be empty. alg may be "" (the key then
// fits every algorithm of its type and curve) or an algorithm the key
// fits. pub must be an *rsa.PublicKey, an *ecdsa.PublicKey on P-256,
// P-384 or P-521, or an ed25519.PublicKey; the Key holds a copy, so later
// changes to pub do not reach it.
func NewKey(kid string, alg jws.Algorithm, pub crypto.PublicKey) (*Key, error) {
	var kty, crv string
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return nil, invalidKey("nil RSA key")
		}
		kty, pub = "RSA", &rsa.PublicKey{N: new(big.Int).Set(p.N), E: p.E}
	case *ecdsa.PublicKey:
		if p == nil || p.Curve == nil {
			return nil, invalidKey("nil EC key")
		}
		crv = curveName(p.Curve)
		if crv == "" {
			return nil, invalidKey("unsupported EC curve")
		}
		point, err := p.Bytes()
		if err != nil {
			return nil, &keyError{why: "EC point is not valid", cause: err}
		}
		c, err := ecdsa.ParseUncompressedPublicKey(p.Curve, point)
		if err != nil {
			return nil, &keyError{why: "EC point is not on " + crv, cause: err}
		}
		kty, pub = "EC", c
	case ed25519.PublicKey:
		kty, crv, pub = "OKP", "Ed25519", ed25519.PublicKey(bytes.Clone(p))
	default:
		return nil, invalidKey(fmt.Sprintf("unsupported key type %T", pub))
	}
	return newKey(kid, kty, crv, alg, pub)
}

// newKey validates pub once, with jws.CheckKey, for an algorithm it will
// be used with; lookups then never validate it again.
func newKey(kid, kty, crv string, alg jws.Algorithm, pub crypto.PublicKey) (*Key, error) {
	if alg != "" && !alg.Supported() {
		return nil, invalidKey("alg " + quote(string(alg)) + " is not a supported signature algorithm")
	}
	algs := algsFor(kty, crv, alg)
	if algs == 0 {
		what := kty
		if crv != "" {
			what += " " + crv
		}
		return nil, invalidKey(fmt.Sprintf("alg %s does not fit a %s key", alg, what))
	}
	// crypto/rsa refuses exponents of 2^31 and above at verification time;
	// refuse them here so that such a key is reported, not silently dead.
	if k, ok := pub.(*rsa.PublicKey); ok && k.E > 1<<31-1 {
		return nil, invalidKey(`RSA exponent is 2^31 or more`)
	}
	check := alg
	if check == "" {
		for _, a := range jws.Algorithms() {
			if algs&algBit(a) != 0 {
				check = a
				break
			}
		}
	}
	if err := jws.CheckKey(check, pub); err != nil {
		return nil, &keyError{why: trimJWS(err), cause: err}
	}
	prepared, err := jws.NewKey(pub)
	if err != nil {
		return nil, &keyError{why: trimJWS(err), cause: err}
	}
	return &Key{KeyID: kid, Algorithm: alg, KeyType: kty, Curve: crv, Public: pub, algs: algs, prepared: prepared}, nil
}

// Verifier returns the key to verify signatures with: the [jws.Key]
// prepared from Public when this package built the Key (for RSA, with the
// modulus's constants computed once, so that each verification is
// faster and allocates nothing), or Public itself for a Key written as a
// struct literal, which verifies the same, only slower.
func (k *Key) Verifier() crypto.PublicKey {
	if k.prepared != nil {
		return k.prepared
	}
	return k.Public
}

// trimJWS drops the "jws: invalid key: " prefix of an error from jws so
// that our message does not repeat it.
func trimJWS(err error) string {
	msg := err.Error()
	prefix := ErrInvalidKey.Error() + ": "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}

func curveName(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "P-256"
	case elliptic.P384():
		return "P-384"
	case elliptic.P521():
		return "P-521"
	}
	return ""
}

func curveByName(name string) (elliptic.Curve, int) {
	switch name {
	case "P-256":
		return elliptic.P256(), 32
	case "P-384":
		return elliptic.P384(), 48
	case "P-521":
		return elliptic.P521(), 66
	}
	return nil, 0
}

// jwk holds the members of one JWK that this package reads. Everything is
// a string in JSON; "has" records presence, because a present but empty
// member ("use": "") must not read as an absent one.
type jwk struct {
	kty, use, alg, kid, crv, n, e, x, y string
	keyOps                              []string
	has                                 uint16
}

const (
	hasKty uint16 = 1 << iota
	hasUse
	hasAlg
	hasKid
	hasCrv
	hasN
	hasE
	hasX
	hasY
	hasKeyOps
)

// privateMembers are the JWK members that carry private or symmetric key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). A document that
// publishes one has leaked a secret: the key is never used.
func isPrivateMember(name string) bool {
	switch name {
	case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
		return true
	}
	return false
}

// parseKey returns the key, or the error and whatever kid it could read
// (for the report of a skipped key).
func parseKey(data []byte) (*Key, string, error) {
	j, err := decodeJWK(data)
	if err != nil {
		return nil, j.kid, err
	}
	k, err := j.key()
	return k, j.kid, err
}

// decodeJWK reads one JSON object member by member with exact names, so
// that a duplicate ("kty" twice) is refused rather than resolved to the
// last one as encoding/json would, and "KTY" is not taken for "kty".
func decodeJWK(data []byte) (jwk, error) {
	var j jwk
	if !utf8.Valid(data) {
		return j, invalidKey("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return j, invalidKey("not a JSON object")
	}
	seen := make(map[string]struct{}, 8)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return j, invalidKey("malformed JSON")
		}
		name, _ := tok.(string)
		if _, dup := seen[name]; dup {
			return j, invalidKey("duplicate member " + quote(name))
		}
		seen[name] = struct{}{}
		if isPrivateMember(name) {
			return j, invalidKey("private key member " + quote(name) + " present")
		}
		var dst *string
		var bit uint16
		switch name {
		case "kty":
			dst, bit = &j.kty, hasKty
		case "use":
			dst, bit = &j.use, hasUse
		case "alg":
			dst, bit = &j.alg, hasAlg
		case "kid":
			dst, bit = &j.kid, hasKid
		case "crv":
			dst, bit = &j.crv, hasCrv
		case "n":
			dst, bit = &j.n, hasN
		case "e":
			dst, bit = &j.e, hasE
		case "x":
			dst, bit = &j.x, hasX
		case "y":
			dst, bit = &j.y, hasY
		case "key_ops":
			ops, err := decodeStrings(dec)
			if err != nil {
				return j, err
			}
			j.keyOps, j.has = ops, j.has|hasKeyOps
			continue
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return j, invalidKey("malformed JSON")
			}
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return j, invalidKey("malformed JSON")
		}
		s, ok := tok.(string)
		if !ok {
			return j, invalidKey("member " + quote(name) + " is not a string")
		}
		*dst, j.has = s, j.has|bit
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return j, invalidKey("malformed JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return j, invalidKey("data after the JSON object")
	}
	return j, nil
}

// decodeStrings reads a JSON array of strings.
func decodeStrings(dec *json.Decoder) ([]string, error) {
	bad := invalidKey(`"key_ops" is not an array of strings`)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, bad
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		s, ok := tok.(string)
		if err != nil || !ok {
			return nil, bad
		}
		out = append(out, s)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, bad
	}
	return out, nil
}

// key checks the members for what a public verification key needs and
// builds the key.
func (j *jwk) key() (*Key, error) {
	if j.has&hasKty == 0 {
		return nil, invalidKey(`missing "kty"`)
	}
	// "use" and "key_ops" both limit what the key is for (RFC 7517 §4.2,
	// §4.3): a key published for encryption must not verify tokens.
	if j.has&hasUse != 0 && j.use != "sig" {
		return nil, invalidKey(`"use" is ` + quote(j.use) + `, not "sig"`)
	}
	if j.has&hasKeyOps != 0 {
		verify := false
		for i, op := range j.keyOps {
			for _, prev := range j.keyOps[:i] {
				if op == prev {
					return nil, invalidKey(`"key_ops" repeats ` + quote(op))
				}
			}
			verify = verify || op == "verify"
		}
		if !verify {
			return nil, invalidKey(`"key_ops" does not include "verify"`)
		}
	}
	alg := jws.Algorithm(j.alg)
	if j.has&hasAlg != 0 && !alg.Supported() {
		return nil, invalidKey("alg " + quote(j.alg) + " is not a supported signature algorithm")
	}
	switch j.kty {
	case "RSA":
		return j.rsa(alg)
	case "EC":
		return j.ec(alg)
	case "OKP":
		return j.okp(alg)
	case "oct":
		// A symmetric key in a public key set: verifying with it would let
		// anyone who can read the set forge tokens.
		return nil, invalidKey(`symmetric "oct" keys are never accepted`)
	}
	return nil, invalidKey("unsupported kty " + quote(j.kty))
}

func (j *jwk) rsa(alg jws.Algorithm) (*Key, error) {
	if j.has&(hasCrv|hasX|hasY) != 0 {
		return nil, invalidKey(`RSA key with "crv", "x" or "y"`)
	}
	if j.has&hasN == 0 || j.has&hasE == 0 {
		return nil, invalidKey(`RSA key needs "n" and "e"`)
	}
	n, err := decodeB64(j.n, "n")
	if err != nil {
		return nil, err
	}
	// RFC 7518 §6.3.1.1 requires the minimal encoding, but Java's
	// BigInteger.toByteArray adds a sign octet to every modulus with its
	// top bit set, and IdPs built on it have published such keys. Accept
	// exactly that shape: one zero octet before an octet >= 0x80.
	if len(n) > 1 && n[0] == 0 && n[1] >= 0x80 {
		n = n[1:]
	}
	if len(n) == 0 || n[0] == 0 {
		return nil, invalidKey(`"n" has leading zero octets`)
	}
	e, err := decodeB64(j.e, "e")
	if err != nil {
		return nil, err
	}
	if len(e) == 0 || e[0] == 0 {
		return nil, invalidKey(`"e" has leading zero octets`)
	}
	if len(e) > 4 || (len(e) == 4 && e[0] >= 0x80) { // see newKey; also keeps exp from overflowing
		return nil, invalidKey(`RSA exponent is 2^31 or more`)
	}
	var exp int
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	return newKey(j.kid, "RSA", "", alg, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp})
}

func (j *jwk) ec(alg jws.Algorithm) (*Key, error) {
	if j.has&(hasN|hasE) != 0 {
		return nil, invalidKey(`EC key with "n" or "e"`)
	}
	if j.has&hasCrv == 0 || j.has&hasX == 0 || j.has&hasY == 0 {
		return nil, invalidKey(`EC key needs "crv", "x" and "y"`)
	}
	curve, size := curveByName(j.crv)
	if curve == nil {
		return nil, invalidKey("unsupported EC curve " + quote(j.crv))
	}
	x, err := decodeB64(j.x, "x")
	if err != nil {
		return nil, err
	}
	y, err := decodeB64(j.y, "y")
	if err != nil {
		return nil, err
	}
	// RFC 7518 §6.2.1.2: each coordinate is exactly the curve's field
	// size, leading zeros included; any other length is another encoding
	// of the key or no key at all.
	if len(x) != size || len(y) != size {
		return nil, invalidKey(fmt.Sprintf("%s coordinates must be %d bytes, got %d and %d", j.crv, size, len(x), len(y)))
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), x...), y...)
	// ParseUncompressedPublicKey refuses coordinates not reduced modulo p,
	// the point at infinity and points off the curve (invalid-curve
	// attacks).
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, &keyError{why: "EC point is not on " + j.crv, cause: err}
	}
	return newKey(j.kid, "EC", j.crv, alg, pub)
}

func (j *jwk) okp(alg jws.Algorithm) (*Key, error) {
	if j.has&(hasN|hasE|hasY) != 0 {
		return nil, invalidKey(`OKP key with "n", "e" or "y"`)
	}
	if j.has&hasCrv == 0 || j.has&hasX == 0 {
		return nil, invalidKey(`OKP key needs "crv" and "x"`)
	}
	// X25519 and X448 are key-agreement keys; Ed448 is not supported.
	if j.crv != "Ed25519" {
		return nil, invalidKey("unsupported OKP curve " + quote(j.crv))
	}
	x, err := decodeB64(j.x, "x")
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, invalidKey(fmt.Sprintf("Ed25519 key must be %d bytes, got %d", ed25519.PublicKeySize, len(x)))
	}
	return newKey(j.kid, "OKP", "Ed25519", alg, ed25519.PublicKey(x))
}

var b64 = base64.RawURLEncoding.Strict()

// decodeB64 decodes unpadded base64url strictly. encoding/base64 skips CR
// and LF anywhere in its input, and Strict only covers trailing bits, so
// the alphabet is checked first: one key must have one encoding.
func decodeB64(s, member string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, invalidKey(`"` + member + `" is not unpadded base64url`)
		}
	}
	out, err := b64.DecodeString(s)
	if err != nil {
		return nil, invalidKey(`"` + member + `" is not canonical base64url`)
	}
	return out, nil
}

// jwkOut is the public JWK that MarshalJSON writes, in RFC member order.
type jwkOut struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use"`
	Alg string `json:"alg,omitempty"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// MarshalJSON encodes k as a public JWK with "use": "sig", in the strict
// form ParseKey reads back: "kty", "kid" (when set), "alg" (when set), and
// "n"/"e" or "crv"/"x"/"y". It refuses a Key not built by this package.
func (k *Key) MarshalJSON() ([]byte, error) {
	if k == nil || k.algs == 0 {
		return nil, invalidKey("key was not built by ParseKey, NewKey or a Set")
	}
	out := jwkOut{Kty: k.KeyType, Kid: k.KeyID, Use: "sig", Alg: string(k.Algorithm), Crv: k.Curve}
	switch p := k.Public.(type) {
	case *rsa.PublicKey:
		out.N = b64.EncodeToString(p.N.Bytes())
		out.E = b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		point, err := p.Bytes()
		if err != nil {
			return nil, &keyError{why: "EC point is not valid", cause: err}
		}
		size := (len(point) - 1) / 2
		out.X = b64.EncodeToString(point[1 : 1+size])
		out.Y = b64.EncodeToString(point[1+size:])
	case ed25519.PublicKey:
		out.X = b64.EncodeToString(p)
	default:
		return nil, invalidKey(fmt.Sprintf("unsupported key type %T", k.Public))
	}
	return json.Marshal(out)
}
