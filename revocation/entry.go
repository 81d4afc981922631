package revocation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what an entry matches.
type Kind uint8

// The kinds of entry.
const (
	// JTI matches the one token whose "jti" is the value.
	JTI Kind = iota + 1
	// OriginJTI matches every token whose "origin_jti" is the value:
	// the access and ID tokens of one sign-in and of its refreshes.
	OriginJTI
	// Subject matches the tokens whose "sub" is the value and whose
	// "iat" is at or before the entry's time (or that have no "iat").
	Subject
	// Username is Subject for the Cognito "username" or
	// "cognito:username" claim.
	Username
)

var kindNames = [...]string{JTI: "jti", OriginJTI: "origin_jti", Subject: "sub", Username: "username"}

// String returns "jti", "origin_jti", "sub" or "username".
func (k Kind) String() string {
	if k >= JTI && k <= Username {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind reads the names String returns.
func ParseKind(s string) (Kind, error) {
	for k := JTI; k <= Username; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("revocation: unknown kind %.32q: want jti, origin_jti, sub or username", s)
}

// MaxValueLen bounds an entry's value. Cognito's ids are UUIDs and
// usernames at most 128 characters; the bound keeps one entry's memory
// and its Redis message small.
const MaxValueLen = 256

// Entry is one revocation.
type Entry struct {
	Kind  Kind
	Value string // the jti, origin_jti, sub or username; 1 to MaxValueLen bytes, no control characters

	// At is when the revocation was made. For Subject and Username it is
	// also the cut-off: tokens issued at or before At are revoked, tokens
	// issued later stand (the user signed in again). Required.
	At time.Time

	// Expires is when the entry can be forgotten: no token it could
	// match is still valid. Stores set it to At + MaxLifetime + Margin
	// when it is zero.
	Expires time.Time
}

// Validate reports whether e can be stored: a known kind, a value of 1
// to MaxValueLen bytes without control characters or spaces (so that
// its text form reads one way), a non-zero At, and Expires, when set,
// after At.
func (e Entry) Validate() error {
	if e.Kind < JTI || e.Kind > Username {
		return fmt.Errorf("revocation: unknown entry kind %d", e.Kind)
	}
	if e.Value == "" {
		return fmt.Errorf("revocation: empty %s", e.Kind)
	}
	if len(e.Value) > MaxValueLen {
		return fmt.Errorf("revocation: %s is longer than %d bytes", e.Kind, MaxValueLen)
	}
	for i := 0; i < len(e.Value); i++ {
		if c := e.Value[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("revocation: %s contains a space or control character", e.Kind)
		}
	}
	if e.At.IsZero() {
		return fmt.Errorf("revocation: entry for %s has no time", e.Kind)
	}
	if !e.Expires.IsZero() && !e.Expires.After(e.At) {
		return fmt.Errorf("revocation: entry for %s expires before it was made", e.Kind)
	}
	return nil
}

// String returns the text form MarshalText does.
func (e Entry) String() string {
	b, _ := e.MarshalText()
	return string(b)
}

// MarshalText encodes e as "<kind> <at> <expires> <value>", the times in
// Unix nanoseconds: the form stores and the command line exchange. It
// refuses an invalid entry.
func (e Entry) MarshalText() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 48+len(e.Value))
	b = append(b, e.Kind.String()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.At.UnixNano(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.Expires.UnixNano(), 10)
	b = append(b, ' ')
	return append(b, e.Value...), nil
}

// UnmarshalText reads the form MarshalText writes, exactly: four fields
// separated by one space, decimal times without sign or leading zeros,
// and an entry that passes Validate with a non-zero Expires.
func (e *Entry) UnmarshalText(text []byte) error {
	parts := strings.SplitN(string(text), " ", 4)
	if len(parts) != 4 {
		return fmt.Errorf("revocation: malformed entry: want <kind> <at> <expires> <value>")
	}
	k, err := ParseKind(parts[0])
	if err != nil {
		return err
	}
	at, err := parseNanos(parts[1])
	if err != nil {
		return err
	}
	exp, err := parseNanos(parts[2])
	if err != nil {
		return err
	}
	n := Entry{Kind: k, Value: parts[3], At: at, Expires: exp}
	if err := n.Validate(); err != nil {
		return err
	}
	*e = n
	return nil
}

// parseNanos reads a positive decimal count of Unix nanoseconds in its one
// spelling (no sign, no leading zero), so that an entry reads one way.
func parseNanos(s string) (time.Time, error) {
	if s == "" || s[0] == '0' || s[0] == '+' || s[0] == '-' || len(s) > 19 {
		return time.Time{}, fmt.Errorf("revocation: malformed entry time")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("revocation: malformed entry time")
	}
	return time.Unix(0, n), nil
}

// withExpiry returns e with Expires set from the lifetime when zero.
func (e Entry) withExpiry(lifetime time.Duration) Entry {
	if e.Expires.IsZero() {
		e.Expires = e.At.Add(lifetime)
	}
	return e
}
