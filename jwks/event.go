package jwks

import (
	"strconv"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind uint8

// The events a [Remote] reports through [Options.OnEvent].
const (
	// FetchStarted: a request for the JWKS is about to be sent. Trigger
	// says why.
	FetchStarted EventKind = iota + 1

	// FetchSucceeded: a fetch returned a usable document (200) or
	// confirmed the cached one (304, NotModified). Keys is the number of
	// usable keys, TTL how long they are fresh, Duration how long the
	// fetch took. It follows the KeySkipped, KeyAdded and KeyRemoved
	// events of the same fetch.
	FetchSucceeded

	// FetchFailed: a fetch failed. Err (a *FetchError) says why; Backoff is
	// how long before another fetch may start. Cached keys keep serving
	// within the stale-if-error window.
	FetchFailed

	// KeyAdded: a fetch brought a key (KeyID) that was not in the previous
	// set. Every key of the first fetch is reported.
	KeyAdded

	// KeyRemoved: a key (KeyID) of the previous set is not in the new one
	// and is no longer trusted.
	KeyRemoved

	// KeySkipped: an entry of the fetched document is not used; Err says
	// why (it wraps ErrInvalidKey or ErrAmbiguousKeyID). Reported on every
	// fetch that returns the document, not on 304.
	KeySkipped

	// RefetchSuppressed: a token named a kid that is not cached and the
	// refetch it would cause was refused by the rate limit (one fetch per
	// MinRefetchInterval) or the failure backoff. KeyID is the token's kid,
	// attacker-controlled, cut to 32 bytes with non-printable runes
	// escaped. One event per lookup: count these, do not log each one.
	RefetchSuppressed
)

// String returns the kind's name, e.g. "fetch_started", for logs and
// metric labels.
func (k EventKind) String() string {
	switch k {
	case FetchStarted:
		return "fetch_started"
	case FetchSucceeded:
		return "fetch_succeeded"
	case FetchFailed:
		return "fetch_failed"
	case KeyAdded:
		return "key_added"
	case KeyRemoved:
		return "key_removed"
	case KeySkipped:
		return "key_skipped"
	case RefetchSuppressed:
		return "refetch_suppressed"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Why a fetch started, in [Event.Trigger].
const (
	TriggerHydrate = "hydrate" // Remote.Hydrate was called
	TriggerMiss    = "miss"    // a lookup found no usable key for its kid (or no keys at all)
	TriggerRefresh = "refresh" // a lookup found the keys past their TTL
)

// Event is one report from a [Remote], delivered synchronously to
// [Options.OnEvent]. Which fields are set depends on Kind; the rest are
// zero.
type Event struct {
	Kind EventKind
	// URL is the JWKS URL, set on every event.
	URL string
	// KeyID is the kid for KeyAdded, KeyRemoved, KeySkipped and
	// RefetchSuppressed.
	KeyID string
	// Keys is the number of usable keys after FetchSucceeded.
	Keys int
	// Err is the cause for FetchFailed and KeySkipped.
	Err error
	// Trigger is why the fetch started (TriggerHydrate, TriggerMiss or
	// TriggerRefresh), on FetchStarted, FetchSucceeded and FetchFailed.
	Trigger string
	// Duration is how long the fetch took, on FetchSucceeded and
	// FetchFailed.
	Duration time.Duration
	// TTL is how long the keys are fresh, on FetchSucceeded (from
	// Cache-Control max-age within [MinTTL, MaxTTL], else the TTL option).
	TTL time.Duration
	// NotModified is true on a FetchSucceeded that was a 304 reply to
	// If-None-Match: the cached keys were confirmed, not replaced.
	NotModified bool
	// Backoff is, on FetchFailed, how long before the next fetch may
	// start.
	Backoff time.Duration
}
