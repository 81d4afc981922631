package jwks

import "testing"

func TestEventKindString(t *testing.T) {
	tests := []struct {
		kind EventKind
		want string
	}{
		{FetchStarted, "fetch_started"},
		{FetchSucceeded, "fetch_succeeded"},
		{FetchFailed, "fetch_failed"},
		{KeyAdded, "key_added"},
		{KeyRemoved, "key_removed"},
		{KeySkipped, "key_skipped"},
		{RefetchSuppressed, "refetch_suppressed"},
		{0, "EventKind(0)"},
		{200, "EventKind(200)"},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.kind, got, tt.want)
		}
	}
}

func TestRemoteKeySkippedEvents(t *testing.T) {
	ctx := testCtx(t)
	good := mustJSON(t, ecKey(t, "good"))
	srv := newKeyServer(t, setDoc(good, obj("kty", "oct", "kid", "hmac", "k", "AAAA"), good))
	r, rec := newRemote(t, srv.URL, newClock(), Options{})
	if err := r.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	e, ok := rec.last(KeySkipped)
	if !ok || e.KeyID != "hmac" || e.Err == nil || rec.count(KeySkipped) != 1 {
		t.Errorf("KeySkipped %+v (%d)", e, rec.count(KeySkipped))
	}
	// Events arrive in order: started, skipped, added, succeeded.
	var kinds []EventKind
	rec.mu.Lock()
	for _, e := range rec.events {
		kinds = append(kinds, e.Kind)
	}
	rec.mu.Unlock()
	want := []EventKind{FetchStarted, KeySkipped, KeyAdded, FetchSucceeded}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a.", "a."},
		{"a\nb\"c", `a\nb\"c`},
		{"0123456789012345678901234567890123456789", "01234567890123456789012345678901..."},
		{"\xff", `\xff`},
	}
	for _, tt := range tests {
		if got := clip(tt.in); got != tt.want {
			t.Errorf("clip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
