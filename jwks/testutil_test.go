package jwks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

// rsaKeys are generated once: 2048-bit generation is the slowest thing in
// these tests.
var rsaKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 2)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

func ecPriv(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ecKey returns a fresh ES256 key with this kid.
func ecKey(t testing.TB, kid string) *Key {
	t.Helper()
	k, err := NewKey(kid, jws.ES256, &ecPriv(t, elliptic.P256()).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// doc encodes keys as a JWKS document.
func doc(t testing.TB, keys ...*Key) []byte {
	t.Helper()
	set, skipped := NewSet(keys...)
	if len(skipped) > 0 {
		t.Fatalf("doc: skipped %v", skipped)
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj writes a JSON object member by member, in order, duplicates and all;
// values are JSON-encoded unless they are json.RawMessage.
func obj(kv ...any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(kv[i])
		b.Write(name)
		b.WriteByte(':')
		if raw, ok := kv[i+1].(json.RawMessage); ok {
			b.Write(raw)
		} else {
			v, err := json.Marshal(kv[i+1])
			if err != nil {
				panic(err)
			}
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

func setDoc(keys ...[]byte) []byte {
	return []byte(`{"keys":[` + string(bytes.Join(keys, []byte(","))) + `]}`)
}

func ed25519Pub(t testing.TB) ed25519.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// fakeClock is the injected clock: tests move time, they never sleep for it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// keyServer is a loopback JWKS endpoint whose answer tests change.
type keyServer struct {
	*httptest.Server
	hits atomic.Int64

	mu           sync.Mutex
	doc          []byte
	status       int    // 0: 200
	etag         string // "": no ETag
	cacheControl string
	age          string
	inm          []string      // If-None-Match of each request
	gate         chan struct{} // non-nil: requests wait for it to close
}

func newKeyServer(t testing.TB, doc []byte) *keyServer {
	t.Helper()
	s := &keyServer{doc: doc}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *keyServer) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	doc, status, etag, cc, age, gate := s.doc, s.status, s.etag, s.cacheControl, s.age, s.gate
	s.inm = append(s.inm, r.Header.Get("If-None-Match"))
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	if age != "" {
		w.Header().Set("Age", age)
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if status != 0 {
		w.WriteHeader(status)
		fmt.Fprintf(w, "error %d", status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(doc)
}

func (s *keyServer) setDoc(doc []byte) {
	s.mu.Lock()
	s.doc = doc
	s.mu.Unlock()
}

func (s *keyServer) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *keyServer) update(f func(s *keyServer)) {
	s.mu.Lock()
	f(s)
	s.mu.Unlock()
}

// recorder collects events; wait blocks (bounded) until one of a kind has
// arrived n times in total.
type recorder struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) on(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) count(kind EventKind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func (r *recorder) last(kind EventKind) (Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Kind == kind {
			return r.events[i], true
		}
	}
	return Event{}, false
}

func (r *recorder) keyIDs(kind EventKind) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, e := range r.events {
		if e.Kind == kind {
			ids = append(ids, e.KeyID)
		}
	}
	return ids
}

func (r *recorder) wait(t testing.TB, kind EventKind, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for r.count(kind) < n {
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("timed out waiting for %d %s events (have %d)", n, kind, r.count(kind))
		}
	}
}

// newRemote builds a Remote on the fake clock, recording events.
func newRemote(t testing.TB, url string, clock *fakeClock, opts Options) (*Remote, *recorder) {
	t.Helper()
	rec := newRecorder()
	opts.OnEvent = rec.on
	if clock != nil {
		opts.Now = clock.Now
	}
	r, err := NewRemote(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, rec
}
