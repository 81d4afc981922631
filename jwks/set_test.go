package jwks

import (
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/jws"
)

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKey(t testing.TB, kid string, alg jws.Algorithm, pub any) *Key {
	t.Helper()
	k, err := NewKey(kid, alg, pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseSetSkipsBadKeys(t *testing.T) {
	rsa0 := mustJSON(t, mustKey(t, "rsa", jws.RS256, &rsaKeys()[0].PublicKey))
	ec := mustJSON(t, ecKey(t, "ec"))
	ed := mustJSON(t, mustKey(t, "ed", "", ed25519Pub(t)))
	n := enc(rsaKeys()[1].N.Bytes())
	data := setDoc(
		rsa0,
		obj("kty", "RSA", "kid", "leaked", "n", n, "e", "AQAB", "d", "AQAB"),
		obj("kty", "oct", "kid", "hmac", "alg", "HS256"),
		ec,
		[]byte(`"not a key"`),
		[]byte(`null`),
		obj("kty", "RSA", "kid", "enc", "use", "enc", "n", n, "e", "AQAB"),
		ed,
		obj("kty", "RSA", "kid", "weak", "n", enc(oddBytes(128)), "e", "AQAB"),
	)
	set, skipped, err := ParseSet(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys() {
		kids = append(kids, k.KeyID)
	}
	if want := []string{"rsa", "ec", "ed"}; !slices.Equal(kids, want) {
		t.Errorf("usable keys %q, want %q in document order", kids, want)
	}
	if set.Len() != 3 {
		t.Errorf("Len = %d", set.Len())
	}
	want := []struct {
		index int
		kid   string
	}{{1, "leaked"}, {2, "hmac"}, {4, ""}, {5, ""}, {6, "enc"}, {8, "weak"}}
	if len(skipped) != len(want) {
		t.Fatalf("skipped %d entries, want %d: %v", len(skipped), len(want), skipped)
	}
	for i, w := range want {
		s := skipped[i]
		if s.Index != w.index || s.KeyID != w.kid || !errors.Is(s.Err, ErrInvalidKey) {
			t.Errorf("skipped[%d] = {%d %q %v}, want {%d %q ErrInvalidKey}", i, s.Index, s.KeyID, s.Err, w.index, w.kid)
		}
	}
	for _, kid := range []string{"leaked", "hmac", "enc", "weak"} {
		if _, err := set.Lookup(kid, jws.RS256); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("Lookup(%q) = %v, want ErrKeyNotFound", kid, err)
		}
	}
}

func TestParseSetTestdata(t *testing.T) {
	data, err := os.ReadFile("testdata/keys.json")
	if err != nil {
		t.Fatal(err)
	}
	set, skipped, err := ParseSet(data, nil)
	if err != nil || len(skipped) > 0 || set.Len() != 6 {
		t.Fatalf("Len %d, skipped %v, err %v", set.Len(), skipped, err)
	}
	for _, want := range []struct {
		kid string
		alg jws.Algorithm
	}{
		{"1a2b3c4d5e6f7g8h9i0jKLMNOPQRS+tuvwxyz/00=", jws.RS256},
		{"ec-p256", jws.ES256},
		{"ec-p384", jws.ES384},
		{"ec-p521", jws.ES512},
		{"ed", jws.EdDSA},
	} {
		if _, err := set.Lookup(want.kid, want.alg); err != nil {
			t.Errorf("Lookup(%q, %s): %v", want.kid, want.alg, err)
		}
	}
}

func TestParseSetDocument(t *testing.T) {
	ec := string(mustJSON(t, ecKey(t, "a")))
	many := func(n int) string {
		return `{"keys":[` + strings.TrimSuffix(strings.Repeat(ec+",", n), ",") + `]}`
	}
	tests := []struct {
		name    string
		data    string
		opts    *ParseOptions
		wantErr string // "" = accepted
		wantLen int
	}{
		{name: "empty keys", data: `{"keys":[]}`},
		{name: "other members ignored", data: `{"x":1,"keys":[` + ec + `],"y":{"keys":[]}}`, wantLen: 1},
		{name: "whitespace around", data: " \n" + `{"keys":[` + ec + `]}` + "\n", wantLen: 1},
		{name: "100 entries", data: many(100), wantLen: 1}, // one kid, identical entries merged
		{name: "101 entries", data: many(101), wantErr: "more than 100 keys"},
		{name: "custom cap", data: many(3), opts: &ParseOptions{MaxKeys: 2}, wantErr: "more than 2 keys"},
		{name: "no cap", data: many(150), opts: &ParseOptions{MaxKeys: -1}, wantLen: 1},
		{name: "empty", data: ``, wantErr: "not a JSON object"},
		{name: "array", data: `[` + ec + `]`, wantErr: "not a JSON object"},
		{name: "single JWK", data: ec, wantErr: `no "keys"`},
		{name: "no keys", data: `{}`, wantErr: `no "keys"`},
		{name: "keys object", data: `{"keys":{}}`, wantErr: "not an array"},
		{name: "keys null", data: `{"keys":null}`, wantErr: "not an array"},
		{name: "duplicate keys", data: `{"keys":[],"keys":[` + ec + `]}`, wantErr: `duplicate member "keys"`},
		{name: "trailing", data: `{"keys":[]}{}`, wantErr: "after the JSON object"},
		{name: "truncated", data: `{"keys":[` + ec, wantErr: "malformed"},
		{name: "bad JSON in a key", data: `{"keys":[{"kty":}]}`, wantErr: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, _, err := ParseSet([]byte(tt.data), tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidSet) {
					t.Fatalf("err = %v, want ErrInvalidSet mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set.Len() != tt.wantLen {
				t.Errorf("Len = %d, want %d", set.Len(), tt.wantLen)
			}
		})
	}
}

func TestSetRepeatedKid(t *testing.T) {
	rsaA, rsaB := &rsaKeys()[0].PublicKey, &rsaKeys()[1].PublicKey
	p256 := &ecPriv(t, elliptic.P256()).PublicKey
	p384 := &ecPriv(t, elliptic.P384()).PublicKey
	ed := ed25519Pub(t)
	type want struct {
		kid   string
		alg   jws.Algorithm
		entry int // index of the key in the document; -1 = no key
	}
	tests := []struct {
		name    string
		keys    []*Key
		skipped []int // indexes reported with ErrAmbiguousKeyID
		lookups []want
	}{
		{
			name:    "two RSA keys: ambiguous, both dropped",
			keys:    []*Key{mustKey(t, "k", "", rsaA), mustKey(t, "k", "", rsaB)},
			skipped: []int{0, 1},
			lookups: []want{{"k", jws.RS256, -1}, {"k", jws.PS256, -1}},
		},
		{
			name:    "pinned and unpinned RSA overlap on RS256",
			keys:    []*Key{mustKey(t, "k", jws.RS256, rsaA), mustKey(t, "k", "", rsaB)},
			skipped: []int{0, 1},
			lookups: []want{{"k", jws.RS256, -1}, {"k", jws.PS256, -1}},
		},
		{
			name:    "RSA pinned to RS256 and to PS256: disjoint, both kept",
			keys:    []*Key{mustKey(t, "k", jws.RS256, rsaA), mustKey(t, "k", jws.PS256, rsaB)},
			lookups: []want{{"k", jws.RS256, 0}, {"k", jws.PS256, 1}, {"k", jws.RS384, -1}},
		},
		{
			name:    "RSA and EC alternatives (RFC 7517 4.5): both kept",
			keys:    []*Key{mustKey(t, "k", "", rsaA), mustKey(t, "k", "", p256)},
			lookups: []want{{"k", jws.RS256, 0}, {"k", jws.PS512, 0}, {"k", jws.ES256, 1}, {"k", jws.ES384, -1}},
		},
		{
			name:    "P-256 and P-384: both kept",
			keys:    []*Key{mustKey(t, "k", "", p384), mustKey(t, "k", "", p256)},
			lookups: []want{{"k", jws.ES384, 0}, {"k", jws.ES256, 1}},
		},
		{
			name:    "identical entries merge",
			keys:    []*Key{mustKey(t, "k", jws.RS256, rsaA), mustKey(t, "k", jws.RS256, rsaA)},
			lookups: []want{{"k", jws.RS256, 0}},
		},
		{
			name:    "identical pair plus a rival: all dropped",
			keys:    []*Key{mustKey(t, "k", "", rsaA), mustKey(t, "k", "", rsaA), mustKey(t, "k", "", rsaB)},
			skipped: []int{0, 1, 2},
			lookups: []want{{"k", jws.RS256, -1}},
		},
		{
			name:    "one overlap poisons the whole kid",
			keys:    []*Key{mustKey(t, "k", "", rsaA), mustKey(t, "k", "", ed), mustKey(t, "k", "", rsaB), mustKey(t, "other", "", rsaB)},
			skipped: []int{0, 1, 2},
			lookups: []want{{"k", jws.EdDSA, -1}, {"k", jws.RS256, -1}, {"other", jws.RS256, 3}},
		},
		{
			name:    "same key, other alg, same kid: overlap when unpinned",
			keys:    []*Key{mustKey(t, "k", jws.RS256, rsaA), mustKey(t, "k", "", rsaA)},
			skipped: []int{0, 1},
			lookups: []want{{"k", jws.RS256, -1}},
		},
		{
			name:    "kid-less keys follow the same rule",
			keys:    []*Key{mustKey(t, "", "", rsaA), mustKey(t, "", "", rsaB), mustKey(t, "named", "", p256)},
			skipped: []int{0, 1},
			lookups: []want{{"", jws.RS256, -1}, {"named", jws.ES256, 2}, {"", jws.ES256, -1}},
		},
		{
			name:    "a kid-less key serves only kid-less tokens",
			keys:    []*Key{mustKey(t, "", "", rsaA), mustKey(t, "named", "", p256)},
			lookups: []want{{"", jws.RS256, 0}, {"named", jws.RS256, -1}, {"x", jws.RS256, -1}, {"", jws.ES256, -1}},
		},
		{
			name:    "kids are exact strings",
			keys:    []*Key{mustKey(t, "a", "", rsaA), mustKey(t, "A", "", rsaB), mustKey(t, "a=", "", p256)},
			lookups: []want{{"a", jws.RS256, 0}, {"A", jws.RS256, 1}, {"a=", jws.ES256, 2}, {"a ", jws.RS256, -1}},
		},
	}
	for _, tt := range tests {
		for _, how := range []string{"ParseSet", "NewSet"} {
			t.Run(how+"/"+tt.name, func(t *testing.T) {
				var (
					set     *Set
					skipped []SkippedKey
				)
				if how == "NewSet" {
					set, skipped = NewSet(tt.keys...)
				} else {
					var entries [][]byte
					for _, k := range tt.keys {
						entries = append(entries, mustJSON(t, k))
					}
					var err error
					set, skipped, err = ParseSet(setDoc(entries...), nil)
					if err != nil {
						t.Fatal(err)
					}
				}
				var got []int
				for _, s := range skipped {
					if !errors.Is(s.Err, ErrAmbiguousKeyID) {
						t.Errorf("skipped %d: %v, want ErrAmbiguousKeyID", s.Index, s.Err)
					}
					got = append(got, s.Index)
				}
				if !slices.Equal(got, tt.skipped) {
					t.Errorf("skipped %v, want %v", got, tt.skipped)
				}
				for _, w := range tt.lookups {
					k, err := set.Lookup(w.kid, w.alg)
					if w.entry < 0 {
						if err == nil {
							t.Errorf("Lookup(%q, %s) found a key", w.kid, w.alg)
						}
						continue
					}
					if err != nil || !identical(k, tt.keys[w.entry]) {
						t.Errorf("Lookup(%q, %s) = %v, %v; want entry %d", w.kid, w.alg, k, err, w.entry)
					}
				}
				// The invariant behind the rule: at most one key per (kid, alg).
				for _, k := range set.Keys() {
					for _, a := range jws.Algorithms() {
						n := 0
						for _, o := range set.Keys() {
							if o.KeyID == k.KeyID && o.Fits(a) == nil {
								n++
							}
						}
						if n > 1 {
							t.Errorf("kid %q: %d keys fit %s", k.KeyID, n, a)
						}
					}
				}
			})
		}
	}
}

func TestSetLookupErrors(t *testing.T) {
	set, _ := NewSet(mustKey(t, "rsa", jws.RS256, &rsaKeys()[0].PublicKey), ecKey(t, "ec"))
	hostile := strings.Repeat("\n<script>", 100)
	tests := []struct {
		name string
		set  *Set
		kid  string
		alg  jws.Algorithm
		want error
	}{
		{"found", set, "rsa", jws.RS256, nil},
		{"unknown kid", set, "nope", jws.RS256, ErrKeyNotFound},
		{"pinned alg mismatch", set, "rsa", jws.PS256, ErrInvalidKey},
		{"RSA kid with ES256 (confusion)", set, "rsa", jws.ES256, ErrInvalidKey},
		{"EC kid with RS256 (confusion)", set, "ec", jws.RS256, ErrInvalidKey},
		{"HS256", set, "rsa", "HS256", jws.ErrUnsupportedAlgorithm},
		{"none", set, "rsa", "none", jws.ErrUnsupportedAlgorithm},
		{"empty alg", set, "rsa", "", jws.ErrUnsupportedAlgorithm},
		{"no kid", set, "", jws.RS256, ErrKeyNotFound},
		{"hostile kid", set, hostile, jws.RS256, ErrKeyNotFound},
		{"zero Set", &Set{}, "rsa", jws.RS256, ErrKeyNotFound},
		{"nil Set", nil, "rsa", jws.RS256, ErrKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := tt.set.Lookup(tt.kid, tt.alg)
			if tt.want == nil {
				if err != nil || k == nil || k.KeyID != tt.kid {
					t.Fatalf("Lookup = %v, %v", k, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || k != nil {
				t.Fatalf("Lookup = %v, %v; want %v", k, err, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "jwks: ") || len(msg) > 150 || strings.ContainsAny(msg, "\n\r") {
				t.Errorf("message %q: want a short jwks: message with the kid quoted", msg)
			}
		})
	}
	if (*Set)(nil).Len() != 0 || (*Set)(nil).Keys() != nil || (&Set{}).Len() != 0 {
		t.Error("empty sets are not empty")
	}
	t.Run("hit allocates nothing", func(t *testing.T) {
		if n := testing.AllocsPerRun(100, func() { _, _ = set.Lookup("ec", jws.ES256) }); n != 0 {
			t.Errorf("Lookup allocates %v times", n)
		}
	})
}

func TestNewSetSkipsForeignKeys(t *testing.T) {
	good := ecKey(t, "good")
	literal := &Key{KeyID: "literal", KeyType: "EC", Public: good.Public}
	set, skipped := NewSet(nil, literal, good)
	if set.Len() != 1 || len(skipped) != 2 || skipped[0].Index != 0 || skipped[1].Index != 1 || skipped[1].KeyID != "literal" {
		t.Fatalf("Len %d, skipped %v", set.Len(), skipped)
	}
	for _, s := range skipped {
		if !errors.Is(s.Err, ErrInvalidKey) {
			t.Errorf("skipped error %v", s.Err)
		}
	}
	if _, err := set.Lookup("literal", jws.ES256); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("a struct-literal key is usable: %v", err)
	}
}

func TestSetMarshalRoundTrip(t *testing.T) {
	set, _ := NewSet(
		mustKey(t, "abc+/=", jws.RS256, &rsaKeys()[0].PublicKey),
		ecKey(t, "ec"),
		mustKey(t, "", "", ed25519Pub(t)),
	)
	data := mustJSON(t, set)
	back, skipped, err := ParseSet(data, nil)
	if err != nil || len(skipped) > 0 {
		t.Fatal(err, skipped)
	}
	a, b := set.Keys(), back.Keys()
	if len(a) != len(b) {
		t.Fatalf("%d keys became %d", len(a), len(b))
	}
	for i := range a {
		if !identical(a[i], b[i]) {
			t.Errorf("key %d changed", i)
		}
	}
	if got := string(mustJSON(t, &Set{})); got != `{"keys":[]}` {
		t.Errorf("empty set marshals as %s", got)
	}
}

// cognitoJWKS is shaped like a Cognito user pool's JWKS: two RSA keys,
// standard-base64 kids, alg and use.
func cognitoJWKS(t testing.TB) []byte {
	t.Helper()
	var entries [][]byte
	for i, k := range rsaKeys() {
		kid := fmt.Sprintf("1a2b3c4d5e6f7g8h9i0jKLMNOPQRS+tuvwxyz/%02d=", i)
		entries = append(entries, mustJSON(t, mustKey(t, kid, jws.RS256, &k.PublicKey)))
	}
	return setDoc(entries...)
}

func BenchmarkParseSetCognito(b *testing.B) {
	data := cognitoJWKS(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		set, _, err := ParseSet(data, nil)
		if err != nil || set.Len() != 2 {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetLookup(b *testing.B) {
	set, _, err := ParseSet(cognitoJWKS(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	kid := set.Keys()[1].KeyID
	b.ReportAllocs()
	for b.Loop() {
		if _, err := set.Lookup(kid, jws.RS256); err != nil {
			b.Fatal(err)
		}
	}
}
