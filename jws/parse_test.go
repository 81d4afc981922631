package jws

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseCognitoAccessToken(t *testing.T) {
	tok, err := Parse(unsigned(cognitoHeader, cognitoAccessClaims))
	if err != nil {
		t.Fatal(err)
	}
	h, c := tok.Header, tok.Claims
	if h.Algorithm != RS256 || h.KeyID != "abcdEFGH1234ijklMNOP5678qrstUVWX90yz+/abcd=" {
		t.Errorf("header = %+v", h)
	}
	if c.Issuer != "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI" ||
		c.Subject != "4b8e1e5a-3c1f-4f7e-9d2a-6a3b5c7d9e0f" || c.ID != "0f1e2d3c-4b5a-4968-8776-655443322110" {
		t.Errorf("claims = %+v", c)
	}
	if c.Audience != nil {
		t.Errorf("aud = %q, want nil (access tokens have none)", c.Audience)
	}
	if !c.ExpiresAt.Equal(time.Unix(1763773200, 0)) || !c.IssuedAt.Equal(time.Unix(1763769600, 0)) || !c.NotBefore.IsZero() {
		t.Errorf("times exp=%v iat=%v nbf=%v", c.ExpiresAt, c.IssuedAt, c.NotBefore)
	}
	if string(tok.Signature) != "signature" {
		t.Errorf("signature = %q", tok.Signature)
	}
	if got, want := string(c.Raw()), cognitoAccessClaims; got != want {
		t.Errorf("Raw = %s", got)
	}
	if got, want := string(h.Raw()), cognitoHeader; got != want {
		t.Errorf("header Raw = %s", got)
	}
	use, ok := c.Get("token_use")
	if s, err := use.AsString(); !ok || err != nil || s != "access" {
		t.Errorf("token_use = %q %v %v", s, ok, err)
	}
	groups, _ := c.Get("cognito:groups")
	if g, err := groups.AsStrings(); err != nil || strings.Join(g, ",") != "admin,users" {
		t.Errorf("groups = %q %v", g, err)
	}
	version, _ := c.Get("version")
	if f, err := version.AsFloat(); err != nil || f != 2 {
		t.Errorf("version = %v %v", f, err)
	}
	if _, ok := c.Get("Token_use"); ok {
		t.Error("Get matched a claim name case-insensitively")
	}
	if n := len(c.Names()); n != 14 {
		t.Errorf("Names has %d entries, want 14", n)
	}
	if !strings.HasPrefix(string(tok.SigningInput()), enc(cognitoHeader)+".") {
		t.Error("signing input is not header.payload")
	}
}

func TestParseValidShapes(t *testing.T) {
	const hdr = `{"alg":"ES256"}`
	tests := []struct {
		name   string
		header string
		claims string
		check  func(t *testing.T, tok *Token)
	}{
		{"aud string", hdr, `{"aud":"client"}`, func(t *testing.T, tok *Token) {
			if len(tok.Claims.Audience) != 1 || tok.Claims.Audience[0] != "client" {
				t.Errorf("aud = %q", tok.Claims.Audience)
			}
		}},
		{"aud array", hdr, `{"aud":["a","b"]}`, func(t *testing.T, tok *Token) {
			if strings.Join(tok.Claims.Audience, ",") != "a,b" {
				t.Errorf("aud = %q", tok.Claims.Audience)
			}
		}},
		{"fractional exp", hdr, `{"exp":1700000000.25}`, func(t *testing.T, tok *Token) {
			if want := time.Unix(1700000000, 250000000); !tok.Claims.ExpiresAt.Equal(want) {
				t.Errorf("exp = %v, want %v", tok.Claims.ExpiresAt, want)
			}
		}},
		{"exponent exp", hdr, `{"exp":1.7e9}`, func(t *testing.T, tok *Token) {
			if !tok.Claims.ExpiresAt.Equal(time.Unix(1700000000, 0)) {
				t.Errorf("exp = %v", tok.Claims.ExpiresAt)
			}
		}},
		{"exp zero is present", hdr, `{"exp":0}`, func(t *testing.T, tok *Token) {
			if tok.Claims.ExpiresAt.IsZero() || tok.Claims.ExpiresAt.Unix() != 0 {
				t.Errorf("exp = %v", tok.Claims.ExpiresAt)
			}
		}},
		{"max date", hdr, `{"exp":253402300799}`, func(t *testing.T, tok *Token) {
			if tok.Claims.ExpiresAt.Year() != 9999 {
				t.Errorf("exp = %v", tok.Claims.ExpiresAt)
			}
		}},
		{"escapes decoded", hdr, `{"iss":"a\"b\\c\/d\u00e9\ud83d\ude00\n"}`, func(t *testing.T, tok *Token) {
			if want := "a\"b\\c/d\u00e9\U0001F600\n"; tok.Claims.Issuer != want {
				t.Errorf("iss = %q, want %q", tok.Claims.Issuer, want)
			}
		}},
		{"case variant is another member", `{"alg":"ES256","ALG":"none","Alg":"HS256"}`, `{}`, func(t *testing.T, tok *Token) {
			if tok.Header.Algorithm != ES256 {
				t.Errorf("alg = %q", tok.Header.Algorithm)
			}
		}},
		{"untrusted key headers ignored", `{"alg":"ES256","jku":"https://evil","jwk":{"kty":"oct","k":"AA"},"x5u":"https://evil","x5c":["AA"]}`, `{}`, func(t *testing.T, tok *Token) {
			if tok.Header.KeyID != "" {
				t.Errorf("kid = %q", tok.Header.KeyID)
			}
		}},
		{"whitespace inside JSON", " {\n\t\"alg\" : \"ES256\" , \"kid\":\"k\"\r\n} ", ` { "sub" : "x" } `, func(t *testing.T, tok *Token) {
			if tok.Header.KeyID != "k" || tok.Claims.Subject != "x" {
				t.Errorf("kid=%q sub=%q", tok.Header.KeyID, tok.Claims.Subject)
			}
		}},
		{"nested custom claims", hdr, `{"custom":{"a":[1,2,{"b":null}],"c":true},"n":-1.5e-3}`, func(t *testing.T, tok *Token) {
			v, ok := tok.Claims.Get("custom")
			if !ok || v.Kind() != Object || v.Raw() != `{"a":[1,2,{"b":null}],"c":true}` {
				t.Errorf("custom = %v %q", v.Kind(), v.Raw())
			}
		}},
		{"typ and cty", `{"alg":"EdDSA","typ":"at+jwt","cty":"x"}`, `{}`, func(t *testing.T, tok *Token) {
			if tok.Header.Type != "at+jwt" || tok.Header.ContentType != "x" || tok.Header.Algorithm != EdDSA {
				t.Errorf("header = %+v", tok.Header)
			}
		}},
		{"many claims", hdr, manyClaims(100), func(t *testing.T, tok *Token) {
			if len(tok.Claims.Names()) != 100 {
				t.Errorf("got %d claims", len(tok.Claims.Names()))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Parse(unsigned(tt.header, tt.claims))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, tok)
		})
	}
}

func manyClaims(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"c` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	return b.String()
}

func nest(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

func TestParseRefuses(t *testing.T) {
	const hdr = `{"alg":"RS256"}`
	good := unsigned(hdr, `{"sub":"abc"}`)
	h, c, s := enc(hdr), enc(`{"sub":"abc"}`), enc("signature")
	tests := []struct {
		name  string
		token string
		want  error
	}{
		// Shape, checked before decoding.
		{"empty", "", ErrMalformed},
		{"one segment", h, ErrMalformed},
		{"two segments", h + "." + c, ErrMalformed},
		{"four segments", good + ".x", ErrMalformed},
		{"JWE shape", h + "." + c + "." + s + "." + s + "." + s, ErrMalformed},
		{"many dots", strings.Repeat(".", 10000), ErrMalformed},
		{"over size", h + "." + enc(`{"x":"`+strings.Repeat("a", DefaultMaxTokenSize)+`"}`) + "." + s, ErrMalformed},
		{"empty header", "." + c + "." + s, ErrMalformed},
		{"empty payload", h + ".." + s, ErrMalformed},
		{"empty signature", h + "." + c + ".", ErrMalformed},
		{"JSON serialization", `{"payload":"` + c + `","signatures":[]}`, ErrMalformed},
		// Base64url.
		{"padding", h + "." + c + "." + s + "=", ErrMalformed},
		{"padded header", enc(hdr) + "==." + c + "." + s, ErrMalformed},
		{"std alphabet plus", h + "." + c + "." + s[:4] + "+" + s[5:], ErrMalformed},
		{"std alphabet slash", h + "." + c + "." + s[:4] + "/" + s[5:], ErrMalformed},
		{"CRLF", h + "." + c[:4] + "\r\n" + c[4:] + "." + s, ErrMalformed},
		{"space", " " + good, ErrMalformed},
		{"trailing newline", good + "\n", ErrMalformed},
		{"NUL", good + "\x00", ErrMalformed},
		{"non-canonical trailing bits", h + "." + c + "." + nonCanonical(enc("signatures")), ErrMalformed},
		{"length mod 4 is 1", h + "." + c + ".AAAAA", ErrMalformed},
		// Header JSON.
		{"header array", unsigned(`["alg","RS256"]`, `{}`), ErrMalformed},
		{"header string", unsigned(`"RS256"`, `{}`), ErrMalformed},
		{"header invalid JSON", unsigned(`{"alg":"RS256"`, `{}`), ErrMalformed},
		{"header trailing data", unsigned(hdr+`{}`, `{}`), ErrMalformed},
		{"header trailing comma", unsigned(`{"alg":"RS256",}`, `{}`), ErrMalformed},
		{"duplicate alg", unsigned(`{"alg":"RS256","alg":"none"}`, `{}`), ErrMalformed},
		{"duplicate via escape", unsigned(`{"alg":"RS256","\u0061lg":"ES256"}`, `{}`), ErrMalformed},
		{"alg missing", unsigned(`{"kid":"k"}`, `{}`), ErrMalformed},
		{"alg not string", unsigned(`{"alg":256}`, `{}`), ErrMalformed},
		{"alg null", unsigned(`{"alg":null}`, `{}`), ErrMalformed},
		{"kid not string", unsigned(`{"alg":"RS256","kid":1}`, `{}`), ErrMalformed},
		{"kid too long", unsigned(`{"alg":"RS256","kid":"`+strings.Repeat("k", MaxKeyIDLength+1)+`"}`, `{}`), ErrMalformed},
		{"crit", unsigned(`{"alg":"RS256","crit":["exp"],"exp":1}`, `{}`), ErrMalformed},
		{"b64", unsigned(`{"alg":"RS256","b64":false}`, `{}`), ErrMalformed},
		{"zip", unsigned(`{"alg":"RS256","zip":"DEF"}`, `{}`), ErrMalformed},
		{"enc", unsigned(`{"alg":"RS256","enc":"A128GCM"}`, `{}`), ErrMalformed},
		{"invalid UTF-8 in header", unsigned("{\"alg\":\"RS256\",\"x\":\"\xff\"}", `{}`), ErrMalformed},
		{"header nesting too deep", unsigned(`{"alg":"RS256","x":`+nest("[", "]", 40)+`}`, `{}`), ErrMalformed},
		// Algorithms.
		{"alg none", unsigned(`{"alg":"none"}`, `{}`), ErrAlgNone},
		{"alg NONE", unsigned(`{"alg":"NONE"}`, `{}`), ErrAlgNone},
		{"alg nOnE", unsigned(`{"alg":"nOnE"}`, `{}`), ErrAlgNone},
		{"alg HS256", unsigned(`{"alg":"HS256"}`, `{}`), ErrSymmetricAlgorithm},
		{"alg hs512", unsigned(`{"alg":"hs512"}`, `{}`), ErrSymmetricAlgorithm},
		{"alg rs256", unsigned(`{"alg":"rs256"}`, `{}`), ErrUnsupportedAlgorithm},
		{"alg with space", unsigned(`{"alg":"RS256 "}`, `{}`), ErrUnsupportedAlgorithm},
		{"alg ES256K", unsigned(`{"alg":"ES256K"}`, `{}`), ErrUnsupportedAlgorithm},
		{"alg Ed25519", unsigned(`{"alg":"Ed25519"}`, `{}`), ErrUnsupportedAlgorithm},
		{"alg empty", unsigned(`{"alg":""}`, `{}`), ErrUnsupportedAlgorithm},
		// Claims JSON.
		{"claims array", unsigned(hdr, `[]`), ErrMalformed},
		{"claims not JSON", unsigned(hdr, `hello`), ErrMalformed},
		{"claims trailing data", unsigned(hdr, `{}x`), ErrMalformed},
		{"claims two objects", unsigned(hdr, `{}{}`), ErrMalformed},
		{"duplicate exp", unsigned(hdr, `{"exp":1,"exp":2}`), ErrMalformed},
		{"duplicate custom claim", unsigned(hdr, `{"token_use":"id","token_use":"access"}`), ErrMalformed},
		{"duplicate among many claims", unsigned(hdr, manyClaims(40)[:len(manyClaims(40))-1]+`,"cxxxxx":2}`), ErrMalformed},
		{"duplicate of the first among many", unsigned(hdr, manyClaims(40)[:len(manyClaims(40))-1]+`,"c":2}`), ErrMalformed},
		{"duplicate nested", unsigned(hdr, `{"x":{"a":1,"a":2}}`), ErrMalformed},
		{"duplicate in array object", unsigned(hdr, `{"x":[{"a":1,"a":2}]}`), ErrMalformed},
		{"invalid UTF-8", unsigned(hdr, "{\"sub\":\"\xc3\x28\"}"), ErrMalformed},
		{"overlong UTF-8", unsigned(hdr, "{\"sub\":\"\xc0\xaf\"}"), ErrMalformed},
		{"UTF-8 surrogate bytes", unsigned(hdr, "{\"sub\":\"\xed\xa0\x80\"}"), ErrMalformed},
		{"lone high surrogate", unsigned(hdr, `{"sub":"\ud800"}`), ErrMalformed},
		{"lone low surrogate", unsigned(hdr, `{"sub":"\udc00x"}`), ErrMalformed},
		{"reversed surrogates", unsigned(hdr, `{"sub":"\udc00\ud800"}`), ErrMalformed},
		{"bad escape", unsigned(hdr, `{"sub":"\x"}`), ErrMalformed},
		{"short unicode escape", unsigned(hdr, `{"sub":"\u12"}`), ErrMalformed},
		{"control char", unsigned(hdr, "{\"sub\":\"a\tb\"}"), ErrMalformed},
		{"unterminated string", unsigned(hdr, `{"sub":"abc}`), ErrMalformed},
		{"single quotes", unsigned(hdr, `{'sub':'x'}`), ErrMalformed},
		{"comment", unsigned(hdr, `{/*c*/"sub":"x"}`), ErrMalformed},
		{"nesting too deep", unsigned(hdr, `{"x":`+nest("[", "]", 40)+`}`), ErrMalformed},
		{"deep objects", unsigned(hdr, `{"x":`+strings.Repeat(`{"a":`, 40)+"1"+strings.Repeat("}", 40)+`}`), ErrMalformed},
		// Registered claim types.
		{"iss number", unsigned(hdr, `{"iss":1}`), ErrMalformed},
		{"sub null", unsigned(hdr, `{"sub":null}`), ErrMalformed},
		{"jti array", unsigned(hdr, `{"jti":["a"]}`), ErrMalformed},
		{"aud empty array", unsigned(hdr, `{"aud":[]}`), ErrMalformed},
		{"aud number", unsigned(hdr, `{"aud":1}`), ErrMalformed},
		{"aud array of numbers", unsigned(hdr, `{"aud":[1]}`), ErrMalformed},
		{"aud mixed array", unsigned(hdr, `{"aud":["a",1]}`), ErrMalformed},
		{"aud null", unsigned(hdr, `{"aud":null}`), ErrMalformed},
		{"aud object", unsigned(hdr, `{"aud":{"a":1}}`), ErrMalformed},
		{"exp string", unsigned(hdr, `{"exp":"1700000000"}`), ErrMalformed},
		{"exp NaN", unsigned(hdr, `{"exp":NaN}`), ErrMalformed},
		{"exp Infinity", unsigned(hdr, `{"exp":Infinity}`), ErrMalformed},
		{"exp 1e300", unsigned(hdr, `{"exp":1e300}`), ErrMalformed},
		{"exp 1e400", unsigned(hdr, `{"exp":1e400}`), ErrMalformed},
		{"exp negative", unsigned(hdr, `{"exp":-1}`), ErrMalformed},
		{"exp after 9999", unsigned(hdr, `{"exp":253402300800}`), ErrMalformed},
		{"exp leading zero", unsigned(hdr, `{"exp":01700000000}`), ErrMalformed},
		{"exp plus sign", unsigned(hdr, `{"exp":+1}`), ErrMalformed},
		{"exp bare dot", unsigned(hdr, `{"exp":1.}`), ErrMalformed},
		{"exp hex", unsigned(hdr, `{"exp":0x10}`), ErrMalformed},
		{"exp bool", unsigned(hdr, `{"exp":true}`), ErrMalformed},
		{"nbf null", unsigned(hdr, `{"nbf":null}`), ErrMalformed},
		{"iat array", unsigned(hdr, `{"iat":[1]}`), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Parse(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, %v; want %v", tok, err, tt.want)
			}
			if tok != nil {
				t.Error("a token was returned with an error")
			}
			if len(err.Error()) > 200 {
				t.Errorf("error message is %d bytes: it echoes too much input", len(err.Error()))
			}
		})
	}
	if _, err := Parse(good); err != nil {
		t.Fatalf("the base token of the table must parse: %v", err)
	}
}

// nonCanonical flips the unused low bits of the last base64 character, so
// the segment decodes to the same bytes under a lenient decoder.
func nonCanonical(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last^1])
}

func TestParserOptions(t *testing.T) {
	tok := unsigned(`{"alg":"RS256"}`, `{"sub":"`+strings.Repeat("a", 100)+`"}`)
	small := &Parser{MaxSize: len(tok) - 1}
	if _, err := small.Parse(tok); !errors.Is(err, ErrMalformed) {
		t.Errorf("MaxSize: err = %v", err)
	}
	exact := &Parser{MaxSize: len(tok)}
	if _, err := exact.Parse(tok); err != nil {
		t.Errorf("token at exactly MaxSize: %v", err)
	}
	esOnly := &Parser{Algorithms: []Algorithm{ES256}}
	if _, err := esOnly.Parse(tok); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("Algorithms: err = %v", err)
	}
	listsNone := &Parser{Algorithms: []Algorithm{"none", "HS256"}}
	if _, err := listsNone.Parse(unsigned(`{"alg":"none"}`, `{}`)); !errors.Is(err, ErrAlgNone) {
		t.Errorf("listing none must not enable it: err = %v", err)
	}
	var nilParser *Parser
	if _, err := nilParser.Parse(tok); err != nil {
		t.Errorf("nil parser: %v", err)
	}
}

func TestErrorsDoNotEchoInput(t *testing.T) {
	evil := strings.Repeat("\n<script>", 200)
	for _, tok := range []string{
		unsigned(`{"alg":"`+evil+`"}`, `{}`),
		unsigned(`{"alg":"HS256`+evil+`"}`, `{}`),
		unsigned(`{"alg":"RS256"}`, `{"`+evil+`":1,"`+evil+`":2}`),
	} {
		_, err := Parse(tok)
		if err == nil {
			t.Fatal("accepted")
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 200 || strings.Count(msg, "<script>") > 4 {
			t.Errorf("error echoes input: %q", msg)
		}
	}
}

func TestValueAccessors(t *testing.T) {
	tok, err := Parse(unsigned(`{"alg":"RS256"}`, `{"s":"a\u0062","n":12.5,"b":true,"f":false,"z":null,"a":["x","y"],"e":[],"m":["x",1],"o":{},"t":1700000000,"neg":-5}`))
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) Value {
		v, ok := tok.Claims.Get(name)
		if !ok {
			t.Fatalf("claim %s missing", name)
		}
		return v
	}
	kinds := map[string]Kind{"s": String, "n": Number, "b": Bool, "f": Bool, "z": Null, "a": Array, "o": Object}
	for name, want := range kinds {
		if got := get(name).Kind(); got != want {
			t.Errorf("Kind(%s) = %v, want %v", name, got, want)
		}
	}
	if s, err := get("s").AsString(); err != nil || s != "ab" {
		t.Errorf("AsString = %q, %v", s, err)
	}
	// A claim read as another type is ErrInvalidClaim, naming the claim:
	// the token is well-formed, so it is never "malformed token".
	if _, err := get("n").AsString(); !errors.Is(err, ErrInvalidClaim) || errors.Is(err, ErrMalformed) ||
		err.Error() != `jws: claim of the wrong type: "n" is a number, want a string` {
		t.Errorf("AsString on a number: %v", err)
	}
	if f, err := get("n").AsFloat(); err != nil || f != 12.5 {
		t.Errorf("AsFloat = %v, %v", f, err)
	}
	if _, err := get("s").AsFloat(); err == nil {
		t.Error("AsFloat on a string succeeded")
	}
	if b, err := get("b").AsBool(); err != nil || !b {
		t.Errorf("AsBool = %v, %v", b, err)
	}
	if b, err := get("f").AsBool(); err != nil || b {
		t.Errorf("AsBool false = %v, %v", b, err)
	}
	if _, err := get("z").AsBool(); err == nil {
		t.Error("AsBool on null succeeded")
	}
	if l, err := get("a").AsStrings(); err != nil || strings.Join(l, ",") != "x,y" {
		t.Errorf("AsStrings = %q, %v", l, err)
	}
	if l, err := get("s").AsStrings(); err != nil || len(l) != 1 || l[0] != "ab" {
		t.Errorf("AsStrings on a string = %q, %v", l, err)
	}
	if l, err := get("e").AsStrings(); err != nil || l == nil || len(l) != 0 {
		t.Errorf("AsStrings on [] = %#v, %v", l, err)
	}
	for _, name := range []string{"m", "o", "n", "z"} {
		if _, err := get(name).AsStrings(); !errors.Is(err, ErrInvalidClaim) || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("AsStrings(%s) err = %v", name, err)
		}
	}
	if tm, err := get("t").AsTime(); err != nil || tm.Unix() != 1700000000 {
		t.Errorf("AsTime = %v, %v", tm, err)
	}
	for _, name := range []string{"s", "neg", "z"} {
		if _, err := get(name).AsTime(); !errors.Is(err, ErrInvalidClaim) || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("AsTime(%s) err = %v", name, err)
		}
	}
	var zero Value
	if zero.Kind() != Invalid {
		t.Error("zero Value is not Invalid")
	}
	if _, err := zero.AsString(); err == nil {
		t.Error("zero Value converted")
	}
}
