// Package revsync keeps a local revocation.Memory in step with a shared
// Redis: the key layout, the write script, and the mirror loop. It is
// shared by the Redis store of the nested module revocation/redis (on
// go-redis) and by the command and gateway (on the standard-library
// client of internal/resp), so that both read and write one layout.
package revsync

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/revocation"
)

// DefaultPrefix starts every Redis name of the layout.
const DefaultPrefix = "cognitojwt:revocation"

// Layout: one sorted set holds every entry, its member the entry's text
// form (revocation.Entry.MarshalText) and its score the entry's expiry in
// Unix milliseconds, so that a resynchronisation is one ZRANGE BYSCORE
// and expired entries are trimmed by score on every write. One channel
// carries "<published-unix-nanos> <entry text>" for every write.
func SetKey(prefix string) string  { return prefix + ":entries" }
func Channel(prefix string) string { return prefix + ":events" }

// WriteScript adds ARGV[2] with score ARGV[1] to KEYS[1], trims members
// whose score is at or before ARGV[3] (now, ms), keeps the set's own TTL
// at least as long as its longest-lived member (so an abandoned set goes
// away on its own), and publishes ARGV[5] on ARGV[4]. One script, so the
// write and its announcement are atomic: an instance that resyncs after
// the write sees the entry, one that listens sees the message.
const WriteScript = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local want = tonumber(ARGV[1]) - tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < want then redis.call('PEXPIRE', KEYS[1], want) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`

// WriteArgs returns the ARGV of WriteScript for e (with Expires set).
func WriteArgs(prefix string, e revocation.Entry, now time.Time) ([]string, error) {
	text, err := e.MarshalText()
	if err != nil {
		return nil, err
	}
	if e.Expires.IsZero() {
		return nil, errors.New("revocation: entry has no expiry")
	}
	return []string{
		strconv.FormatInt(e.Expires.UnixMilli(), 10),
		string(text),
		strconv.FormatInt(now.UnixMilli(), 10),
		Channel(prefix),
		strconv.FormatInt(now.UnixNano(), 10) + " " + string(text),
	}, nil
}

// LoadMin is the ZRANGE BYSCORE minimum that skips expired members.
func LoadMin(now time.Time) string { return "(" + strconv.FormatInt(now.UnixMilli(), 10) }

// ParseMessage reads a channel message: when it was published and the
// entry.
func ParseMessage(msg string) (time.Time, revocation.Entry, error) {
	var e revocation.Entry
	ts, text, ok := strings.Cut(msg, " ")
	if !ok {
		return time.Time{}, e, errors.New("revocation: malformed message")
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, e, errors.New("revocation: malformed message time")
	}
	if err := e.UnmarshalText([]byte(text)); err != nil {
		return time.Time{}, e, err
	}
	return time.Unix(0, n), e, nil
}
