package jwks

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/cognitojwt/cognitojwt/jws"
)

// DefaultMaxKeys is the number of entries a JWK Set may hold unless
// configured otherwise. Real issuers publish two to a handful (Cognito: 2;
// Google, Entra ID: under 10); a hundred leaves room for rotation overlap
// while bounding the parsing an endpoint can make us do.
const DefaultMaxKeys = 100

// ParseOptions configures [ParseSet]. The zero value (or nil) gives the
// defaults.
type ParseOptions struct {
	// MaxKeys caps the entries in "keys", usable or not: a document with
	// more is refused with ErrInvalidSet, without parsing the rest.
	// 0 means DefaultMaxKeys (100); negative means no cap.
	MaxKeys int
}

// SkippedKey reports one entry of a JWK Set that the set does not use.
type SkippedKey struct {
	// Index is the entry's position in "keys", from 0.
	Index int
	// KeyID is the entry's "kid" when it could be read, else "". It comes
	// from the document: quote it before logging if the source is not
	// trusted.
	KeyID string
	// Err says why: it wraps ErrInvalidKey (the JWK was refused) or
	// ErrAmbiguousKeyID (see NewSet).
	Err error
}

// Set is an immutable, validated set of verification keys, safe for
// concurrent use. Build one with [ParseSet] or [NewSet]. The zero value
// is an empty set.
//
// For any kid and algorithm a Set holds at most one key that fits, so the
// token's header can never choose between keys: see [NewSet] for the rule
// on repeated kids.
type Set struct {
	keys  []*Key            // usable keys, in document order
	byKID map[string][]*Key // kid → its keys (more than one only when they fit disjoint algorithms)
}

// ParseSet parses a JWK Set document (RFC 7517 §5): a JSON object whose
// "keys" member is an array of JWKs. Every entry goes through [ParseKey];
// an entry that fails, or is dropped by the repeated-kid rule of
// [NewSet], is returned in skipped with its reason and never makes the
// rest of the set fail. opts may be nil.
//
// It fails, with an error wrapping [ErrInvalidSet], only for a document
// that cannot be used at all: not a single JSON object, no "keys" array,
// a duplicate member name at the top level, or more entries than
// MaxKeys. Other top-level members are ignored. A document whose keys
// are all skipped, or whose "keys" is empty, is a valid empty set: the
// issuer publishes nothing we can trust.
func ParseSet(data []byte, opts *ParseOptions) (set *Set, skipped []SkippedKey, err error) {
	maxKeys := DefaultMaxKeys
	if opts != nil && opts.MaxKeys != 0 {
		maxKeys = opts.MaxKeys
	}
	return parseSet(data, maxKeys)
}

func parseSet(data []byte, maxKeys int) (*Set, []SkippedKey, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, setError("not a JSON object")
	}
	var (
		keys    []*Key
		index   []int // index[i] is the position of keys[i] in "keys"
		skipped []SkippedKey
		found   bool
		seen    = make(map[string]struct{}, 1)
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, setError("malformed JSON")
		}
		name, _ := tok.(string)
		if _, dup := seen[name]; dup {
			// Two "keys" members would mean two key sets, resolved
			// differently by different parsers.
			return nil, nil, setError("duplicate member " + quote(name))
		}
		seen[name] = struct{}{}
		if name != "keys" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, nil, setError("malformed JSON")
			}
			continue
		}
		found = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return nil, nil, setError(`"keys" is not an array`)
		}
		for n := 0; dec.More(); n++ {
			if maxKeys > 0 && n >= maxKeys {
				return nil, nil, setError(fmt.Sprintf("more than %d keys", maxKeys))
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, nil, setError("malformed JSON")
			}
			k, kid, err := parseKey(raw)
			if err != nil {
				skipped = append(skipped, SkippedKey{Index: n, KeyID: kid, Err: err})
				continue
			}
			keys = append(keys, k)
			index = append(index, n)
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
			return nil, nil, setError("malformed JSON")
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, nil, setError("malformed JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, setError("data after the JSON object")
	}
	if !found {
		return nil, nil, setError(`no "keys" member`)
	}
	set, dropped := buildSet(keys, index)
	if len(dropped) > 0 {
		skipped = append(skipped, dropped...)
		slices.SortFunc(skipped, func(a, b SkippedKey) int { return a.Index - b.Index })
	}
	return set, skipped, nil
}

// NewSet builds a Set from keys made by [ParseKey] or [NewKey]; a nil key
// or one written as a struct literal is skipped. Index in skipped is the
// position in keys.
//
// Repeated kids. RFC 7517 §4.5 allows one kid for several keys "if they
// have different kty values but are considered equivalent alternatives".
// The rule here keeps that and nothing more: keys that share a kid are all
// kept when no algorithm fits two of them (an RSA key and an EC key, or
// RSA keys pinned to RS256 and PS256), since the token's alg then selects
// exactly one, and the signature must still verify under it. When any
// algorithm fits two of them, the kid is ambiguous and every key with it
// is dropped and reported with [ErrAmbiguousKeyID]: neither the order of
// the document nor the token may decide which key is trusted. An entry
// identical to an earlier one (same kid, alg and key) is merged with it,
// as publishing a key twice is a harmless slip.
//
// A key without kid is stored under the kid "" and follows the same
// rules: a token without "kid" can use only a key without "kid" (the only
// one that fits its alg), and a token with a kid never falls back to it.
// No key is ever chosen by trying several.
func NewSet(keys ...*Key) (*Set, []SkippedKey) {
	var (
		usable  []*Key
		index   []int
		skipped []SkippedKey
	)
	for i, k := range keys {
		if k == nil || k.algs == 0 {
			skipped = append(skipped, SkippedKey{Index: i, Err: invalidKey("key was not built by ParseKey or NewKey")})
			if k != nil {
				skipped[len(skipped)-1].KeyID = k.KeyID
			}
			continue
		}
		usable = append(usable, k)
		index = append(index, i)
	}
	set, dropped := buildSet(usable, index)
	if len(dropped) > 0 {
		skipped = append(skipped, dropped...)
		slices.SortFunc(skipped, func(a, b SkippedKey) int { return a.Index - b.Index })
	}
	return set, skipped
}

// buildSet applies the repeated-kid rule to valid keys and indexes the
// rest. index[i] is the position of keys[i] for the reports.
func buildSet(keys []*Key, index []int) (*Set, []SkippedKey) {
	groups := make(map[string][]int, len(keys)) // kid → positions in keys
	for i, k := range keys {
		groups[k.KeyID] = append(groups[k.KeyID], i)
	}
	drop := make([]bool, len(keys))
	var skipped []SkippedKey
	for i, k := range keys {
		g := groups[k.KeyID]
		if len(g) < 2 || g[0] != i { // a lone kid, or a group already handled
			continue
		}
		var distinct []int
		for _, j := range g {
			merged := false
			for _, d := range distinct {
				if identical(keys[d], keys[j]) {
					merged = true
					break
				}
			}
			if merged {
				drop[j] = true
			} else {
				distinct = append(distinct, j)
			}
		}
		if !overlap(keys, distinct) {
			continue
		}
		err := &detailError{
			msg:  fmt.Sprintf("jwks: kid %s is shared by %d keys that fit the same algorithm", quote(k.KeyID), len(distinct)),
			kind: ErrAmbiguousKeyID,
		}
		for _, j := range g {
			drop[j] = true
			skipped = append(skipped, SkippedKey{Index: index[j], KeyID: k.KeyID, Err: err})
		}
	}
	s := &Set{byKID: make(map[string][]*Key, len(keys))}
	for i, k := range keys {
		if !drop[i] {
			s.keys = append(s.keys, k)
			s.byKID[k.KeyID] = append(s.byKID[k.KeyID], k)
		}
	}
	return s, skipped
}

func overlap(keys []*Key, positions []int) bool {
	var union algSet
	for _, p := range positions {
		if union&keys[p].algs != 0 {
			return true
		}
		union |= keys[p].algs
	}
	return false
}

func identical(a, b *Key) bool {
	if a.KeyID != b.KeyID || a.algs != b.algs || a.KeyType != b.KeyType || a.Curve != b.Curve {
		return false
	}
	eq, ok := a.Public.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b.Public)
}

// Lookup returns the key with this kid that fits alg, the token's header
// values. It fails with an error wrapping [jws.ErrUnsupportedAlgorithm]
// for an alg outside the allow-list, [ErrInvalidKey] when the kid exists
// but its key does not fit alg (see [Key.Fits]), and [ErrKeyNotFound]
// otherwise. It does not allocate when it finds the key.
func (s *Set) Lookup(kid string, alg jws.Algorithm) (*Key, error) {
	if k := s.find(kid, alg); k != nil {
		return k, nil
	}
	return nil, s.missError(kid, alg)
}

// find is the hit path: one map lookup and, per key under the kid
// (almost always one), an AND of precomputed algorithm bits.
func (s *Set) find(kid string, alg jws.Algorithm) *Key {
	if s == nil {
		return nil
	}
	bit := algBit(alg)
	for _, k := range s.byKID[kid] {
		if k.algs&bit != 0 {
			return k
		}
	}
	return nil
}

// has reports whether any key has this kid, whatever its algorithm.
func (s *Set) has(kid string) bool {
	return s != nil && len(s.byKID[kid]) > 0
}

func (s *Set) missError(kid string, alg jws.Algorithm) error {
	if algBit(alg) == 0 {
		return &detailError{msg: "jwks: unsupported algorithm " + quote(string(alg)), kind: jws.ErrUnsupportedAlgorithm}
	}
	if s != nil {
		switch ks := s.byKID[kid]; len(ks) {
		case 0:
		case 1:
			return ks[0].misfit(alg)
		default:
			return invalidKey(fmt.Sprintf("no key %s fits alg %s", quote(kid), alg))
		}
	}
	return notFound(kid)
}

func notFound(kid string) error {
	if kid == "" {
		// Say so: "key \"\" not found" reads as a bug of the verifier.
		return &detailError{msg: "jwks: token has no kid, and no key without a kid fits it", kind: ErrKeyNotFound}
	}
	return &detailError{msg: "jwks: key " + quote(kid) + " not found", kind: ErrKeyNotFound}
}

// Len returns the number of usable keys.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// Keys returns the usable keys in document order, in a new slice. The
// keys themselves are shared and must not be modified.
func (s *Set) Keys() []*Key {
	if s == nil {
		return nil
	}
	return slices.Clone(s.keys)
}

// MarshalJSON encodes the usable keys as a JWK Set document,
// {"keys":[...]}, each key as [Key.MarshalJSON] writes it.
func (s *Set) MarshalJSON() ([]byte, error) {
	keys := []*Key{}
	if s != nil && s.keys != nil {
		keys = s.keys
	}
	return json.Marshal(struct {
		Keys []*Key `json:"keys"`
	}{keys})
}
