package cognitojwt_test

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// tenants is many cognitotest pools behind one loopback server, with a
// resolver over a map of the trusted ones, counting every call and every
// key fetch.
type tenants struct {
	srv      *httptest.Server
	issuers  map[string]*cognitotest.Issuer
	mu       sync.Mutex
	trusted  map[string]func(*cognitojwt.Config) // pool id -> edit of its config
	resolves atomic.Int64
	fetches  atomic.Int64
	fail     atomic.Bool // the resolver has an outage
}

func newTenants(t *testing.T, n int) *tenants {
	t.Helper()
	ts := &tenants{issuers: make(map[string]*cognitotest.Issuer), trusted: make(map[string]func(*cognitojwt.Config))}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		iss := ts.issuers[id]
		if iss == nil {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/jwks.json") {
			ts.fetches.Add(1)
		}
		h, err := iss.Handler()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.srv.Close)
	for i := range n {
		iss := cognitotest.NewUnstartedIssuer()
		iss.URL = ts.srv.URL
		iss.PoolID = fmt.Sprintf("us-east-1_Tenant%04d", i)
		iss.Signers = []crypto.Signer{testKey()}
		if _, err := iss.Handler(); err != nil {
			t.Fatal(err)
		}
		ts.issuers[iss.PoolID] = iss
	}
	return ts
}

func (ts *tenants) trust(id string, edit func(*cognitojwt.Config)) {
	ts.mu.Lock()
	ts.trusted[id] = edit
	ts.mu.Unlock()
}

func (ts *tenants) resolve(_ context.Context, id string) ([]cognitojwt.Config, error) {
	ts.resolves.Add(1)
	if ts.fail.Load() {
		return nil, errors.New("tenant database is down")
	}
	ts.mu.Lock()
	edit, ok := ts.trusted[id]
	ts.mu.Unlock()
	iss := ts.issuers[id]
	if !ok || iss == nil {
		return nil, cognitojwt.ErrUnknownPool
	}
	cfg := iss.Config(cognitojwt.AccessToken)
	if edit != nil {
		edit(&cfg)
	}
	return []cognitojwt.Config{cfg}, nil
}

func (ts *tenants) verifier(t *testing.T, edit func(*cognitojwt.ResolverConfig)) *cognitojwt.Verifier {
	t.Helper()
	rc := cognitojwt.ResolverConfig{Resolve: ts.resolve, IssuerPrefixes: []string{ts.srv.URL + "/"}}
	if edit != nil {
		edit(&rc)
	}
	v, err := cognitojwt.NewResolving(rc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (ts *tenants) token(t *testing.T, i int, opts ...cognitotest.TokenOptions) string {
	t.Helper()
	return ts.issuers[fmt.Sprintf("us-east-1_Tenant%04d", i)].AccessToken(opts...)
}

// A thousand pools, each resolved once and fetched once, then served from
// memory; tokens of pools the resolver does not trust fetch nothing.
func TestResolvingThousandPools(t *testing.T) {
	// A thousand pools in CI (COGNITOJWT_LONG=1); a hundred in a plain
	// go test, to keep it fast.
	n := 1000
	if testing.Short() || os.Getenv("COGNITOJWT_LONG") == "" {
		n = 100
	}
	ts := newTenants(t, n+50)
	for i := range n {
		ts.trust(fmt.Sprintf("us-east-1_Tenant%04d", i), nil)
	}
	v := ts.verifier(t, nil)
	ctx := context.Background()
	tokens := make([]string, n)
	for i := range n {
		tokens[i] = ts.token(t, i)
	}
	for pass := range 2 {
		for i, tok := range tokens {
			c, err := v.Verify(ctx, tok)
			if err != nil {
				t.Fatalf("pass %d, pool %d: %v", pass, i, err)
			}
			if want := fmt.Sprintf("us-east-1_Tenant%04d", i); !strings.HasSuffix(c.Issuer, "/"+want) {
				t.Fatalf("pool %d: issuer %s", i, c.Issuer)
			}
		}
	}
	if got := ts.resolves.Load(); got != int64(n) {
		t.Errorf("resolver called %d times for %d pools", got, n)
	}
	if got := ts.fetches.Load(); got != int64(n) {
		t.Errorf("%d key fetches for %d pools", got, n)
	}

	// A flood of tokens of 50 untrusted pools (genuinely signed by an
	// issuer the server serves), each repeated: refused, no key fetch,
	// and the resolver asked once per pool thanks to the negative cache.
	resolves, fetches := ts.resolves.Load(), ts.fetches.Load()
	for round := range 20 {
		for i := n; i < n+50; i++ {
			_, err := v.Verify(ctx, ts.token(t, i))
			if !errors.Is(err, cognitojwt.ErrInvalidIssuer) {
				t.Fatalf("round %d, untrusted pool %d: %v, want ErrInvalidIssuer", round, i, err)
			}
		}
	}
	if got := ts.fetches.Load() - fetches; got != 0 {
		t.Errorf("untrusted pools caused %d key fetches", got)
	}
	if got := ts.resolves.Load() - resolves; got != 50 {
		t.Errorf("untrusted pools caused %d resolver calls, want 50 (one each)", got)
	}
	// Control: the trusted pools still verify after the flood.
	if _, err := v.Verify(ctx, tokens[0]); err != nil {
		t.Fatal(err)
	}
}

// Issuers that are not a Cognito pool issuer are refused before the
// resolver is asked or any URL is fetched.
func TestResolvingRefusesForeignIssuers(t *testing.T) {
	ts := newTenants(t, 1)
	id := "us-east-1_Tenant0000"
	ts.trust(id, nil)
	v := ts.verifier(t, nil)
	ctx := context.Background()
	iss := ts.issuers[id]
	cases := []struct {
		name string
		iss  string
	}{
		{"attacker host, pool id path", "https://evil.example/" + id},
		{"attacker host mimicking cognito", "https://cognito-idp.us-east-1.amazonaws.com.evil.example/" + id},
		{"cognito host, other region", "https://cognito-idp.eu-west-1.amazonaws.com/" + id},
		{"cognito host, http", "http://cognito-idp.us-east-1.amazonaws.com/" + id},
		{"prefix, trailing slash", ts.srv.URL + "/" + id + "/"},
		{"prefix, extra segment", ts.srv.URL + "/x/" + id},
		{"prefix, malformed pool id", ts.srv.URL + "/us-east-1_Ten-ant"},
		{"prefix, upper-case host", strings.ToUpper(ts.srv.URL) + "/" + id},
		{"no issuer", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resolves, fetches := ts.resolves.Load(), ts.fetches.Load()
			tok := iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"iss": tc.iss}})
			if tc.iss == "" {
				tok = iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"iss": nil}})
			}
			_, err := v.Verify(ctx, tok)
			if !errors.Is(err, cognitojwt.ErrInvalidIssuer) {
				t.Fatalf("got %v, want ErrInvalidIssuer", err)
			}
			if ts.resolves.Load() != resolves || ts.fetches.Load() != fetches {
				t.Fatalf("resolver or key fetch reached for iss %q", tc.iss)
			}
		})
	}
	// Control: the genuine issuer of the same pool passes.
	if _, err := v.Verify(ctx, iss.AccessToken()); err != nil {
		t.Fatal(err)
	}
}

// A Cognito-form issuer of a trusted pool whose configuration points
// elsewhere (an emulator) is refused by the pool's own issuer rule.
func TestResolvingIssuerMustMatchResolvedConfig(t *testing.T) {
	ts := newTenants(t, 1)
	id := "us-east-1_Tenant0000"
	ts.trust(id, nil)
	v := ts.verifier(t, nil)
	tok := ts.issuers[id].AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/" + id}})
	fetches := ts.fetches.Load()
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, cognitojwt.ErrInvalidIssuer) {
		t.Fatalf("got %v, want ErrInvalidIssuer", err)
	}
	if ts.fetches.Load() != fetches {
		t.Fatal("a mismatched issuer caused a key fetch")
	}
}

// Each pool's rules come from the resolver, and apply to its tokens only.
func TestResolvingPerPoolRules(t *testing.T) {
	ts := newTenants(t, 2)
	ts.trust("us-east-1_Tenant0000", func(c *cognitojwt.Config) { c.Groups = []string{"admin"} })
	ts.trust("us-east-1_Tenant0001", nil)
	v := ts.verifier(t, nil)
	ctx := context.Background()
	cases := []struct {
		name string
		pool int
		opts cognitotest.TokenOptions
		want error
	}{
		{"pool 0 admin", 0, cognitotest.TokenOptions{Groups: []string{"admin"}}, nil},
		{"pool 0 non-admin", 0, cognitotest.TokenOptions{}, cognitojwt.ErrMissingGroup},
		{"pool 1 non-admin", 1, cognitotest.TokenOptions{}, nil},
		{"pool 1 wrong client", 1, cognitotest.TokenOptions{ClientID: "otherclient"}, cognitojwt.ErrInvalidClient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(ctx, ts.token(t, tc.pool, tc.opts))
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// At most MaxPools stay live; an evicted pool is resolved and fetched
// again when it returns.
func TestResolvingEvictsLeastRecentlyUsed(t *testing.T) {
	ts := newTenants(t, 20)
	for i := range 20 {
		ts.trust(fmt.Sprintf("us-east-1_Tenant%04d", i), nil)
	}
	v := ts.verifier(t, func(rc *cognitojwt.ResolverConfig) { rc.MaxPools = 10 })
	ctx := context.Background()
	hot := ts.token(t, 0)
	for i := range 20 {
		for _, tok := range []string{hot, ts.token(t, i)} {
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if got := cognitojwt.LivePools(v); got > 10 {
			t.Fatalf("%d live pools, bound 10", got)
		}
	}
	// Pool 0 was used between every other pool: it was never evicted.
	if got := ts.resolves.Load(); got != 20 {
		t.Errorf("%d resolves, want 20 (the hot pool never evicted)", got)
	}
	fetches := ts.fetches.Load()
	if _, err := v.Verify(ctx, ts.token(t, 1)); err != nil { // evicted long ago
		t.Fatal(err)
	}
	if ts.fetches.Load() != fetches+1 || ts.resolves.Load() != 21 {
		t.Errorf("returning pool: fetches %d→%d, resolves %d; want one more of each", fetches, ts.fetches.Load(), ts.resolves.Load())
	}
}

// A resolver outage is a 503-class error, never remembered; unknown pools
// are remembered for UnknownTTL only.
func TestResolvingOutageAndUnknownTTL(t *testing.T) {
	ts := newTenants(t, 2)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	v := ts.verifier(t, func(rc *cognitojwt.ResolverConfig) { rc.Now = clock; rc.UnknownTTL = time.Minute })
	ctx := context.Background()
	tok := ts.token(t, 0)

	ts.fail.Store(true)
	_, err := v.Verify(ctx, tok)
	if !errors.Is(err, cognitojwt.ErrKeysUnavailable) || errors.Is(err, cognitojwt.ErrInvalidIssuer) {
		t.Fatalf("outage: got %v, want ErrKeysUnavailable", err)
	}
	ts.fail.Store(false)
	// Not trusted yet: unknown, and remembered.
	if _, err := v.Verify(ctx, tok); !errors.Is(err, cognitojwt.ErrInvalidIssuer) {
		t.Fatalf("unknown: got %v", err)
	}
	ts.trust("us-east-1_Tenant0000", nil)
	resolves := ts.resolves.Load()
	if _, err := v.Verify(ctx, tok); !errors.Is(err, cognitojwt.ErrInvalidIssuer) {
		t.Fatalf("within UnknownTTL: got %v, want the remembered refusal", err)
	}
	if ts.resolves.Load() != resolves {
		t.Fatal("resolver asked again within UnknownTTL")
	}
	now.Add(int64(time.Minute))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("after UnknownTTL: %v", err)
	}
}

// ForgetPool makes the next token ask the resolver again.
func TestResolvingForgetPool(t *testing.T) {
	ts := newTenants(t, 1)
	id := "us-east-1_Tenant0000"
	ts.trust(id, nil)
	v := ts.verifier(t, nil)
	ctx := context.Background()
	tok := ts.token(t, 0)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	ts.trust(id, func(c *cognitojwt.Config) { c.Groups = []string{"admin"} })
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("old rules until forgotten: %v", err)
	}
	v.ForgetPool(id)
	if _, err := v.Verify(ctx, tok); !errors.Is(err, cognitojwt.ErrMissingGroup) {
		t.Fatalf("after ForgetPool: got %v, want ErrMissingGroup", err)
	}
}

// With ConfigTTL, changed rules arrive without ForgetPool; the old rules
// serve until the new answer is in.
func TestResolvingConfigTTL(t *testing.T) {
	ts := newTenants(t, 1)
	id := "us-east-1_Tenant0000"
	ts.trust(id, nil)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	v := ts.verifier(t, func(rc *cognitojwt.ResolverConfig) {
		rc.ConfigTTL = time.Minute
		rc.Now = func() time.Time { return time.Unix(0, now.Load()) }
	})
	ctx := context.Background()
	tok := ts.token(t, 0)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	ts.trust(id, func(c *cognitojwt.Config) { c.Groups = []string{"admin"} })
	now.Add(int64(time.Minute))
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := v.Verify(ctx, tok)
		if errors.Is(err, cognitojwt.ErrMissingGroup) {
			break
		}
		if err != nil {
			t.Fatalf("while renewing: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("new rules not applied 5 s after ConfigTTL")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Concurrent first tokens of one pool share one resolver call and one
// key fetch.
func TestResolvingSingleFlight(t *testing.T) {
	ts := newTenants(t, 1)
	ts.trust("us-east-1_Tenant0000", nil)
	v := ts.verifier(t, nil)
	tok := ts.token(t, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Verify(context.Background(), tok); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if r, f := ts.resolves.Load(), ts.fetches.Load(); r != 1 || f != 1 {
		t.Fatalf("%d resolves and %d fetches for 64 concurrent first tokens, want 1 and 1", r, f)
	}
}

// A resolver answer that names another pool, or an invalid config, is an
// outage (fail closed, 503), never an acceptance.
func TestResolvingBadResolverAnswers(t *testing.T) {
	ts := newTenants(t, 2)
	other := ts.issuers["us-east-1_Tenant0001"].Config(cognitojwt.AccessToken)
	cases := []struct {
		name    string
		resolve cognitojwt.PoolResolver
	}{
		{"other pool", func(context.Context, string) ([]cognitojwt.Config, error) { return []cognitojwt.Config{other}, nil }},
		{"no config", func(context.Context, string) ([]cognitojwt.Config, error) { return nil, nil }},
		{"invalid config", func(_ context.Context, id string) ([]cognitojwt.Config, error) {
			return []cognitojwt.Config{{UserPoolID: id}}, nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := cognitojwt.NewResolving(cognitojwt.ResolverConfig{Resolve: tc.resolve, IssuerPrefixes: []string{ts.srv.URL + "/"}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), ts.token(t, 0))
			if !errors.Is(err, cognitojwt.ErrKeysUnavailable) {
				t.Fatalf("got %v, want ErrKeysUnavailable", err)
			}
		})
	}
}

func TestNewResolvingRefusesBadConfig(t *testing.T) {
	ok := func(context.Context, string) ([]cognitojwt.Config, error) { return nil, cognitojwt.ErrUnknownPool }
	cases := []struct {
		name string
		rc   cognitojwt.ResolverConfig
		want string
	}{
		{"no resolver", cognitojwt.ResolverConfig{}, "Resolve is required"},
		{"prefix without slash", cognitojwt.ResolverConfig{Resolve: ok, IssuerPrefixes: []string{"http://127.0.0.1:9229"}}, "must end with"},
		{"http prefix off loopback", cognitojwt.ResolverConfig{Resolve: ok, IssuerPrefixes: []string{"http://emulator.example/"}}, "IssuerPrefixes"},
		{"negative MaxPools", cognitojwt.ResolverConfig{Resolve: ok, MaxPools: -1}, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cognitojwt.NewResolving(tc.rc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Control: a valid config builds.
	if _, err := cognitojwt.NewResolving(cognitojwt.ResolverConfig{Resolve: ok, IssuerPrefixes: []string{"http://127.0.0.1:9229/"}}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerifyResolving compares a resolving verifier with a plain one
// on the same pool, with the verified-token cache on (a repeated token)
// and off (the signature every time): the difference is what finding the
// pool at run time costs.
func BenchmarkVerifyResolving(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	token := iss.AccessToken()
	for _, bc := range []struct {
		name  string
		cache int
	}{{"cached", 0}, {"signature", -1}} {
		cfg := iss.Config(cognitojwt.AccessToken)
		cfg.CacheSize = bc.cache
		plain := mustNew(b, cfg)
		resolving, err := cognitojwt.NewResolving(cognitojwt.ResolverConfig{
			Resolve:        func(context.Context, string) ([]cognitojwt.Config, error) { return []cognitojwt.Config{cfg}, nil },
			IssuerPrefixes: []string{iss.URL + "/"},
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, vc := range []struct {
			name string
			v    *cognitojwt.Verifier
		}{{"plain", plain}, {"resolving", resolving}} {
			b.Run(bc.name+"/"+vc.name, func(b *testing.B) {
				ctx := context.Background()
				if _, err := vc.v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := vc.v.Verify(ctx, token); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
