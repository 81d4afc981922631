package revocation

import (
	"testing"
	"time"
)

func TestEntryText(t *testing.T) {
	e := Entry{Kind: OriginJTI, Value: "f00d-1", At: time.Unix(0, 1764583200000000001), Expires: time.Unix(0, 1764669600000000001)}
	b, err := e.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "origin_jti 1764583200000000001 1764669600000000001 f00d-1"; got != want {
		t.Fatalf("MarshalText = %q, want %q", got, want)
	}
	var back Entry
	if err := back.UnmarshalText(b); err != nil {
		t.Fatal(err)
	}
	if back.Kind != e.Kind || back.Value != e.Value || !back.At.Equal(e.At) || !back.Expires.Equal(e.Expires) {
		t.Fatalf("round trip = %+v, want %+v", back, e)
	}
}

func TestEntryTextRefuses(t *testing.T) {
	for _, s := range []string{
		"",
		"jti",
		"jti 1 2",
		"jti 1 2 ",                     // empty value
		"jwt 1 2 x",                    // unknown kind
		"jti 01 2 x",                   // leading zero
		"jti +1 2 x",                   // sign
		"jti -1 2 x",                   // negative
		"jti 1 0 x",                    // no expiry
		"jti 2 1 x",                    // expires before made
		"jti 1 2 x y",                  // space in the value
		"jti  1 2 x",                   // two spaces
		"jti 1 2 x\n",                  // control character
		"jti 99999999999999999999 2 x", // overflow
	} {
		var e Entry
		if err := e.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) = %+v, want an error", s, e)
		}
	}
}

func TestKindNames(t *testing.T) {
	for k := JTI; k <= Username; k++ {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("JTI"); err == nil {
		t.Error("ParseKind is not exact")
	}
	if s := Kind(9).String(); s != "Kind(9)" {
		t.Errorf("Kind(9).String() = %q", s)
	}
}

func FuzzEntryText(f *testing.F) {
	f.Add("jti 1 2 x")
	f.Add("username 1764583200000000000 1764669600000000000 alice")
	f.Add("sub 1 2 a b")
	f.Fuzz(func(t *testing.T, s string) {
		var e Entry
		if err := e.UnmarshalText([]byte(s)); err != nil {
			return
		}
		// One reading: what is accepted re-encodes to the same bytes.
		b, err := e.MarshalText()
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", s, err)
		}
		if string(b) != s {
			t.Fatalf("%q re-encodes as %q", s, b)
		}
	})
}
