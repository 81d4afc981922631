package jwks

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/jws"
)

// fuzzSeeds are built from testdata/keys.json, never from key generation:
// under the fuzzer's coverage instrumentation, generating RSA keys takes
// minutes, and validating an EC point a good part of a second, so only one
// seed carries an EC key and the fuzzer spends its time on the parser.
func fuzzSeeds(f *testing.F) [][]byte {
	data, err := os.ReadFile("testdata/keys.json")
	if err != nil {
		f.Fatal(err)
	}
	var d struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(data, &d); err != nil || len(d.Keys) != 6 {
		f.Fatalf("testdata/keys.json: %v", err)
	}
	rsa0, rsa1, p256, ed := d.Keys[0], d.Keys[1], d.Keys[2], d.Keys[5]
	return [][]byte{
		setDoc(rsa0, rsa1),
		setDoc(rsa0, ed, p256),
		setDoc(p256, p256),
		setDoc(rsa0, []byte(strings.Replace(string(rsa1), "/01=", "/00=", 1))),
		setDoc(obj("kty", "oct", "k", "AAAA"), []byte(`null`), []byte(`"x"`), ed),
		setDoc(obj("kty", "EC", "crv", "P-256", "x", "AAAA", "y", "AAAA")),
		[]byte(`{"keys":[]}`),
		[]byte(`{"keys":[],"keys":[]}`),
		[]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kty":"EC"}]}`),
	}
}

// FuzzParseSet: no input panics, and whatever is accepted keeps every
// promise of a Set.
func FuzzParseSet(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, skipped, err := ParseSet(data, nil)
		if err != nil {
			if set != nil || skipped != nil || !errors.Is(err, ErrInvalidSet) {
				t.Fatalf("failure returned %v, %v, %v", set, skipped, err)
			}
			return
		}
		checkSet(t, set, skipped)
		// What we accept we can publish, and read back the same.
		back, again, err := ParseSet(mustJSON(t, set), nil)
		if err != nil || len(again) > 0 || back.Len() != set.Len() {
			t.Fatalf("round trip: %v, skipped %v", err, again)
		}
		for i, k := range back.Keys() {
			if !identical(k, set.Keys()[i]) {
				t.Fatalf("round trip changed key %d", i)
			}
		}
	})
}

func checkSet(t *testing.T, set *Set, skipped []SkippedKey) {
	t.Helper()
	keys := set.Keys()
	if len(keys) != set.Len() || len(keys)+len(skipped) > DefaultMaxKeys {
		t.Fatalf("%d keys, %d skipped", len(keys), len(skipped))
	}
	for i, s := range skipped {
		if i > 0 && s.Index <= skipped[i-1].Index {
			t.Fatalf("skipped indexes out of order: %v", skipped)
		}
		if !errors.Is(s.Err, ErrInvalidKey) && !errors.Is(s.Err, ErrAmbiguousKeyID) {
			t.Fatalf("skipped for %v", s.Err)
		}
	}
	for _, k := range keys {
		checkKey(t, k)
		for _, a := range jws.Algorithms() {
			n := 0
			for _, o := range keys {
				if o.KeyID == k.KeyID && o.Fits(a) == nil {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("kid %q: %d keys fit %s", k.KeyID, n, a)
			}
			if k.Fits(a) == nil {
				if got, err := set.Lookup(k.KeyID, a); err != nil || got != k {
					t.Fatalf("Lookup(%q, %s) = %v, %v", k.KeyID, a, got, err)
				}
			}
		}
	}
}

// checkKey asserts what every accepted key must be.
func checkKey(t *testing.T, k *Key) {
	t.Helper()
	fits := 0
	for _, a := range jws.Algorithms() {
		if k.Fits(a) != nil {
			continue
		}
		fits++
		if a.KeyType() != k.KeyType || a.Curve() != k.Curve {
			t.Fatalf("%s %s key fits %s", k.KeyType, k.Curve, a)
		}
		if k.Algorithm != "" && a != k.Algorithm {
			t.Fatalf("key pinned to %s fits %s", k.Algorithm, a)
		}
		if err := jws.CheckKey(a, k.Public); err != nil {
			t.Fatalf("accepted key fails CheckKey(%s): %v", a, err)
		}
	}
	if fits == 0 {
		t.Fatal("accepted key fits nothing")
	}
}

// FuzzParseKey: no input panics; an accepted JWK is a public signature
// key that encoding/json reads the same way, with no private member.
func FuzzParseKey(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		var d struct{ Keys []json.RawMessage }
		if json.Unmarshal(s, &d) == nil {
			for _, k := range d.Keys {
				f.Add([]byte(k))
			}
		}
	}
	f.Add(obj("kty", "RSA", "n", enc(oddBytes(256)), "e", "AQAB", "use", "sig", "key_ops", []string{"verify"}))
	f.Add(obj("kty", "RSA", "n", enc(oddBytes(256)), "e", "AQAB", "d", "AQAB"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseKey(data)
		if err != nil {
			if k != nil || !errors.Is(err, ErrInvalidKey) || !strings.HasPrefix(err.Error(), "jwks: ") || len(err.Error()) > 200 {
				t.Fatalf("failure returned %v, %q", k, err)
			}
			return
		}
		checkKey(t, k)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		for _, name := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
			if _, ok := m[name]; ok {
				t.Fatalf("accepted a key with private member %q", name)
			}
		}
		// The map has exact member names (no duplicates: those are refused).
		member := func(name string) (string, bool) {
			raw, ok := m[name]
			var v string
			if ok && json.Unmarshal(raw, &v) != nil {
				t.Fatalf("accepted a non-string %q", name)
			}
			return v, ok
		}
		if v, _ := member("kty"); v != k.KeyType {
			t.Fatalf("kty %q read as %q", v, k.KeyType)
		}
		if v, _ := member("kid"); v != k.KeyID {
			t.Fatalf("kid %q read as %q", v, k.KeyID)
		}
		if v, ok := member("alg"); v != string(k.Algorithm) || ok != (k.Algorithm != "") {
			t.Fatalf("alg %q read as %q", v, k.Algorithm)
		}
		if v, ok := member("use"); ok && v != "sig" {
			t.Fatalf("accepted use %q", v)
		}
		back, err := ParseKey(mustJSON(t, k))
		if err != nil || !identical(back, k) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
