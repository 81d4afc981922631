package oidc

import (
	"sync"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// tokenCache remembers tokens whose signature verified, keyed by the exact
// token text (the map compares whole keys, so a collision is impossible),
// so that a client repeating its token skips the parse and the signature.
// Claim rules are not cached: they run on every call.
//
// It is bounded with two generations per shard: entries go into the
// current map; when it is full it becomes the previous one and the one
// before is dropped. A hit in the previous map moves the entry forward.
// This keeps recently used tokens at O(1) cost without per-entry lists.
type tokenCache struct {
	shards [cacheShards]cacheShard
}

const cacheShards = 16

type cacheShard struct {
	mu       sync.Mutex
	cur, old map[string]*cacheEntry
	limit    int // entries per generation
}

type cacheEntry struct {
	tok *jws.Token
	iss *issuer
	key *jwks.Key
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{}
	per := max(1, size/(2*cacheShards))
	for i := range c.shards {
		c.shards[i] = cacheShard{cur: make(map[string]*cacheEntry), limit: per}
	}
	return c
}

// shard picks a shard from the token's last bytes: the signature, which
// an honest token fills with uniformly random-looking characters.
func (c *tokenCache) shard(token string) *cacheShard {
	var h byte
	if n := len(token); n >= 2 {
		h = token[n-1] ^ token[n-2]<<3
	}
	return &c.shards[h%cacheShards]
}

func (c *tokenCache) get(token string) *cacheEntry {
	s := c.shard(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.cur[token]; e != nil {
		return e
	}
	if e := s.old[token]; e != nil {
		delete(s.old, token)
		s.add(token, e)
		return e
	}
	return nil
}

func (c *tokenCache) put(token string, e *cacheEntry) {
	s := c.shard(token)
	s.mu.Lock()
	s.add(token, e)
	s.mu.Unlock()
}

func (s *cacheShard) add(token string, e *cacheEntry) {
	if len(s.cur) >= s.limit {
		s.old, s.cur = s.cur, make(map[string]*cacheEntry, s.limit)
	}
	s.cur[token] = e
}
