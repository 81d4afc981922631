package jws

import (
	"encoding/base64"
	"testing"
)

// FuzzDecodeSegment checks the hand-written decoder against the standard
// library's strict decoder: same verdict, same bytes. Inputs with '\r' or
// '\n' are where the two differ on purpose (the standard decoder skips
// them), so they must be refused here.
func FuzzDecodeSegment(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "eyJhbGciOiJSUzI1NiJ9", "c2lnbmF0dXJlcw", "c2lnbmF0dXJlcx", "a+b/", "ab==", "ab\ncd", "-_-_"} {
		f.Add(s)
	}
	ref := base64.RawURLEncoding.Strict()
	f.Fuzz(func(t *testing.T, s string) {
		dst := make([]byte, decodedLen(len(s)))
		ok := decodeSegment(dst, s)
		want, err := ref.DecodeString(s)
		hasBreak := false
		for i := 0; i < len(s); i++ {
			if s[i] == '\r' || s[i] == '\n' {
				hasBreak = true
			}
		}
		switch {
		case hasBreak:
			if ok {
				t.Fatalf("accepted a line break: %q", s)
			}
		case ok != (err == nil):
			t.Fatalf("%q: ours ok=%v, reference err=%v", s, ok, err)
		case ok && string(dst) != string(want):
			t.Fatalf("%q: decoded %x, reference %x", s, dst, want)
		}
	})
}

func TestDecodeSegmentTable(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"QQ", "A", true},
		{"QR", "", false}, // non-zero trailing bits
		{"QUI", "AB", true},
		{"QUJ", "", false},
		{"QUJD", "ABC", true},
		{"QUJDRA", "ABCD", true},
		{"Q", "", false},
		{"QUJDR", "", false},
		{"QQ==", "", false},
		{"Q+==", "", false},
		{"-_8", "\xfb\xff", true},
		{"+/8", "", false},
		{"QU JD", "", false},
		{"QUJD\nRA", "", false},
		{"QUJDRUZHSElKS0xN", "ABCEFGHIJKLM", true},
		{"QUJDRUZHSElKS0x*", "", false},
	}
	for _, tt := range tests {
		dst := make([]byte, decodedLen(len(tt.in)))
		ok := decodeSegment(dst, tt.in)
		if ok != tt.ok || (ok && string(dst) != tt.want) {
			t.Errorf("decodeSegment(%q) = %q, %v; want %q, %v", tt.in, dst, ok, tt.want, tt.ok)
		}
	}
}
