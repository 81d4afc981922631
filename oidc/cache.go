package oidc

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// tokenCache remembers tokens whose signature verified, so that a client
// repeating its token skips the parse, the signature and the typing of its
// claims. Claim rules and the Check are not cached: they run on every call.
//
// Where an entry lives is chosen by a keyed hash (hash/maphash, a random
// seed per cache) of the whole token, so tokens spread uniformly whatever
// their bytes look like, and an attacker who cannot see the seed cannot aim
// tokens at one bucket. The hash only picks the bucket: a hit also compares
// the whole token text, so two tokens never share an entry.
//
// The table is an array of buckets of cacheWays slots, each slot an atomic
// pointer, with four times as many slots as the entry limit (32 bytes per
// entry of the bound), so that a bucket overflows for about one token in
// 10,000 when the cache is full. Lookups take no lock and write nothing shared (the
// recently-used bit is written once per eviction sweep, not per hit), so
// hits scale with cores. Insertions, which follow a signature verification
// costing tens of microseconds, take one mutex. The cache is bounded by
// entries and by bytes (an estimate of each entry's memory); past either
// bound a CLOCK sweep evicts entries not used since its last pass. An entry
// is never served at or after its token's exp, and expired entries are the
// first to be replaced.
type tokenCache struct {
	seed  maphash.Seed
	mask  uint64 // number of buckets − 1
	slots []atomic.Pointer[cacheEntry]

	// Keeps the fields above, which every hit reads, off the cache line
	// that insertions write.
	_ [64]byte

	mu         sync.Mutex // guards everything below, and every slot store
	entries    int
	bytes      int
	maxEntries int
	maxBytes   int
	hand       int // CLOCK position, a slot index
}

// cacheWays is the number of slots per bucket: eight pointers, one cache
// line.
const cacheWays = 8

// cacheBytesPerEntry is the byte budget per entry: the byte bound is
// size × cacheBytesPerEntry. A Cognito access token of about 1 KB costs
// about 3.5 KB (see TestCacheEntryMemory), so the entry bound is the one
// that holds for usual tokens and the byte bound caps a cache filled with
// large tokens (16 KiB ones would otherwise cost 45 KB each).
const cacheBytesPerEntry = 6 << 10

// entryOverhead is what an entry costs beyond its token's text, decoded
// claims and signature: the structs and slices of the entry, the parsed
// token, its claims, the typed claims of a layer such as cognitojwt, and
// four table slots; TestCacheEntryMemory measured 1.8 KB.
const entryOverhead = 2048

// cacheEntry is one verified token: immutable once published, except for
// used.
type cacheEntry struct {
	token string
	hash  uint64
	exp   time.Time
	tok   *jws.Token
	iss   *issuer
	key   *jwks.Key
	size  int
	used  atomic.Bool

	// claims[i] and errs[i] are what typing the claims for the issuer's
	// i-th rules gave: the claims, or the error that refuses the token
	// under those rules whatever the time.
	claims []*Claims
	errs   []error
	one    [1]*Claims // backing for claims with one rule set
	errOne [1]error
	c0     Claims
}

func newTokenCache(size int) *tokenCache {
	buckets := uint64(1)
	for buckets*cacheWays < 4*uint64(size) {
		buckets <<= 1
	}
	return &tokenCache{
		seed:       maphash.MakeSeed(),
		mask:       buckets - 1,
		slots:      make([]atomic.Pointer[cacheEntry], buckets*cacheWays),
		maxEntries: size,
		maxBytes:   size * cacheBytesPerEntry,
	}
}

// hash is the keyed hash of the whole token that places it.
func (c *tokenCache) hash(token string) uint64 { return maphash.String(c.seed, token) }

// get returns the entry for token, or nil. It takes no lock.
func (c *tokenCache) get(token string) *cacheEntry {
	h := c.hash(token)
	b := c.bucket(h)
	for i := range b {
		e := b[i].Load()
		if e != nil && e.hash == h && e.token == token {
			if !e.used.Load() {
				e.used.Store(true)
			}
			return e
		}
	}
	return nil
}

func (c *tokenCache) bucket(h uint64) []atomic.Pointer[cacheEntry] {
	i := (h & c.mask) * cacheWays
	return c.slots[i : i+cacheWays : i+cacheWays]
}

// put inserts e (its token, hash and size set) unless its token is there
// already; now is the clock of e's issuer, by which expired entries are
// replaced first.
func (c *tokenCache) put(e *cacheEntry, now time.Time) {
	if e.size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bucket(e.hash)
	free := -1
	for i := range b {
		old := b[i].Load()
		switch {
		case old == nil:
			if free < 0 {
				free = i
			}
		case old.hash == e.hash && old.token == e.token:
			return
		case !now.Before(old.exp):
			c.drop(&b[i], old)
			if free < 0 {
				free = i
			}
		}
	}
	if free < 0 {
		// A full bucket: replace an entry not used since the last
		// sweep, or else the one the hash points at.
		free = int(e.hash>>32) % cacheWays
		for i := range b {
			if !b[i].Load().used.Load() {
				free = i
				break
			}
		}
		c.drop(&b[free], b[free].Load())
	}
	b[free].Store(e)
	c.entries++
	c.bytes += e.size
	for c.entries > c.maxEntries || c.bytes > c.maxBytes {
		if !c.evict(e, now) {
			break
		}
	}
}

func (c *tokenCache) drop(slot *atomic.Pointer[cacheEntry], e *cacheEntry) {
	slot.Store(nil)
	c.entries--
	c.bytes -= e.size
}

// evict removes one entry other than keep: the first expired or not used
// since the hand last passed it, clearing the used bits it passes. Two
// turns of the hand find one unless keep is the only entry; it reports
// whether it removed one.
func (c *tokenCache) evict(keep *cacheEntry, now time.Time) bool {
	for range 2*len(c.slots) + 1 {
		i := c.hand
		c.hand++
		if c.hand == len(c.slots) {
			c.hand = 0
		}
		e := c.slots[i].Load()
		if e == nil || e == keep {
			continue
		}
		if e.used.Load() && now.Before(e.exp) {
			e.used.Store(false)
			continue
		}
		c.drop(&c.slots[i], e)
		return true
	}
	return false
}

// entrySize estimates the memory an entry keeps alive: the token text,
// its decoded header, claims and signature (3/4 of the text), and the
// structs around them.
func entrySize(token string) int {
	return len(token) + len(token)*3/4 + entryOverhead
}
