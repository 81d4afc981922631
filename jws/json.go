package jws

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small, strict JSON reader for the two objects of a JWS.
// encoding/json is not used on this path because it matches member names
// case-insensitively, keeps the last of duplicate members, and accepts
// invalid UTF-8 (replacing it); each of those lets two parties read one
// token two ways. Here a document must be exactly one object (RFC 8259),
// valid UTF-8 with no lone surrogate escapes (RFC 7493 I-JSON), with unique
// member names at every depth, and nothing after it.

// plain marks the bytes a string scan can pass over without a second look:
// printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special reports whether any of the 8 bytes in x needs a closer look in a
// string: '"', '\\', a control character, or a non-ASCII byte. It may
// report bytes after a true positive spuriously (borrows), never miss one.
func special(x uint64) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	ctl := (x - 0x20*ones) &^ x
	q := x ^ ('"' * ones)
	quote := (q - ones) &^ q
	bs := x ^ ('\\' * ones)
	backslash := (bs - ones) &^ bs
	return (ctl|quote|backslash|x)&highs != 0
}

// maxDepth bounds nesting so that a hostile "[[[[…" cannot exhaust the stack.
const maxDepth = 32

type decoder struct {
	s     string
	b     []byte // the same bytes as s when available, for word-at-a-time scans
	i     int
	depth int
	what  string // "header" or "claims", for error messages
}

func (d *decoder) fail(msg string) error {
	return malformed("%s: %s at offset %d", d.what, msg, d.i)
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// openObject consumes the '{' that must begin the document.
func (d *decoder) openObject() error {
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return d.fail("not a JSON object")
	}
	d.i++
	return nil
}

// next advances to the next member of the object being read. It returns
// done=true after consuming the closing '}'. Otherwise it returns the
// member's decoded name, having consumed the ':' after it.
func (d *decoder) next(first bool) (name string, done bool, err error) {
	d.ws()
	if d.i >= len(d.s) {
		return "", false, d.fail("unterminated object")
	}
	if d.s[d.i] == '}' { // "{}" or the end after a member; "{…,}" fails below
		d.i++
		return "", true, nil
	}
	if !first {
		if d.s[d.i] != ',' {
			return "", false, d.fail("expected ',' or '}'")
		}
		d.i++
		d.ws()
	}
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false, d.fail("expected member name")
	}
	name, err = d.str()
	if err != nil {
		return "", false, err
	}
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != ':' {
		return "", false, d.fail("expected ':'")
	}
	d.i++
	d.ws()
	return name, false, nil
}

// end checks that nothing but whitespace follows the document.
func (d *decoder) end() error {
	d.ws()
	if d.i != len(d.s) {
		return d.fail("trailing data after object")
	}
	return nil
}

// str reads a string at d.s[d.i] == '"' and returns its decoded value. When
// the string has no escapes the result aliases d.s (no allocation).
func (d *decoder) str() (string, error) {
	start := d.i + 1
	j := start
	for j < len(d.s) {
		for j+8 <= len(d.b) && !special(binary.LittleEndian.Uint64(d.b[j:])) {
			j += 8
		}
		if j >= len(d.s) {
			break
		}
		c := d.s[j]
		if plain[c] {
			j++
			continue
		}
		switch {
		case c == '"':
			d.i = j + 1
			return d.s[start:j], nil
		case c == '\\':
			return d.strSlow(start)
		case c < 0x20:
			d.i = j
			return "", d.fail("control character in string")
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRuneInString(d.s[j:])
			if r == utf8.RuneError && size == 1 {
				d.i = j
				return "", d.fail("invalid UTF-8")
			}
			j += size
		}
	}
	d.i = j
	return "", d.fail("unterminated string")
}

// strSlow decodes a string with escapes, from its first content byte.
func (d *decoder) strSlow(start int) (string, error) {
	var b strings.Builder
	j := start
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			return b.String(), nil
		case c == '\\':
			if j+1 >= len(d.s) {
				d.i = j
				return "", d.fail("unterminated escape")
			}
			e := d.s[j+1]
			j += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, n, ok := unicodeEscape(d.s, j-2)
				if !ok {
					d.i = j - 2
					return "", d.fail("invalid \\u escape or lone surrogate")
				}
				b.WriteRune(r)
				j = j - 2 + n
			default:
				d.i = j - 2
				return "", d.fail("invalid escape")
			}
		case c < 0x20:
			d.i = j
			return "", d.fail("control character in string")
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			j++
		default:
			r, size := utf8.DecodeRuneInString(d.s[j:])
			if r == utf8.RuneError && size == 1 {
				d.i = j
				return "", d.fail("invalid UTF-8")
			}
			b.WriteString(d.s[j : j+size])
			j += size
		}
	}
	d.i = j
	return "", d.fail("unterminated string")
}

// unicodeEscape decodes the \uXXXX escape at s[i] (s[i] == '\\'), joining a
// surrogate pair, and returns the rune and the bytes consumed. A lone or
// reversed surrogate is refused: I-JSON (RFC 7493 §2.1) forbids them, and
// decoders disagree on what they mean.
func unicodeEscape(s string, i int) (rune, int, bool) {
	r1, ok := hex4(s, i)
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r1) {
		return r1, 6, true
	}
	if r1 >= 0xDC00 { // low surrogate first
		return 0, 0, false
	}
	r2, ok := hex4(s, i+6)
	if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
		return 0, 0, false
	}
	return utf16.DecodeRune(r1, r2), 12, true
}

// hex4 reads `\uXXXX` at s[i].
func hex4(s string, i int) (rune, bool) {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i+2 : i+6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number and returns its literal text, which is valid by
// RFC 8259 §6 (no leading zeros, no '+', no bare '.', no NaN/Infinity).
func (d *decoder) number() (string, error) {
	s, start := d.s, d.i
	j := d.i
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case j < len(s) && '1' <= s[j] && s[j] <= '9':
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
	default:
		d.i = j
		return "", d.fail("invalid number")
	}
	if j < len(s) && s[j] == '.' {
		j++
		k := j
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j == k {
			d.i = j
			return "", d.fail("invalid number")
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j == k {
			d.i = j
			return "", d.fail("invalid number")
		}
	}
	d.i = j
	return s[start:j], nil
}

// value skips one value, validating it (including unique member names in
// nested objects), and returns its raw text.
func (d *decoder) value() (string, error) {
	start := d.i
	if d.i >= len(d.s) {
		return "", d.fail("unexpected end of JSON")
	}
	switch c := d.s[d.i]; {
	case c == '"':
		if _, err := d.str(); err != nil {
			return "", err
		}
	case c == '-' || ('0' <= c && c <= '9'):
		if _, err := d.number(); err != nil {
			return "", err
		}
	case c == '{':
		if err := d.nested(true); err != nil {
			return "", err
		}
	case c == '[':
		if err := d.nested(false); err != nil {
			return "", err
		}
	case c == 't':
		if !strings.HasPrefix(d.s[d.i:], "true") {
			return "", d.fail("invalid literal")
		}
		d.i += 4
	case c == 'f':
		if !strings.HasPrefix(d.s[d.i:], "false") {
			return "", d.fail("invalid literal")
		}
		d.i += 5
	case c == 'n':
		if !strings.HasPrefix(d.s[d.i:], "null") {
			return "", d.fail("invalid literal")
		}
		d.i += 4
	default:
		return "", d.fail("invalid value")
	}
	return d.s[start:d.i], nil
}

// nested validates an object (isObject) or array starting at d.s[d.i].
func (d *decoder) nested(isObject bool) error {
	if d.depth >= maxDepth {
		return d.fail("nesting too deep")
	}
	d.depth++
	defer func() { d.depth-- }()
	d.i++ // '{' or '['
	if isObject {
		var names nameSet
		for first := true; ; first = false {
			name, done, err := d.next(first)
			if err != nil {
				return err
			}
			if done {
				return nil
			}
			if !names.add(name) {
				return d.fail("duplicate member name " + sanitize(name))
			}
			if _, err := d.value(); err != nil {
				return err
			}
		}
	}
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if _, err := d.value(); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.s) {
			return d.fail("unterminated array")
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return nil
		default:
			return d.fail("expected ',' or ']'")
		}
	}
}

// nameSet detects duplicate member names. Objects in tokens are small, so
// a linear scan of a fixed array is fastest and allocates nothing; a large
// object switches to a map so that a hostile token of thousands of short
// names costs linear, not quadratic, time.
type nameSet struct {
	small [24]string
	n     int
	big   map[string]struct{}
}

func (s *nameSet) add(name string) bool {
	if s.big != nil {
		if _, dup := s.big[name]; dup {
			return false
		}
		s.big[name] = struct{}{}
		return true
	}
	for _, x := range s.small[:s.n] {
		if x == name {
			return false
		}
	}
	if s.n < len(s.small) {
		s.small[s.n] = name
		s.n++
		return true
	}
	s.big = make(map[string]struct{}, 2*len(s.small))
	for _, x := range s.small {
		s.big[x] = struct{}{}
	}
	s.big[name] = struct{}{}
	return true
}
