package jws

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// maxNumericDate is 9999-12-31T23:59:59Z. Later dates are refused: no real
// token needs them, and they overflow other languages' date types, which
// makes one token mean different things to different verifiers.
const maxNumericDate = 253402300799

// Kind is the JSON type of a [Value].
type Kind uint8

// The JSON kinds.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid", "null", "boolean", "number", "string", "array", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// article returns the kind's name with its indefinite article.
func (k Kind) article() string {
	if k == Array || k == Object || k == Invalid {
		return "an " + k.String()
	}
	return "a " + k.String()
}

// Value is the raw JSON text of one claim, already validated by [Parse].
// Its accessors convert strictly: a claim of another JSON type is an
// error, never coerced.
type Value struct {
	raw  string
	name string // the claim's name, for errors; "" for array elements
}

// Raw returns the value's JSON text, exactly as in the token.
func (v Value) Raw() string { return v.raw }

// Kind returns the value's JSON type.
func (v Value) Kind() Kind {
	if v.raw == "" {
		return Invalid
	}
	switch c := v.raw[0]; {
	case c == '"':
		return String
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	default:
		return Number
	}
}

// typeError names the claim: the token is well-formed, one of its claims
// is not what the caller reads it as.
func (v Value) typeError(want string) error {
	return fmt.Errorf("%w: %s is %s, want %s", ErrInvalidClaim, v.label(), v.Kind().article(), want)
}

func (v Value) label() string {
	if v.name == "" {
		return "claim"
	}
	return sanitize(v.name)
}

// AsString returns the value of a JSON string. Other kinds are an error.
func (v Value) AsString() (string, error) {
	if v.Kind() != String {
		return "", v.typeError("a string")
	}
	d := decoder{s: v.raw, what: "claim"}
	return d.str()
}

// AsStrings returns the elements of a JSON array of strings. A single
// string is returned as a one-element list, as RFC 7519 allows for "aud"
// and IdPs do for group claims. Any other kind, or an array with a
// non-string element, is an error.
func (v Value) AsStrings() ([]string, error) {
	switch v.Kind() {
	case String:
		s, err := v.AsString()
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	case Array:
	default:
		return nil, v.typeError("a string or an array of strings")
	}
	// v.raw is a validated array, so only element kinds need checking.
	d := decoder{s: v.raw, what: "claim", i: 1}
	out := []string{}
	d.ws()
	if d.s[d.i] == ']' {
		return out, nil
	}
	for {
		d.ws()
		if d.s[d.i] != '"' {
			return nil, v.typeError("an array of strings")
		}
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		d.ws()
		if d.s[d.i] == ']' {
			return out, nil
		}
		d.i++ // ','
	}
}

// AsBool returns the value of a JSON boolean.
func (v Value) AsBool() (bool, error) {
	switch v.raw {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, v.typeError("a boolean")
}

// AsFloat returns the value of a JSON number. A number too large for a
// float64 is an error.
func (v Value) AsFloat() (float64, error) {
	if v.Kind() != Number {
		return 0, v.typeError("a number")
	}
	f, err := strconv.ParseFloat(v.raw, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is a number out of range", ErrInvalidClaim, v.label())
	}
	return f, nil
}

// AsTime returns the value of a NumericDate (RFC 7519 §2): a JSON number
// of seconds since the epoch, possibly fractional, in [0, 253402300799].
// A string, a negative number or a later date is an error.
func (v Value) AsTime() (time.Time, error) {
	if v.Kind() != Number {
		return time.Time{}, v.typeError("a NumericDate number")
	}
	t, err := parseNumericDate(v.raw)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %v", ErrInvalidClaim, v.label(), err)
	}
	return t, nil
}

// parseNumericDate converts a valid JSON number literal. Integers, by far
// the common case, take a fast path without floating point.
func parseNumericDate(lit string) (time.Time, error) {
	if len(lit) <= 12 {
		var n int64
		ok := true
		for i := 0; i < len(lit); i++ {
			c := lit[i]
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if ok {
			if n > maxNumericDate {
				return time.Time{}, fmt.Errorf("is after year 9999")
			}
			return time.Unix(n, 0), nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	switch {
	case err != nil || math.IsInf(f, 0) || math.IsNaN(f):
		return time.Time{}, fmt.Errorf("is out of range")
	case f < 0:
		return time.Time{}, fmt.Errorf("is negative")
	case f > maxNumericDate:
		return time.Time{}, fmt.Errorf("is after year 9999")
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), nil
}
