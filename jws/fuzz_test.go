package jws

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse: Parse never panics, and whatever it accepts is canonical: each
// segment re-encodes to exactly the text it came from, the algorithm is
// supported, and both JSON texts are valid with unique claim names.
func FuzzParse(f *testing.F) {
	f.Add(unsigned(cognitoHeader, cognitoAccessClaims))
	f.Add(unsigned(`{"alg":"ES256"}`, `{"aud":["a","b"],"exp":1.5,"x":{"y":[null,true]}}`))
	f.Add(unsigned(`{"alg":"none"}`, `{}`))
	f.Add("a.b.c")
	f.Add("..")
	f.Add(enc(`{"alg":"RS256"}`) + "." + enc(`{"sub":"\ud83d\ude00"}`) + ".AA")
	f.Fuzz(func(t *testing.T, token string) {
		tok, err := Parse(token)
		if err != nil {
			if tok != nil {
				t.Fatal("token returned with error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Fatalf("error of no known class: %v", err)
			}
			return
		}
		segs := strings.Split(token, ".")
		if len(segs) != 3 {
			t.Fatalf("accepted %d segments", len(segs))
		}
		for i, part := range [][]byte{tok.Header.Raw(), tok.Claims.Raw(), tok.Signature} {
			if got := base64.RawURLEncoding.EncodeToString(part); got != segs[i] {
				t.Fatalf("segment %d does not re-encode to itself: %q vs %q", i, got, segs[i])
			}
		}
		if string(tok.SigningInput()) != segs[0]+"."+segs[1] {
			t.Fatal("signing input is not header.payload")
		}
		if !tok.Header.Algorithm.Supported() {
			t.Fatalf("unsupported alg %q accepted", tok.Header.Algorithm)
		}
		if !json.Valid(tok.Header.Raw()) || !json.Valid(tok.Claims.Raw()) {
			t.Fatal("accepted invalid JSON")
		}
		seen := map[string]bool{}
		for _, n := range tok.Claims.Names() {
			if seen[n] {
				t.Fatalf("duplicate claim %q accepted", n)
			}
			seen[n] = true
		}
	})
}

// FuzzClaimsDifferential compares the hand-written claims decoder with
// encoding/json as the reference. Whatever we accept, encoding/json must
// accept and read the same registered claims; whatever the reference reads
// as a well-typed, duplicate-free object of valid UTF-8, we must accept.
func FuzzClaimsDifferential(f *testing.F) {
	for _, s := range []string{
		cognitoAccessClaims,
		`{}`, `{"aud":"a"}`, `{"aud":["a","b"]}`, `{"exp":1e9,"nbf":0.5,"iat":12}`,
		`{"iss":"\u00e9\ud83d\ude00","sub":"a\"b"}`, `{"a":{"b":[1,{"c":null}]}}`,
		`{"a":1,"a":2}`, `{"exp":"1"}`, `{"aud":[]}`, `{"x":"\ud800"}`, `{"exp":-0}`,
		`{"exp":253402300799.9}`, `{"x":[[[[]]]]}`, `{"sub":"` + "\xff" + `"}`,
	} {
		f.Add([]byte(s))
	}
	const hdr = `{"alg":"RS256"}`
	f.Fuzz(func(t *testing.T, claims []byte) {
		token := enc(hdr) + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + enc("s")
		if len(token) > DefaultMaxTokenSize {
			return
		}
		tok, err := Parse(token)
		ref, refErr := referenceClaims(claims)
		if err == nil {
			if refErr != nil {
				t.Fatalf("accepted claims the reference refuses (%v): %q", refErr, claims)
			}
			compareClaims(t, &tok.Claims, ref)
			return
		}
		if refErr == nil && !ref.ambiguous {
			t.Fatalf("refused claims the reference accepts: %v: %q", err, claims)
		}
	})
}

type refClaims struct {
	m         map[string]any
	ambiguous bool // the reference cannot judge: surrogate escapes or deep nesting
}

var surrogateEscape = regexp.MustCompile(`(?i)\\u[d][89a-f][0-9a-f]{2}`)

// referenceClaims decodes with encoding/json and applies the rules that
// encoding/json does not: one object, valid UTF-8, unique names at every
// depth, and the registered claims' types and ranges.
func referenceClaims(data []byte) (*refClaims, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8")
	}
	if !json.Valid(data) {
		return nil, errors.New("invalid JSON")
	}
	depth, err := checkUnique(data)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("not an object")
	}
	r := &refClaims{m: m, ambiguous: depth > maxDepth-2 || surrogateEscape.Match(data)}
	for _, k := range []string{"iss", "sub", "jti"} {
		if v, ok := m[k]; ok {
			if _, isStr := v.(string); !isStr {
				return nil, errors.New(k + " not a string")
			}
		}
	}
	if v, ok := m["aud"]; ok {
		switch a := v.(type) {
		case string:
		case []any:
			if len(a) == 0 {
				return nil, errors.New("empty aud")
			}
			for _, e := range a {
				if _, isStr := e.(string); !isStr {
					return nil, errors.New("aud element not a string")
				}
			}
		default:
			return nil, errors.New("aud wrong type")
		}
	}
	for _, k := range []string{"exp", "nbf", "iat"} {
		if v, ok := m[k]; ok {
			n, isNum := v.(json.Number)
			if !isNum {
				return nil, errors.New(k + " not a number")
			}
			f, err := n.Float64()
			if err != nil || math.IsInf(f, 0) || f < 0 || f > maxNumericDate {
				return nil, errors.New(k + " out of range")
			}
		}
	}
	return r, nil
}

// checkUnique walks the token stream and reports duplicate member names at
// any depth, and the maximum depth.
func checkUnique(data []byte) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // 1e700 is valid JSON, if no float64
	type frame struct {
		obj   bool
		names map[string]bool
		key   bool // next string token is a key
	}
	var stack []*frame
	maxD := 0
	for {
		tk, err := dec.Token()
		if err == io.EOF {
			return maxD, nil
		}
		if err != nil {
			return 0, err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tk.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: v == '{', names: map[string]bool{}, key: v == '{'})
				maxD = max(maxD, len(stack))
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.obj && top.key {
				if top.names[v] {
					return 0, errors.New("duplicate name")
				}
				top.names[v] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.obj {
			top.key = true
		}
	}
}

func compareClaims(t *testing.T, c *Claims, ref *refClaims) {
	t.Helper()
	str := func(k string) string { s, _ := ref.m[k].(string); return s }
	if c.Issuer != str("iss") || c.Subject != str("sub") || c.ID != str("jti") {
		t.Fatalf("iss/sub/jti differ: %q %q %q vs %v", c.Issuer, c.Subject, c.ID, ref.m)
	}
	switch a := ref.m["aud"].(type) {
	case nil:
		if c.Audience != nil {
			t.Fatalf("aud %q, reference has none", c.Audience)
		}
	case string:
		if len(c.Audience) != 1 || c.Audience[0] != a {
			t.Fatalf("aud %q vs %q", c.Audience, a)
		}
	case []any:
		if len(c.Audience) != len(a) {
			t.Fatalf("aud %q vs %v", c.Audience, a)
		}
		for i := range a {
			if c.Audience[i] != a[i] {
				t.Fatalf("aud %q vs %v", c.Audience, a)
			}
		}
	}
	for k, got := range map[string]time.Time{"exp": c.ExpiresAt, "nbf": c.NotBefore, "iat": c.IssuedAt} {
		n, ok := ref.m[k].(json.Number)
		if !ok {
			if !got.IsZero() {
				t.Fatalf("%s = %v, reference has none", k, got)
			}
			continue
		}
		f, _ := n.Float64()
		// Not UnixNano: it overflows after the year 2262, and dates up to
		// 9999 are valid.
		secs := float64(got.Unix()) + float64(got.Nanosecond())/1e9
		if d := math.Abs(secs - f); d > 1e-3*math.Max(1, f/1e9) {
			t.Fatalf("%s = %v, reference %v", k, got, f)
		}
	}
	if len(c.Names()) != len(ref.m) {
		t.Fatalf("%d claims, reference %d", len(c.Names()), len(ref.m))
	}
	for _, n := range c.Names() {
		v, _ := c.Get(n)
		var got any
		dec := json.NewDecoder(strings.NewReader(v.Raw()))
		dec.UseNumber()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("claim %q raw %q does not decode: %v", n, v.Raw(), err)
		}
	}
}
