package jws

import (
	"crypto"
	"fmt"
	"strings"
	"sync"
	"time"
)

// DefaultMaxTokenSize is the size limit applied when [Parser.MaxSize] is
// zero: 16 KiB, several times a Cognito ID token with many groups and
// custom claims. It is checked before the token is split or decoded.
const DefaultMaxTokenSize = 16 << 10

// MaxKeyIDLength bounds the "kid" header. Key ids are looked up in caches
// and echoed in logs; real ones are under 100 bytes.
const MaxKeyIDLength = 256

// scratch holds decode buffers between calls; a token larger than a
// buffer grows it.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// Parser parses compact JWS tokens. The zero value is ready to use, with
// the defaults documented on each field; a Parser is safe for concurrent
// use and may be shared.
type Parser struct {
	// MaxSize is the largest token accepted, in bytes. Zero means
	// DefaultMaxTokenSize. A larger token is refused before any work.
	MaxSize int

	// Algorithms, when not empty, narrows the accepted "alg" values to
	// this list. Zero means every supported algorithm. Listing an
	// unsupported algorithm does not make it accepted.
	Algorithms []Algorithm

	// AllowPadding accepts base64url segments that end in "=" padding
	// (RFC 4648 §5 with padding), as well as unpadded ones. RFC 7515 §2
	// forbids padding, so leave it off (the default) unless the issuer is
	// known to pad, such as AWS ALB's x-amzn-oidc-data. Padding must be
	// exactly right: only at the end, one or two "=", and only where the
	// padded segment's length is a multiple of four; every other strict
	// rule (alphabet, canonical trailing bits, no line breaks) still
	// applies. The signature is checked over the segments as sent.
	AllowPadding bool
}

// Parse parses token with the default [Parser]. See [Parser.Parse].
func Parse(token string) (*Token, error) {
	var p Parser
	return p.Parse(token)
}

// Token is a parsed, not yet verified, compact JWS whose payload is a JWT
// claims set. Its fields must not be modified; call [Token.Verify] before
// trusting any of them.
type Token struct {
	Header    Header
	Claims    Claims
	Signature []byte // decoded signature, as long as the algorithm requires only if valid

	signingInput string // "header.payload", the exact bytes that were signed
	verifiedBy   crypto.PublicKey
}

// Header holds the JOSE header members this library acts on.
type Header struct {
	Algorithm   Algorithm // "alg": always one of the supported algorithms
	KeyID       string    // "kid": empty when absent
	Type        string    // "typ": empty when absent
	ContentType string    // "cty": empty when absent

	raw string
}

// Raw returns a copy of the decoded header JSON.
func (h *Header) Raw() []byte { return []byte(h.raw) }

// Claims holds the registered claims of RFC 7519 §4.1, decoded strictly,
// and gives exact-name access to every other top-level claim.
type Claims struct {
	Issuer   string   // "iss"
	Subject  string   // "sub"
	Audience []string // "aud": a string becomes a one-element list; absent is nil
	ID       string   // "jti"

	// NumericDates. The zero time.Time means the claim was absent; a
	// present one is a finite JSON number in [0, 253402300799] (year 9999).
	ExpiresAt time.Time // "exp"
	NotBefore time.Time // "nbf"
	IssuedAt  time.Time // "iat"

	raw     string
	members []member
	aud1    [1]string
	memBuf  [16]member
}

// member is one top-level claim: its decoded name and raw JSON value.
type member struct {
	name  string
	value string
}

// Raw returns a copy of the decoded claims JSON.
func (c *Claims) Raw() []byte { return []byte(c.raw) }

// RawString returns the decoded claims JSON as a string, without copying.
func (c *Claims) RawString() string { return c.raw }

// Get returns the top-level claim called exactly name (names are
// case-sensitive; a token never has two claims of one name) and whether it
// is present.
func (c *Claims) Get(name string) (Value, bool) {
	for _, m := range c.members {
		if m.name == name {
			return Value{raw: m.value, name: name}, true
		}
	}
	return Value{}, false
}

// Names returns the names of every top-level claim, in token order.
func (c *Claims) Names() []string {
	names := make([]string, len(c.members))
	for i, m := range c.members {
		names[i] = m.name
	}
	return names
}

// SigningInput returns a copy of the bytes the signature covers
// ("header.payload").
func (t *Token) SigningInput() []byte { return []byte(t.signingInput) }

// Verify reports whether the token's signature is valid under key for the
// token's algorithm; see [VerifySignature] for what it refuses. On success
// it records key (for a *[Key], the key it holds), which
// [Token.VerifiedKey] returns.
func (t *Token) Verify(key crypto.PublicKey) error {
	// The signing input is kept as a substring of the token so that Parse
	// does not copy it; hashing needs bytes, so copy it here, on the stack
	// for tokens of usual size.
	var stack [2048]byte
	in := append(stack[:0], t.signingInput...)
	if err := VerifySignature(t.Header.Algorithm, key, in, t.Signature); err != nil {
		return err
	}
	if k, ok := key.(*Key); ok {
		key = k.pub
	}
	t.verifiedBy = key
	return nil
}

// VerifiedKey returns the key under which Verify last succeeded, or nil
// when it never did. Verify records it, so a Token must not be verified
// concurrently with itself.
func (t *Token) VerifiedKey() crypto.PublicKey { return t.verifiedBy }

// Parse parses a compact JWS whose payload is a JWT claims set. It does not
// verify the signature.
//
// In order, it refuses with an error wrapping [ErrMalformed]: a token over
// the size limit; one with other than three segments (counted before
// anything is split, so a token of many dots costs nothing); an empty
// segment; any byte outside the unpadded base64url alphabet (padding only
// with [Parser.AllowPadding]); non-canonical base64url; a header or
// payload that is not exactly one JSON object of valid UTF-8 with unique
// member names; a header without "alg", with
// members of the wrong type, a "kid" over MaxKeyIDLength bytes, or a "crit",
// "b64", "zip" or "enc" member (extensions this library does not
// implement, RFC 7515 §4.1.11); registered claims of the wrong type. An
// "alg" that is not allowed is refused with [ErrUnsupportedAlgorithm] (or
// [ErrAlgNone], [ErrSymmetricAlgorithm]) before the claims are read. A nil
// *Parser behaves as the zero value.
// The "jku", "x5u", "x5c" and "jwk" headers are validated as JSON and never
// used: a key named by the token itself proves nothing.
func (p *Parser) Parse(token string) (*Token, error) {
	limit := DefaultMaxTokenSize
	if p != nil && p.MaxSize > 0 {
		limit = p.MaxSize
	}
	if len(token) > limit {
		return nil, malformed("token is %d bytes, limit is %d", len(token), limit)
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return nil, malformed("want 3 segments, got 1")
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 < 0 {
		return nil, malformed("want 3 segments, got 2")
	}
	d2 += d1 + 1
	if strings.IndexByte(token[d2+1:], '.') >= 0 {
		return nil, malformed("want 3 segments, got more")
	}
	if d1 == 0 || d2 == d1+1 || d2 == len(token)-1 {
		return nil, malformed("empty segment")
	}
	hSeg, cSeg, sSeg := token[:d1], token[d1+1:d2], token[d2+1:]
	form := "unpadded base64url"
	if p != nil && p.AllowPadding {
		form = "base64url"
		var ok bool
		if hSeg, ok = unpad(hSeg); !ok {
			return nil, malformed("header has wrong base64url padding")
		}
		if cSeg, ok = unpad(cSeg); !ok {
			return nil, malformed("payload has wrong base64url padding")
		}
		if sSeg, ok = unpad(sSeg); !ok {
			return nil, malformed("signature has wrong base64url padding")
		}
	}
	// The header and claims are decoded into a pooled scratch buffer and
	// copied once into the string that backs every decoded name and
	// value; the signature gets its own slice.
	hLen := decodedLen(len(hSeg))
	cLen := decodedLen(len(cSeg))
	sLen := decodedLen(len(sSeg))
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	if cap(*bp) < hLen+cLen {
		*bp = make([]byte, hLen+cLen)
	}
	dst := (*bp)[:hLen+cLen]

	t := &Token{signingInput: token[:d2], Signature: make([]byte, sLen)}
	if !decodeSegment(dst, hSeg) {
		return nil, malformed("header is not canonical %s", form)
	}
	if !decodeSegment(dst[hLen:], cSeg) {
		return nil, malformed("payload is not canonical %s", form)
	}
	if !decodeSegment(t.Signature, sSeg) {
		return nil, malformed("signature is not canonical %s", form)
	}
	hn, cn := hLen, cLen
	text := string(dst)
	t.Header.raw = text[:hn]
	t.Claims.raw = text[hn:]

	if err := t.Header.parse(text[:hn], dst[:hn]); err != nil {
		return nil, err
	}
	if err := p.allowed(t.Header.Algorithm); err != nil {
		return nil, err
	}
	if err := t.Claims.parse(text[hn:], dst[hn:hn+cn]); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *Parser) allowed(alg Algorithm) error {
	if err := checkAlg(alg); err != nil {
		return err
	}
	if p == nil || len(p.Algorithms) == 0 {
		return nil
	}
	for _, a := range p.Algorithms {
		if a == alg {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is not in the allowed list", ErrUnsupportedAlgorithm, alg)
}

// parse reads the header JSON s; b holds the same bytes.
func (h *Header) parse(s string, b []byte) error {
	d := decoder{s: s, b: b, what: "header"}
	if err := d.openObject(); err != nil {
		return err
	}
	var names nameSet
	hasAlg := false
	for first := true; ; first = false {
		name, done, err := d.next(first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		if !names.add(name) {
			return d.fail("duplicate member name " + sanitize(name))
		}
		switch name {
		case "alg":
			v, err := d.stringValue(name)
			if err != nil {
				return err
			}
			h.Algorithm, hasAlg = Algorithm(v), true
		case "kid":
			v, err := d.stringValue(name)
			if err != nil {
				return err
			}
			if len(v) > MaxKeyIDLength {
				return d.fail(fmt.Sprintf("kid is %d bytes, limit is %d", len(v), MaxKeyIDLength))
			}
			h.KeyID = v
		case "typ":
			if h.Type, err = d.stringValue(name); err != nil {
				return err
			}
		case "cty":
			if h.ContentType, err = d.stringValue(name); err != nil {
				return err
			}
		case "crit", "b64", "zip", "enc":
			return d.fail("unsupported header parameter " + name)
		default:
			if _, err := d.value(); err != nil {
				return err
			}
		}
	}
	if err := d.end(); err != nil {
		return err
	}
	if !hasAlg {
		return malformed("header: alg is missing")
	}
	return nil
}

// parse reads the claims JSON s; b holds the same bytes.
func (c *Claims) parse(s string, b []byte) error {
	d := decoder{s: s, b: b, what: "claims"}
	if err := d.openObject(); err != nil {
		return err
	}
	c.members = c.memBuf[:0]
	var big map[string]struct{} // past len(memBuf) names, duplicates are found by map
	for first := true; ; first = false {
		name, done, err := d.next(first)
		if err != nil {
			return err
		}
		if done {
			break
		}
		if c.has(name, &big) {
			return d.fail("duplicate claim " + sanitize(name))
		}
		start := d.i
		switch name {
		case "iss":
			c.Issuer, err = d.stringValue(name)
		case "sub":
			c.Subject, err = d.stringValue(name)
		case "jti":
			c.ID, err = d.stringValue(name)
		case "aud":
			err = c.parseAudience(&d)
		case "exp":
			c.ExpiresAt, err = d.numericDate(name)
		case "nbf":
			c.NotBefore, err = d.numericDate(name)
		case "iat":
			c.IssuedAt, err = d.numericDate(name)
		default:
			_, err = d.value()
		}
		if err != nil {
			return err
		}
		c.members = append(c.members, member{name: name, value: s[start:d.i]})
	}
	return d.end()
}

// has reports whether name is already a member, using a linear scan of the
// members while they are few, and the map *big (built on demand) once they
// are many, so that a token of thousands of short names costs linear time.
func (c *Claims) has(name string, big *map[string]struct{}) bool {
	if len(c.members) < len(c.memBuf) {
		for _, m := range c.members {
			if m.name == name {
				return true
			}
		}
		return false
	}
	if *big == nil {
		*big = make(map[string]struct{}, 2*len(c.members))
		for _, m := range c.members {
			(*big)[m.name] = struct{}{}
		}
	}
	if _, dup := (*big)[name]; dup {
		return true
	}
	(*big)[name] = struct{}{}
	return false
}

// parseAudience accepts a string or a non-empty array of strings (RFC 7519
// §4.1.3). An empty array is refused rather than read as "no audience".
func (c *Claims) parseAudience(d *decoder) error {
	if d.i < len(d.s) && d.s[d.i] == '"' {
		v, err := d.str()
		if err != nil {
			return err
		}
		c.aud1[0] = v
		c.Audience = c.aud1[:]
		return nil
	}
	if d.i >= len(d.s) || d.s[d.i] != '[' {
		return d.fail("aud must be a string or an array of strings")
	}
	d.i++
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		return d.fail("aud is an empty array")
	}
	aud := make([]string, 0, 2)
	for {
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return d.fail("aud must be a string or an array of strings")
		}
		v, err := d.str()
		if err != nil {
			return err
		}
		aud = append(aud, v)
		d.ws()
		if d.i >= len(d.s) {
			return d.fail("unterminated array")
		}
		if d.s[d.i] == ']' {
			d.i++
			c.Audience = aud
			return nil
		}
		if d.s[d.i] != ',' {
			return d.fail("expected ',' or ']'")
		}
		d.i++
	}
}

func (d *decoder) stringValue(name string) (string, error) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", d.fail(name + " must be a string")
	}
	return d.str()
}

func (d *decoder) numericDate(name string) (time.Time, error) {
	if d.i >= len(d.s) || (d.s[d.i] != '-' && (d.s[d.i] < '0' || d.s[d.i] > '9')) {
		return time.Time{}, d.fail(name + " must be a number")
	}
	lit, err := d.number()
	if err != nil {
		return time.Time{}, err
	}
	t, err := parseNumericDate(lit)
	if err != nil {
		return time.Time{}, d.fail(name + " " + err.Error())
	}
	return t, nil
}
