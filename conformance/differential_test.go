//go:build goexperiment.jsonv2

package conformance

// Differential test of jws.Parse against an independent strict JSON
// implementation: encoding/json/v2 and encoding/json/jsontext (the
// standard-library home of github.com/go-json-experiment/json), which by
// default refuse duplicate member names at any depth, invalid UTF-8 and
// lone surrogate escapes, as RFC 7493 (I-JSON) and this library do. It
// needs GOEXPERIMENT=jsonv2 (Go 1.25+):
//
//	GOEXPERIMENT=jsonv2 go test -run Differential ./...
//	GOEXPERIMENT=jsonv2 go test -run '^$' -fuzz FuzzDifferential
//
// The third-party module was not used because every version the module
// proxy serves declares "go 1.26", which would raise this module's go line
// above the project's 1.25.
//
// The reference below restates the documented jws.Parse contract on top of
// jsontext: header and claims must be single JSON objects, at most 32
// levels of nesting below the top, "alg" a supported algorithm, "kid" a
// string of at most 256 bytes, "typ"/"cty" strings, no "crit"/"b64"/"zip"/
// "enc"; "iss"/"sub"/"jti" strings, "aud" a string or non-empty array of
// strings, "exp"/"nbf"/"iat" numbers in [0, 253402300799]. Both must agree
// on accept/reject, on the error class, and on every decoded value.

import (
	"bytes"
	"encoding/base64"
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

const (
	refMaxNesting    = 32           // levels below the top-level object
	refMaxKIDBytes   = 256          // jws.MaxKeyIDLength
	refMaxNumericDay = 253402300799 // 9999-12-31T23:59:59Z
)

type refMember struct {
	name  string
	value jsontext.Value
}

// refObject reads one JSON object with jsontext's strict defaults.
func refObject(b []byte) ([]refMember, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	if tok.Kind() != '{' {
		return nil, errors.New("not an object")
	}
	var ms []refMember
	for dec.PeekKind() != '}' {
		nameTok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := nameTok.String() // before the next call voids the token
		val, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		d, err := nesting(val)
		if err != nil {
			return nil, err
		}
		if d > refMaxNesting {
			return nil, fmt.Errorf("nesting %d", d)
		}
		ms = append(ms, refMember{name, val.Clone()})
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return ms, nil
}

// nesting returns how many levels of objects and arrays v has.
func nesting(v jsontext.Value) (int, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(v))
	maxDepth := 0
	for {
		if _, err := dec.ReadToken(); err == io.EOF {
			return maxDepth, nil
		} else if err != nil {
			return 0, err
		}
		maxDepth = max(maxDepth, dec.StackDepth())
	}
}

func refString(v jsontext.Value) (string, bool) {
	var s string
	if v.Kind() != '"' || jsonv2.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

type refHeader struct{ alg, kid, typ, cty string }

type refClaims struct {
	iss, sub, jti string
	aud           []string
	dates         map[string]float64 // "exp", "nbf", "iat" when present
	members       []refMember
}

type refResult struct {
	class  error // nil, jws.ErrMalformed or jws.ErrUnsupportedAlgorithm
	why    string
	header refHeader
	claims refClaims
}

func refParse(header, claims []byte, token string) refResult {
	bad := func(why string) refResult { return refResult{class: jws.ErrMalformed, why: why} }
	if len(token) > jws.DefaultMaxTokenSize {
		return bad("size")
	}
	if len(header) == 0 || len(claims) == 0 {
		return bad("empty segment") // checked before any decoding
	}
	hm, err := refObject(header)
	if err != nil {
		return bad("header: " + err.Error())
	}
	var h refHeader
	hasAlg := false
	for _, m := range hm {
		var ok bool
		switch m.name {
		case "alg":
			h.alg, ok = refString(m.value)
			hasAlg = true
		case "kid":
			h.kid, ok = refString(m.value)
			ok = ok && len(h.kid) <= refMaxKIDBytes
		case "typ":
			h.typ, ok = refString(m.value)
		case "cty":
			h.cty, ok = refString(m.value)
		case "crit", "b64", "zip", "enc":
			ok = false
		default:
			ok = true
		}
		if !ok {
			return bad("header member " + m.name)
		}
	}
	if !hasAlg {
		return bad("no alg")
	}
	if !slices.Contains(jws.Algorithms(), jws.Algorithm(h.alg)) {
		return refResult{class: jws.ErrUnsupportedAlgorithm, why: "alg " + h.alg}
	}

	cm, err := refObject(claims)
	if err != nil {
		return bad("claims: " + err.Error())
	}
	c := refClaims{dates: map[string]float64{}, members: cm}
	for _, m := range cm {
		ok := true
		switch m.name {
		case "iss":
			c.iss, ok = refString(m.value)
		case "sub":
			c.sub, ok = refString(m.value)
		case "jti":
			c.jti, ok = refString(m.value)
		case "aud":
			switch m.value.Kind() {
			case '"':
				var s string
				s, ok = refString(m.value)
				c.aud = []string{s}
			case '[':
				// Not straight into []string: v2 reads null as "".
				var elems []jsontext.Value
				ok = jsonv2.Unmarshal(m.value, &elems) == nil && len(elems) > 0
				for _, e := range elems {
					s, isStr := refString(e)
					ok = ok && isStr
					c.aud = append(c.aud, s)
				}
			default:
				ok = false
			}
		case "exp", "nbf", "iat":
			var f float64
			ok = m.value.Kind() == '0' && jsonv2.Unmarshal(m.value, &f) == nil && !(f < 0) && f <= refMaxNumericDay
			c.dates[m.name] = f
		}
		if !ok {
			return bad("claim " + m.name)
		}
	}
	return refResult{header: h, claims: c}
}

var diffSig = base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, 64))

// compareParse runs both sides on one header/claims pair and reports the
// first disagreement.
func compareParse(header, claims []byte) error {
	token := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + diffSig
	ref := refParse(header, claims, token)
	tok, err := jws.Parse(token)
	switch {
	case err != nil && ref.class == nil:
		return fmt.Errorf("jws.Parse refuses what the reference accepts: %v", err)
	case err == nil && ref.class != nil:
		return fmt.Errorf("jws.Parse ACCEPTS what the reference refuses (%s)", ref.why)
	case err != nil:
		if !errors.Is(err, ref.class) {
			return fmt.Errorf("error class: jws.Parse %v, reference %v (%s)", err, ref.class, ref.why)
		}
		return nil
	}

	h := tok.Header
	if string(h.Algorithm) != ref.header.alg || h.KeyID != ref.header.kid || h.Type != ref.header.typ || h.ContentType != ref.header.cty {
		return fmt.Errorf("header: jws %+v, reference %+v", h, ref.header)
	}
	if !bytes.Equal(h.Raw(), header) || !bytes.Equal(tok.Claims.Raw(), claims) {
		return errors.New("Raw() differs from the input")
	}
	c := tok.Claims
	rc := ref.claims
	if c.Issuer != rc.iss || c.Subject != rc.sub || c.ID != rc.jti {
		return fmt.Errorf("iss/sub/jti: jws %q %q %q, reference %q %q %q", c.Issuer, c.Subject, c.ID, rc.iss, rc.sub, rc.jti)
	}
	if !slices.Equal(c.Audience, rc.aud) {
		return fmt.Errorf("aud: jws %q, reference %q", c.Audience, rc.aud)
	}
	for name, got := range map[string]time.Time{"exp": c.ExpiresAt, "nbf": c.NotBefore, "iat": c.IssuedAt} {
		f, present := rc.dates[name]
		if !present {
			if !got.IsZero() {
				return fmt.Errorf("%s absent but decoded as %v", name, got)
			}
			continue
		}
		sec := math.Floor(f)
		wantNanos := (f - sec) * 1e9
		if got.Unix() != int64(sec) || math.Abs(float64(got.Nanosecond())-wantNanos) > 1000 {
			return fmt.Errorf("%s: jws %v (%d.%09d), reference %v", name, got, got.Unix(), got.Nanosecond(), f)
		}
	}
	var names []string
	for _, m := range rc.members {
		names = append(names, m.name)
		v, ok := c.Get(m.name)
		if !ok || v.Raw() != string(m.value) {
			return fmt.Errorf("claim %q: jws %q (present %v), reference %q", m.name, v.Raw(), ok, m.value)
		}
	}
	if got := c.Names(); !slices.Equal(got, names) && !(len(got) == 0 && len(names) == 0) {
		return fmt.Errorf("names: jws %q, reference %q", got, names)
	}
	return nil
}

const diffHeader = `{"alg":"RS256","kid":"abc+/=","typ":"JWT"}`

func deep(n int, open, close string) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

// diffSeeds are header/claims pairs chosen at the edges of the contract.
var diffSeeds = [][2]string{
	{diffHeader, `{"sub":"u","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC","exp":1700000000,"client_id":"c","scope":"a b","cognito:groups":["x"]}`},
	{diffHeader, `{}`},
	{diffHeader, ` { "aud" : [ "a" , "b" ] , "exp" : 1.5 } `},
	{diffHeader, `{"aud":"a"}`},
	{diffHeader, `{"aud":[]}`},
	{diffHeader, `{"aud":["a",1]}`},
	{diffHeader, `{"aud":null}`},
	{diffHeader, `{"exp":"1700000000"}`},
	{diffHeader, `{"exp":-1}`},
	{diffHeader, `{"exp":-0}`},
	{diffHeader, `{"exp":-0.0}`},
	{diffHeader, `{"exp":253402300799}`},
	{diffHeader, `{"exp":253402300800}`},
	{diffHeader, `{"exp":253402300799.5}`},
	{diffHeader, `{"exp":2.53402300799e11}`},
	{diffHeader, `{"exp":1e400}`},
	{diffHeader, `{"exp":1e-400}`},
	{diffHeader, `{"exp":0.000000001}`},
	{diffHeader, `{"exp":1700000000.123456789}`},
	{diffHeader, `{"exp":01}`},
	{diffHeader, `{"exp":1.}`},
	{diffHeader, `{"exp":.5}`},
	{diffHeader, `{"exp":+1}`},
	{diffHeader, `{"exp":NaN}`},
	{diffHeader, `{"exp":1E+2}`},
	{diffHeader, `{"exp":true}`},
	{diffHeader, `{"exp":null}`},
	{diffHeader, `{"sub":"a","sub":"b"}`},
	{diffHeader, `{"sub":"a","s\u0075b":"b"}`},
	{diffHeader, `{"x":{"y":1,"y":2}}`},
	{diffHeader, `{"x":[{"y":1},{"y":1}]}`},
	{diffHeader, `{"x":"\ud800"}`},
	{diffHeader, `{"x":"\udc00\ud800"}`},
	{diffHeader, `{"x":"\ud83d\ude00"}`},
	{diffHeader, `{"x":"\ud83D\uDE00"}`},
	{diffHeader, `{"x":"\u0000"}`},
	{diffHeader, "{\"x\":\"\x01\"}"},
	{diffHeader, "{\"x\":\"\xff\"}"},
	{diffHeader, "{\"x\":\"\xed\xa0\x80\"}"},
	{diffHeader, "{\"x\":\"\xc0\xaf\"}"},
	{diffHeader, "{\"\xe9\":1}"},
	{diffHeader, `{"x":"\/\b\f\n\r\t\"\\"}`},
	{diffHeader, `{"x":"\a"}`},
	{diffHeader, `{"x":"\u12"}`},
	{diffHeader, `{"x":[1,]}`},
	{diffHeader, `{"x":1,}`},
	{diffHeader, `{,}`},
	{diffHeader, `{"x":tru}`},
	{diffHeader, `{"x":nul}`},
	{diffHeader, `{"x":falsey}`},
	{diffHeader, `{} {}`},
	{diffHeader, `{}x`},
	{diffHeader, "\ufeff{}"},
	{diffHeader, "{}\n"},
	{diffHeader, "\t{}\r\n"},
	{diffHeader, "{}\v"},
	{diffHeader, `[]`},
	{diffHeader, `"x"`},
	{diffHeader, `null`},
	{diffHeader, `123400`},
	{diffHeader, `{"x":` + deep(32, "[", "]") + `}`},
	{diffHeader, `{"x":` + deep(33, "[", "]") + `}`},
	{diffHeader, `{"x":` + deep(31, `{"a":`, "}") + `1` + `}`},
	{diffHeader, `{"x":` + deep(32, `{"a":`, "}") + `1` + `}`},
	{diffHeader, `{"iss":1}`},
	{diffHeader, `{"jti":["a"]}`},
	{diffHeader, `{"Sub":1,"SUB":2}`},
	{`{"alg":"ES256"}`, `{}`},
	{`{"alg":"none"}`, `{}`},
	{`{"alg":"NONE"}`, `{}`},
	{`{"alg":"HS256"}`, `{}`},
	{`{"alg":"rs256"}`, `{}`},
	{`{"alg":"RS256 "}`, `{}`},
	{`{"alg":"R\u0053256"}`, `{}`},
	{`{"alg":"RS256","alg":"RS256"}`, `{}`},
	{`{"alg":"RS256","ALG":"none"}`, `{}`},
	{`{"alg":null}`, `{}`},
	{`{"alg":["RS256"]}`, `{}`},
	{`{"kid":"a"}`, `{}`},
	{`{"alg":"RS256","kid":1}`, `{}`},
	{`{"alg":"RS256","kid":"` + strings.Repeat("k", 256) + `"}`, `{}`},
	{`{"alg":"RS256","kid":"` + strings.Repeat("k", 257) + `"}`, `{}`},
	{`{"alg":"RS256","kid":"` + strings.Repeat(`\u00e9`, 128) + `"}`, `{}`},
	{`{"alg":"RS256","kid":"` + strings.Repeat(`\u00e9`, 129) + `"}`, `{}`},
	{`{"alg":"RS256","crit":["exp"]}`, `{}`},
	{`{"alg":"RS256","b64":false}`, `{}`},
	{`{"alg":"RS256","zip":"DEF"}`, `{}`},
	{`{"alg":"RS256","enc":"A128GCM"}`, `{}`},
	{`{"alg":"RS256","jwk":{"kty":"oct","k":"AA"},"x5u":"https://x","jku":"https://y"}`, `{}`},
	{`{"alg":"RS256","typ":1}`, `{}`},
	{`{"alg":"RS256","cty":"JWT"}`, `{}`},
	{`{"alg":"HS256","crit":1}`, `{}`},
	{`{"alg":"HS256"}`, `{"sub":"a","sub":"b"}`},
	{`{"alg":"RS256"}`, `{"x":"` + strings.Repeat("a", 13000) + `"}`},
}

func TestDifferentialSeeds(t *testing.T) {
	for i, s := range diffSeeds {
		if err := compareParse([]byte(s[0]), []byte(s[1])); err != nil {
			t.Errorf("seed %d header %.60q claims %.80q: %v", i, s[0], s[1], err)
		}
	}
}

// TestDifferentialMutations mutates the seeds with a fixed PRNG, so that a
// plain test run covers some thousands of near-miss documents.
func TestDifferentialMutations(t *testing.T) {
	const rounds = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"{", "}", "[", "]", `"`, ",", ":", `\`, " ", "\n", "0", "1", "-", ".", "e",
		"true", "null", `"a"`, `"sub"`, `"aud"`, `"exp"`, `"alg"`, `"kid"`, `"crit"`, `\u0000`, `\ud800`, `\ud83d\ude00`,
		"\xff", "\xc3\xa9", "\x00", "\x7f", `"RS256"`, `"none"`}
	failures := 0
	for i := 0; i < rounds && failures < 10; i++ {
		s := diffSeeds[rng.IntN(len(diffSeeds))]
		h, c := []byte(s[0]), []byte(s[1])
		target := &c
		if rng.IntN(4) == 0 {
			target = &h
		}
		for n := 1 + rng.IntN(3); n > 0; n-- {
			b := *target
			pos := rng.IntN(len(b) + 1)
			switch rng.IntN(3) {
			case 0: // insert
				b = slices.Insert(slices.Clone(b), pos, []byte(pieces[rng.IntN(len(pieces))])...)
			case 1: // delete a run
				if pos < len(b) {
					b = slices.Delete(slices.Clone(b), pos, min(len(b), pos+1+rng.IntN(3)))
				}
			case 2: // replace one byte
				if pos < len(b) {
					b = slices.Clone(b)
					b[pos] = pieces[rng.IntN(len(pieces))][0]
				}
			}
			*target = b
		}
		if err := compareParse(h, c); err != nil {
			failures++
			t.Errorf("round %d header %q claims %q: %v", i, h, c, err)
		}
	}
}

func FuzzDifferential(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, header, claims []byte) {
		if err := compareParse(header, claims); err != nil {
			t.Errorf("header %q claims %q: %v", header, claims, err)
		}
	})
}
