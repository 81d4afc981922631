package jws

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func encPad(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

// TestParsePadding: padded segments are accepted only with AllowPadding,
// and only with exactly the right padding; every strict rule still holds.
func TestParsePadding(t *testing.T) {
	k := keys(t)
	// Header and claims chosen so that each padded form ends in "=" or "==".
	hdr := `{"alg":"ES256","kid":"k"}`     // 25 bytes: "=="
	claims := `{"sub":"a","exp":17637732}` // 26 bytes: "="
	if !strings.HasSuffix(encPad(hdr), "==") || !strings.HasSuffix(encPad(claims), "=") || strings.HasSuffix(encPad(claims), "==") {
		t.Fatal("fixture does not exercise both padding lengths")
	}
	in := encPad(hdr) + "." + encPad(claims)
	sig := base64.URLEncoding.EncodeToString(rawSign(t, ES256, k.p256, []byte(in))) // 64 bytes: "=="
	padded := in + "." + sig
	unpadded := makeToken(t, ES256, k.p256, hdr, claims)
	h, c, s := encPad(hdr), encPad(claims), sig

	tests := []struct {
		name    string
		token   string
		lenient bool // accepted with AllowPadding
		strict  bool // accepted without
	}{
		{"padded", padded, true, false},
		{"unpadded", unpadded, true, true},
		{"padded header only", h + "." + enc(claims) + "." + base64.RawURLEncoding.EncodeToString([]byte("x")), true, false},
		{"missing one =", h[:len(h)-1] + "." + c + "." + s, false, false},
		{"extra =", h + "=." + c + "." + s, false, false},
		{"three =", h[:len(h)-2] + "===." + c + "." + s, false, false},
		{"= where none is due", enc(`{"alg":"ES256","kid":"kkk"}`) + "=." + c + "." + s, false, false},
		{"== where none is due", enc(`{"alg":"ES256","kid":"kkk"}`) + "==." + c + "." + s, false, false},
		{"== where one is due", enc(`{"alg":"ES256","kid":"kk"}`) + "==." + c + "." + s, false, false},
		{"= where one is due", enc(`{"alg":"ES256","kid":"kk"}`) + "=." + c + "." + s, true, false},
		{"= inside", h[:4] + "=" + h[5:] + "." + c + "." + s, false, false},
		{"= alone", "=." + c + "." + s, false, false},
		{"== alone", "==." + c + "." + s, false, false},
		{"==== segment", h + "." + c + "." + "====", false, false},
		{"padding then more", h + "AAAA." + c + "." + s, false, false},
		{"non-canonical bits before =", h[:len(h)-3] + "R==." + c + "." + s, false, false},
		{"standard alphabet", strings.ReplaceAll(strings.ReplaceAll(padded, "-", "+"), "_", "/"), !strings.ContainsAny(padded, "-_"), false},
		{"line break", h + "\n." + c + "." + s, false, false},
		{"percent-encoded =", h[:len(h)-2] + "%3D%3D." + c + "." + s, false, false},
	}
	lenient := &Parser{AllowPadding: true}
	var strict Parser
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				p    *Parser
				want bool
			}{{lenient, tt.lenient}, {&strict, tt.strict}} {
				tok, err := c.p.Parse(tt.token)
				if (err == nil) != c.want {
					t.Fatalf("AllowPadding=%v: err = %v, want accepted %v", c.p.AllowPadding, err, c.want)
				}
				if err != nil && !errors.Is(err, ErrMalformed) {
					t.Fatalf("AllowPadding=%v: %v does not wrap ErrMalformed", c.p.AllowPadding, err)
				}
				if err == nil && (tok.Header.Raw() == nil || tok.Header.Algorithm != ES256) {
					t.Fatal("bad header")
				}
			}
		})
	}

	// The signature covers the segments as sent, padding included.
	tok, err := lenient.Parse(padded)
	if err != nil {
		t.Fatal(err)
	}
	if string(tok.SigningInput()) != in {
		t.Fatalf("signing input %q, want %q", tok.SigningInput(), in)
	}
	if err := tok.Verify(&k.p256.PublicKey); err != nil {
		t.Fatalf("padded token does not verify: %v", err)
	}
	if tok.Claims.Subject != "a" || string(tok.Claims.Raw()) != claims {
		t.Fatalf("claims %q", tok.Claims.Raw())
	}
}

func TestUnpad(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"QQ", "QQ", true},
		{"QQ==", "QQ", true},
		{"QUI=", "QUI", true},
		{"QUJD", "QUJD", true},
		{"QQ=", "", false},
		{"QUI==", "", false},
		{"QUJD====", "", false},
		{"Q===", "", false},
		{"=", "", false},
		{"====", "", false},
	}
	for _, tt := range tests {
		got, ok := unpad(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("unpad(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParsePadded: with AllowPadding, Parse never panics, refuses only
// with the known error classes, and whatever it accepts is canonical: each
// segment is exactly the padded encoding of its bytes when it ends in "=",
// and exactly the unpadded one otherwise. The strict parser must accept a
// token without "=" exactly when the lenient one does.
func FuzzParsePadded(f *testing.F) {
	f.Add(encPad(`{"alg":"ES256","kid":"k"}`) + "." + encPad(`{"sub":"a","exp":17637732}`) + "." + encPad("sig"))
	f.Add(unsigned(cognitoHeader, cognitoAccessClaims))
	f.Add("QQ==.QUI=.QUJD")
	f.Add("a===.b.c")
	f.Add("==.==.==")
	f.Fuzz(func(t *testing.T, token string) {
		p := &Parser{AllowPadding: true}
		tok, err := p.Parse(token)
		_, strictErr := Parse(token)
		if !strings.Contains(token, "=") && (err == nil) != (strictErr == nil) {
			t.Fatalf("without '=', lenient err %v, strict err %v", err, strictErr)
		}
		if strictErr == nil && err != nil {
			t.Fatalf("strict accepts what lenient refuses: %v", err)
		}
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
			want := base64.RawURLEncoding.EncodeToString(part)
			if strings.HasSuffix(segs[i], "=") {
				want = base64.URLEncoding.EncodeToString(part)
			}
			if want != segs[i] {
				t.Fatalf("segment %d does not re-encode to itself: %q vs %q", i, want, segs[i])
			}
		}
		if string(tok.SigningInput()) != segs[0]+"."+segs[1] {
			t.Fatal("signing input is not header.payload")
		}
	})
}
