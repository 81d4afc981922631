package safehttp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		from, to string
		same     bool
	}{
		{"https://a.example/x", "https://a.example/y", true},
		{"https://a.example/x", "https://A.EXAMPLE/y", true},
		{"https://a.example/x", "https://a.example:443/y", true},
		{"http://127.0.0.1/x", "http://127.0.0.1:80/y", true},
		{"https://a.example/x", "http://a.example/y", false},
		{"https://a.example/x", "https://a.example:8443/y", false},
		{"https://a.example/x", "https://b.example/y", false},
		{"https://a.example/x", "https://a.example.evil/y", false},
	}
	for _, tt := range tests {
		from, _ := http.NewRequest("GET", tt.from, nil)
		to, _ := http.NewRequest("GET", tt.to, nil)
		err := SameOrigin(nil)(to, []*http.Request{from})
		if (err == nil) != tt.same {
			t.Errorf("%s → %s: %v", tt.from, tt.to, err)
		}
	}
	from, _ := http.NewRequest("GET", "https://a.example/", nil)
	via := []*http.Request{from, from, from, from}
	if err := SameOrigin(nil)(from, via); err == nil {
		t.Error("a fourth redirect was followed")
	}
	stop := errors.New("caller's policy")
	if err := SameOrigin(func(*http.Request, []*http.Request) error { return stop })(from, via[:1]); !errors.Is(err, stop) {
		t.Errorf("the caller's policy was not applied: %v", err)
	}
}

func TestNewClientRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("elsewhere")) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		default:
			w.Write([]byte("here"))
		}
	}))
	defer srv.Close()
	own := &http.Client{Timeout: 5 * time.Second}
	for _, c := range []*http.Client{NewClient(nil, time.Second), NewClient(own, time.Second)} {
		resp, err := c.Get(srv.URL + "/moved")
		if err != nil {
			t.Fatalf("same-origin redirect: %v", err)
		}
		resp.Body.Close()
		if _, err := c.Get(srv.URL + "/away"); !errors.Is(err, ErrCrossOrigin) {
			t.Errorf("cross-origin redirect: %v", err)
		}
	}
	if own.CheckRedirect != nil {
		t.Error("the caller's client was modified")
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("a\nb", 10); got != `"a\nb"` {
		t.Errorf("Quote = %s", got)
	}
	long := strings.Repeat("é", 20) // 40 bytes
	got := Quote(long, 5)
	if !strings.HasSuffix(got, "...") || strings.Contains(got, "\\ufffd") || len(got) > 40 {
		t.Errorf("Quote cut badly: %s", got)
	}
}
