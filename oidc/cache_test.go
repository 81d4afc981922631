package oidc

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

const cacheIssuer = "https://issuer.example"

var edKey = sync.OnceValue(func() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// cacheSigners are the keys of the cache tests, one per algorithm family
// whose signatures look different at the end of the token.
func cacheSigners() map[jws.Algorithm]crypto.Signer {
	return map[jws.Algorithm]crypto.Signer{jws.RS256: rsaKey(), jws.ES256: ecKey(), jws.EdDSA: edKey()}
}

// cacheKeys is a static key set with one key per algorithm, kid = alg.
func cacheKeys(t testing.TB) StaticKeys {
	var keys []*jwks.Key
	for alg, k := range cacheSigners() {
		jk, err := jwks.NewKey(string(alg), alg, k.Public())
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, jk)
	}
	set, skipped := jwks.NewSet(keys...)
	if len(skipped) > 0 {
		t.Fatal(skipped)
	}
	return StaticKeys{Set: set}
}

// cognitoLikeClaims are claims of about the size and shape of a Cognito
// access token's, distinct per i.
func cognitoLikeClaims(i int) map[string]any {
	return map[string]any{
		"sub": fmt.Sprintf("3b1c8d2e-%04x-4f5a-9c7b-%012d", i%65536, i), "cognito:groups": []string{"admin", "ops"},
		"iss": cacheIssuer, "version": 2, "client_id": "5cgbe1sm0mdmrd1ksm8lfl9d6o",
		"origin_jti": fmt.Sprintf("8c5e9f2a-1b3d-4e6f-a7b8-%012d", i), "event_id": fmt.Sprintf("e5f6a7b8-c9d0-4e1f-a2b3-%012d", i),
		"token_use": "access", "scope": "openid orders/read", "auth_time": t0.Unix(),
		"exp": t0.Add(time.Hour).Unix(), "iat": t0.Unix(), "jti": fmt.Sprintf("c1d2e3f4-a5b6-4c7d-8e9f-%012d", i),
		"username": fmt.Sprintf("user-%d", i),
	}
}

// signAny signs like sign, and also EdDSA.
func signAny(t testing.TB, alg jws.Algorithm, claims map[string]any) string {
	t.Helper()
	if alg != jws.EdDSA {
		return sign(t, alg, cacheSigners()[alg], map[string]any{"alg": string(alg), "kid": string(alg)}, claims)
	}
	h, _ := json.Marshal(map[string]any{"alg": "EdDSA", "kid": "EdDSA"})
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(edKey(), []byte(in)))
}

var minted sync.Map // alg → []string, grown on demand and shared by tests

// mintedTokens returns n distinct tokens signed with alg's key, minted
// once per process.
func mintedTokens(t testing.TB, alg jws.Algorithm, n int) []string {
	t.Helper()
	have, _ := minted.Load(alg)
	toks, _ := have.([]string)
	for i := len(toks); i < n; i++ {
		toks = append(toks, signAny(t, alg, cognitoLikeClaims(i)))
	}
	minted.Store(alg, toks)
	return toks[:n]
}

// cacheVerifier is a verifier with a cache of size entries and a Derive
// that counts full verifications (misses).
func cacheVerifier(t testing.TB, size int, misses *atomic.Int64) *Verifier {
	return mustNew(t, Config{
		Issuer: cacheIssuer, AllowAnyAudience: true, Keys: cacheKeys(t),
		CacheSize: size, GroupsClaim: "cognito:groups",
		Now:    func() time.Time { return t0 },
		Derive: func(*Claims) (any, error) { misses.Add(1); return nil, nil },
	})
}

// N distinct, verified tokens under a size-N cache: the second pass hits
// at least 99 % for every algorithm. (The old cache chose a shard from the
// last two characters of the token; RSA-2048 signatures leave 2 bits in
// the last character, so 4 of 16 shards held every token.)
func TestCacheHitRate(t *testing.T) {
	sizes := []int{1024}
	// 65,536 EdDSA tokens through the Verifier take about 10 s: a long
	// test, run by CI (COGNITOJWT_LONG=1), kept out of a plain go test.
	if !testing.Short() && os.Getenv("COGNITOJWT_LONG") != "" {
		sizes = append(sizes, 65536)
	}
	for _, alg := range []jws.Algorithm{jws.RS256, jws.ES256, jws.EdDSA} {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d", alg, n), func(t *testing.T) {
				if alg == jws.RS256 && n > 1024 {
					// RSA signing costs a millisecond: 65,536 tokens
					// would take over a minute. TestCacheTableHitRate
					// runs this size on the cache itself, with tokens of
					// the same shape.
					t.Skip("65,536 RSA signatures cost over a minute; see TestCacheTableHitRate")
				}
				if n > 1024 && (alg != jws.EdDSA || raceEnabled) {
					// Minting and verifying 65,536 tokens costs seconds;
					// the cheapest algorithm covers the Verifier at this
					// size, TestCacheTableHitRate every token shape.
					t.Skip("covered by EdDSA and TestCacheTableHitRate at this size")
				}
				toks := mintedTokens(t, alg, n)
				var misses atomic.Int64
				v := cacheVerifier(t, n, &misses)
				for pass := range 2 {
					misses.Store(0)
					for _, tok := range toks {
						if _, err := v.Verify(context.Background(), tok); err != nil {
							t.Fatal(err)
						}
					}
					if pass == 0 && misses.Load() != int64(n) {
						t.Fatalf("first pass: %d full verifications of %d new tokens", misses.Load(), n)
					}
				}
				hits := float64(n-int(misses.Load())) / float64(n)
				t.Logf("%s, %d tokens, cache %d: second pass hit %.2f %%", alg, n, n, 100*hits)
				if hits < 0.99 {
					t.Errorf("second pass hit %.2f %%, want ≥ 99 %%", 100*hits)
				}
				if got := v.cache.entries; got > n {
					t.Errorf("%d entries, bound %d", got, n)
				}
			})
		}
	}
}

// fakeTokens are n distinct token strings of alg's shape: a real header
// and Cognito-like payload, and a random signature of the algorithm's
// length (a valid signature is as random as these bytes).
func fakeTokens(alg jws.Algorithm, n int) []string {
	sigLen := map[jws.Algorithm]int{jws.RS256: 256, jws.ES256: 64, jws.EdDSA: 64}[alg]
	h, _ := json.Marshal(map[string]any{"alg": string(alg), "kid": string(alg)})
	template, _ := json.Marshal(cognitoLikeClaims(0))
	out := make([]string, n)
	sig := make([]byte, sigLen)
	for i := range out {
		// Distinct payloads of the same shape, without marshalling
		// 65,536 maps: the template's subject, varied.
		c := []byte(strings.Replace(string(template), "3b1c8d2e-0000", fmt.Sprintf("3b1c8d2e-%04x", i%65536), 1))
		c = append(c[:len(c)-1], fmt.Sprintf(`,"n":%d}`, i)...)
		rand.Read(sig)
		out[i] = base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	return out
}

// The table itself, at both sizes and for every algorithm's token shape,
// without the signatures (TestCacheHitRate runs the whole Verifier).
func TestCacheTableHitRate(t *testing.T) {
	exp := t0.Add(time.Hour)
	for _, alg := range []jws.Algorithm{jws.RS256, jws.ES256, jws.EdDSA} {
		for _, n := range []int{1024, 65536} {
			t.Run(fmt.Sprintf("%s/%d", alg, n), func(t *testing.T) {
				toks := fakeTokens(alg, n)
				c := newTokenCache(n)
				for _, tok := range toks {
					c.put(&cacheEntry{token: tok, hash: c.hash(tok), exp: exp, size: entrySize(tok)}, t0)
				}
				hits := 0
				for _, tok := range toks {
					if c.get(tok) != nil {
						hits++
					}
				}
				rate := float64(hits) / float64(n)
				t.Logf("%s shape, %d tokens, cache %d: hit %.2f %%", alg, n, n, 100*rate)
				if rate < 0.99 {
					t.Errorf("hit %.2f %%, want ≥ 99 %%", 100*rate)
				}
				if c.entries > n || c.bytes > c.maxBytes {
					t.Errorf("%d entries, %d bytes: bounds %d, %d", c.entries, c.bytes, n, c.maxBytes)
				}
			})
		}
	}
}

// The bounds hold under churn: 4× the size in distinct tokens never leaves
// more than size entries or maxBytes, tokens near the byte budget are
// bounded by bytes before entries, and entries past exp are replaced first
// and never served.
func TestCacheBounds(t *testing.T) {
	exp := t0.Add(time.Hour)
	t.Run("entries", func(t *testing.T) {
		c := newTokenCache(256)
		for _, tok := range fakeTokens(jws.RS256, 1024) {
			c.put(&cacheEntry{token: tok, hash: c.hash(tok), exp: exp, size: entrySize(tok)}, t0)
			if c.entries > 256 || c.bytes > c.maxBytes {
				t.Fatalf("%d entries, %d bytes", c.entries, c.bytes)
			}
		}
		if n := c.count(); n != c.entries || n < 250 {
			t.Fatalf("%d entries in the table, %d counted", n, c.entries)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		c := newTokenCache(64)
		big := make([]byte, 12<<10)
		for i := range 64 {
			rand.Read(big)
			tok := base64.RawURLEncoding.EncodeToString(big)
			c.put(&cacheEntry{token: tok, hash: c.hash(tok), exp: exp, size: entrySize(tok)}, t0)
			if c.bytes > c.maxBytes {
				t.Fatalf("token %d: %d bytes, bound %d", i, c.bytes, c.maxBytes)
			}
		}
		if c.entries >= 64 || c.entries == 0 {
			t.Fatalf("%d entries of ~16 KB tokens: want the byte bound to hold fewer than 64, and some", c.entries)
		}
	})
	t.Run("too big for the cache", func(t *testing.T) {
		c := newTokenCache(1)
		tok := string(make([]byte, c.maxBytes))
		c.put(&cacheEntry{token: tok, hash: c.hash(tok), exp: exp, size: entrySize(tok)}, t0)
		if c.entries != 0 {
			t.Fatal("an entry over the byte bound was kept")
		}
	})
	t.Run("expired first", func(t *testing.T) {
		// Sixteen tokens of one bucket: eight that expire, filling the
		// cache, then eight live ones, which must all find room.
		c := newTokenCache(8)
		var same []string
		for _, tok := range fakeTokens(jws.ES256, 400) {
			if c.hash(tok)&c.mask == 0 {
				same = append(same, tok)
			}
		}
		if len(same) < 16 {
			t.Fatalf("only %d of 400 tokens in bucket 0", len(same))
		}
		for _, tok := range same[:8] {
			c.put(&cacheEntry{token: tok, hash: c.hash(tok), exp: t0.Add(time.Minute), size: entrySize(tok)}, t0)
		}
		if c.entries != 8 {
			t.Fatalf("%d entries, want 8", c.entries)
		}
		later := t0.Add(2 * time.Minute)
		for _, tok := range same[8:16] {
			c.put(&cacheEntry{token: tok, hash: c.hash(tok), exp: later.Add(time.Hour), size: entrySize(tok)}, later)
		}
		for _, tok := range same[8:16] {
			if c.get(tok) == nil {
				t.Fatal("a live token was refused room while expired ones were cached")
			}
		}
		for _, tok := range same[:8] {
			if c.get(tok) != nil {
				t.Fatal("an expired token outlived the live ones that replaced it")
			}
		}
	})
	t.Run("the hand drops expired entries first", func(t *testing.T) {
		// A full cache of expired entries that were all used: the next
		// insertion evicts an expired one, never a live one.
		c := newTokenCache(8)
		toks := fakeTokens(jws.EdDSA, 9)
		for _, tok := range toks[:7] {
			c.put(&cacheEntry{token: tok, hash: c.hash(tok), exp: t0.Add(time.Minute), size: entrySize(tok)}, t0)
			c.get(tok)
		}
		live := toks[7]
		c.put(&cacheEntry{token: live, hash: c.hash(live), exp: t0.Add(time.Hour), size: entrySize(live)}, t0)
		c.get(live)
		c.put(&cacheEntry{token: toks[8], hash: c.hash(toks[8]), exp: t0.Add(time.Hour), size: entrySize(toks[8])}, t0.Add(2*time.Minute))
		if c.get(live) == nil || c.get(toks[8]) == nil || c.entries > 8 {
			t.Fatalf("live entries evicted or bound broken: %d entries", c.entries)
		}
	})
}

// The largest cache allowed is accepted (the control of the limit in
// TestConfigErrors); its table is allocated only here, so it is not built.
func TestCacheSizeLimit(t *testing.T) {
	cfg := Config{Issuer: cacheIssuer, AllowAnyAudience: true, Keys: cacheKeys(t), CacheSize: maxCacheSize}
	if err := cfg.validate(); err != nil {
		t.Fatalf("CacheSize at the limit refused: %v", err)
	}
}

// A cached token is not served at or after its exp even within the leeway:
// it is verified again (and accepted, within the leeway, by the rules).
func TestCacheNotServedPastExp(t *testing.T) {
	var misses atomic.Int64
	now := t0
	var mu sync.Mutex
	v := mustNew(t, Config{
		Issuer: cacheIssuer, AllowAnyAudience: true, Keys: cacheKeys(t), Leeway: time.Minute,
		Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Derive: func(*Claims) (any, error) { misses.Add(1); return nil, nil },
	})
	tok := signAny(t, jws.EdDSA, map[string]any{"iss": cacheIssuer, "exp": t0.Add(time.Minute).Unix()})
	for range 3 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if misses.Load() != 1 {
		t.Fatalf("%d full verifications of one repeated token, want 1", misses.Load())
	}
	mu.Lock()
	now = t0.Add(time.Minute + time.Second) // past exp, within the leeway
	mu.Unlock()
	for range 2 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("within the leeway: %v", err)
		}
	}
	if misses.Load() != 3 {
		t.Fatalf("%d full verifications, want 3: a token past exp is never served from the cache", misses.Load())
	}
	mu.Lock()
	now = t0.Add(3 * time.Minute)
	mu.Unlock()
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("past the leeway: %v, want ErrExpired", err)
	}
}

// A Derive error refuses the token after the rules, like a failed Check,
// and the token is not cached: the next call derives again.
func TestDerive(t *testing.T) {
	errBad := errors.New("bad tenant")
	var calls atomic.Int64
	v := mustNew(t, Config{
		Issuer: cacheIssuer, AllowAnyAudience: true, Keys: cacheKeys(t),
		Now: func() time.Time { return t0 },
		Derive: func(c *Claims) (any, error) {
			calls.Add(1)
			if c.Subject == "bad" {
				return nil, errBad
			}
			return "derived:" + c.Subject, nil
		},
	})
	good := signAny(t, jws.EdDSA, map[string]any{"iss": cacheIssuer, "sub": "good", "exp": t0.Add(time.Hour).Unix()})
	bad := signAny(t, jws.EdDSA, map[string]any{"iss": cacheIssuer, "sub": "bad", "exp": t0.Add(time.Hour).Unix()})
	expired := signAny(t, jws.EdDSA, map[string]any{"iss": cacheIssuer, "sub": "bad", "exp": t0.Add(-time.Hour).Unix()})
	for range 2 {
		c, err := v.Verify(context.Background(), good)
		if err != nil || c.Derived() != "derived:good" {
			t.Fatalf("good: %v, %v", c, err)
		}
		if _, err := v.Verify(context.Background(), bad); !errors.Is(err, ErrCheckFailed) || !errors.Is(err, errBad) {
			t.Fatalf("bad: %v", err)
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("Derive ran %d times, want 3 (good once, bad each time)", calls.Load())
	}
	if _, err := v.Verify(context.Background(), expired); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired with a Derive error: %v, want ErrExpired (rules first)", err)
	}
}

// count counts the entries in the table.
func (c *tokenCache) count() int {
	n := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

// What an entry costs, measured on the heap: Cognito-shaped RS256 tokens
// (about 1.1 KB), with a Derive that keeps a value the size of
// cognitojwt.Claims (336 bytes). entrySize, which the byte bound adds up,
// must not under-count it.
func TestCacheEntryMemory(t *testing.T) {
	const n = 1024
	toks := mintedTokens(t, jws.RS256, n)
	v := mustNew(t, Config{
		Issuer: cacheIssuer, AllowAnyAudience: true, Keys: cacheKeys(t),
		CacheSize: n, GroupsClaim: "cognito:groups",
		Now:    func() time.Time { return t0 },
		Derive: func(*Claims) (any, error) { return new([336]byte), nil },
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, tok := range toks {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// A full bucket evicts an entry now and then (the table is placed by
	// a random seed), so a few of the n may be missing: the promise is
	// the hit rate's, 99 %.
	cached := int(v.cache.entries)
	if cached < n*99/100 {
		t.Fatalf("%d entries cached, want at least %d of %d", cached, n*99/100, n)
	}
	per := (int(after.HeapAlloc) - int(before.HeapAlloc)) / cached
	est := entrySize(toks[0])
	t.Logf("token %d bytes: %d bytes per entry measured over %d entries, %d estimated (entrySize)", len(toks[0]), per, cached, est)
	if per > est {
		t.Errorf("an entry costs %d bytes, entrySize says %d: the byte bound would be exceeded", per, est)
	}
	runtime.KeepAlive(v)
}
