package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// separatorSuspects are every rune some splitter treats as a space or a
// break: Unicode White_Space, the spaces strings.Fields does not know
// (U+FEFF, U+200B), and every C0 and C1 control character and DEL.
// U+0020 itself is left out: it is the one separator.
func separatorSuspects() []rune {
	var out []rune
	for r := rune(0); r <= 0x3000; r++ {
		if r != ' ' && (unicode.Is(unicode.White_Space, r) || unicode.IsControl(r)) {
			out = append(out, r)
		}
	}
	for _, r := range []rune{0xa0, 0x2003, 0x3000, 0xfeff, 0x200b, '\t', '\n', '\r', '\v', '\f', 0x85} {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func TestSplitScope(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" ", nil},
		{"a", []string{"a"}},
		{"a b", []string{"a", "b"}},
		{"  a   b  ", []string{"a", "b"}},
		{"orders/read orders/write", []string{"orders/read", "orders/write"}},
	}
	for _, tt := range tests {
		if got := SplitScope(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitScope(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, r := range separatorSuspects() {
		in := "orders/read" + string(r) + "orders/write"
		if got := SplitScope(in); !slices.Equal(got, []string{in}) {
			t.Errorf("SplitScope(%q) = %q: U+%04X must not separate scopes", in, got, r)
		}
		if IsScopeToken(in) {
			t.Errorf("IsScopeToken(%q) = true", in)
		}
	}
}

func TestIsScopeToken(t *testing.T) {
	for c := 0; c < 0x100; c++ {
		want := c == 0x21 || c >= 0x23 && c <= 0x5b || c >= 0x5d && c <= 0x7e // RFC 6749 §3.3 NQCHAR
		if got := IsScopeToken("a" + string(rune(c))); got != want {
			t.Errorf("IsScopeToken(%q) = %v, want %v", "a"+string(rune(c)), got, want)
		}
	}
	if IsScopeToken("") {
		t.Error(`IsScopeToken("") = true`)
	}
}

// TestScopeSeparators: one granted scope containing a Unicode space or a
// control character never meets a requirement of either half; the same
// scopes separated by U+0020 do (the control).
func TestScopeSeparators(t *testing.T) {
	ti := newTestIssuer(t)
	cfg := ti.config(t0)
	cfg.Scopes = []string{"orders/write"}
	v := mustNew(t, cfg)
	ctx := context.Background()
	ok := ti.token(t, with(ti.claimsAt(t0), map[string]any{"scope": "orders/read orders/write"}))
	if c, err := v.Verify(ctx, ok); err != nil || !slices.Equal(c.Scopes, []string{"orders/read", "orders/write"}) {
		t.Fatalf("U+0020-separated scopes: %v", err)
	}
	for _, r := range separatorSuspects() {
		t.Run(fmt.Sprintf("U+%04X", r), func(t *testing.T) {
			scope := "orders/read" + string(r) + "orders/write"
			c, err := v.Verify(ctx, ti.token(t, with(ti.claimsAt(t0), map[string]any{"scope": scope})))
			if !errors.Is(err, ErrMissingScope) {
				t.Fatalf("err = %v, want ErrMissingScope (claims %v)", err, c)
			}
		})
	}
}

// FuzzSplitScope: the scopes are never empty, never hold U+0020, and
// together they are s without its spaces: no other rune is dropped.
func FuzzSplitScope(f *testing.F) {
	for _, s := range []string{"", "a b", " a  b ", "a\tb", "a\u00a0b", "\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SplitScope(s)
		for _, g := range got {
			if g == "" || strings.Contains(g, " ") {
				t.Fatalf("SplitScope(%q) = %q", s, got)
			}
		}
		if strings.Join(got, "") != strings.ReplaceAll(s, " ", "") {
			t.Fatalf("SplitScope(%q) = %q: it must drop U+0020 and nothing else", s, got)
		}
	})
}
