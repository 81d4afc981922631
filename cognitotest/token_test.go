package cognitotest_test

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestClaimShapes checks each kind of token against the claims Cognito
// issues: the exact names in Cognito's order (so presence and absence),
// and each claim's JSON type.
func TestClaimShapes(t *testing.T) {
	iss := newIssuer(t)
	set := fetchSet(t, iss)
	groups := cognitotest.TokenOptions{Groups: []string{"admin", "users"}}
	tests := []struct {
		name  string
		mint  func(cognitotest.TokenOptions) (string, error)
		opts  cognitotest.TokenOptions
		names []string
	}{
		{"access", iss.MintAccess, cognitotest.TokenOptions{},
			[]string{"sub", "iss", "version", "client_id", "origin_jti", "event_id", "token_use", "scope", "auth_time", "exp", "iat", "jti", "username"}},
		{"access with groups", iss.MintAccess, groups,
			[]string{"sub", "cognito:groups", "iss", "version", "client_id", "origin_jti", "event_id", "token_use", "scope", "auth_time", "exp", "iat", "jti", "username"}},
		{"id", iss.MintID, cognitotest.TokenOptions{},
			[]string{"sub", "email_verified", "iss", "cognito:username", "origin_jti", "aud", "event_id", "token_use", "auth_time", "exp", "iat", "jti", "email"}},
		{"id with groups", iss.MintID, groups,
			[]string{"sub", "cognito:groups", "email_verified", "iss", "cognito:username", "origin_jti", "aud", "event_id", "token_use", "auth_time", "exp", "iat", "jti", "email"}},
		{"m2m", iss.MintM2M, cognitotest.TokenOptions{},
			[]string{"sub", "token_use", "scope", "auth_time", "iss", "exp", "iat", "version", "jti", "client_id"}},
	}
	kinds := map[string]jws.Kind{
		"sub": jws.String, "iss": jws.String, "client_id": jws.String, "origin_jti": jws.String,
		"event_id": jws.String, "token_use": jws.String, "scope": jws.String, "jti": jws.String,
		"username": jws.String, "cognito:username": jws.String, "aud": jws.String, "email": jws.String,
		"version": jws.Number, "auth_time": jws.Number, "exp": jws.Number, "iat": jws.Number,
		"cognito:groups": jws.Array, "email_verified": jws.Bool,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := tt.mint(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			tok := mustVerify(t, set, token)
			if got := tok.Claims.Names(); !slices.Equal(got, tt.names) {
				t.Fatalf("claims\n got %q\nwant %q", got, tt.names)
			}
			for _, name := range tt.names {
				if got := claim(t, tok, name).Kind(); got != kinds[name] {
					t.Errorf("%s is a %s, want a %s", name, got, kinds[name])
				}
			}
			if h := string(tok.Header.Raw()); h != `{"kid":"`+iss.KeyIDs()[0]+`","alg":"RS256"}` {
				t.Errorf("header %s, want Cognito's {kid, alg}", h)
			}
			if got := str(t, tok, "iss"); got != iss.IssuerURL() {
				t.Errorf("iss = %q, want %q", got, iss.IssuerURL())
			}
			for _, name := range []string{"jti", "origin_jti", "event_id"} {
				if v, ok := tok.Claims.Get(name); ok {
					if s, _ := v.AsString(); !uuidV4.MatchString(s) {
						t.Errorf("%s = %q, want a UUID v4", name, s)
					}
				}
			}
			for _, name := range []string{"exp", "iat", "auth_time", "version"} {
				if v, ok := tok.Claims.Get(name); ok && strings.ContainsAny(v.Raw(), ".eE") {
					t.Errorf("%s = %s, want an integer", name, v.Raw())
				}
			}
			if exp, iat := tok.Claims.ExpiresAt, tok.Claims.IssuedAt; exp.Sub(iat) != time.Hour {
				t.Errorf("exp - iat = %v, want 1h", exp.Sub(iat))
			}
			if v, ok := tok.Claims.Get("version"); ok && v.Raw() != "2" {
				t.Errorf("version = %s, want 2", v.Raw())
			}
		})
	}
}

func TestClaimValues(t *testing.T) {
	iss := newIssuer(t)
	set := fetchSet(t, iss)

	access := mustVerify(t, set, iss.AccessToken(cognitotest.TokenOptions{Groups: []string{"admin", "users"}}))
	id := mustVerify(t, set, iss.IDToken(cognitotest.TokenOptions{Username: "alice@example.org"}))
	m2m := mustVerify(t, set, iss.M2MToken())
	groups, err := claim(t, access, "cognito:groups").AsStrings()
	if err != nil || !slices.Equal(groups, []string{"admin", "users"}) {
		t.Errorf("cognito:groups = %q (%v)", groups, err)
	}
	checks := []struct {
		tok        *jws.Token
		name, want string
	}{
		{access, "token_use", "access"},
		{access, "client_id", cognitotest.DefaultClientID},
		{access, "scope", "aws.cognito.signin.user.admin"},
		{access, "username", "testuser"},
		{access, "sub", iss.Subject("testuser")},
		{id, "token_use", "id"},
		{id, "aud", cognitotest.DefaultClientID},
		{id, "cognito:username", "alice@example.org"},
		{id, "email", "alice@example.org"},
		{id, "sub", iss.Subject("alice@example.org")},
		{m2m, "token_use", "access"},
		{m2m, "sub", cognitotest.DefaultClientID},
		{m2m, "client_id", cognitotest.DefaultClientID},
		{m2m, "scope", "test-api/read test-api/write"},
	}
	for _, c := range checks {
		if got := str(t, c.tok, c.name); got != c.want {
			t.Errorf("%s %s = %q, want %q", str(t, c.tok, "token_use"), c.name, got, c.want)
		}
	}
	if v, _ := claim(t, id, "email_verified").AsBool(); !v {
		t.Error("email_verified is not true")
	}
	if id.Claims.Audience[0] != cognitotest.DefaultClientID {
		t.Errorf("aud = %q", id.Claims.Audience)
	}
	if !uuidV4.MatchString(iss.Subject("testuser")) {
		t.Errorf("Subject = %q, want a UUID v4", iss.Subject("testuser"))
	}
	// One user keeps one sub; another user has another.
	again := mustVerify(t, set, iss.AccessToken())
	if again.Claims.Subject != access.Claims.Subject || iss.Subject("bob") == access.Claims.Subject {
		t.Error("sub is not stable per username")
	}
	if again.Claims.ID == access.Claims.ID {
		t.Error("two tokens share a jti")
	}
	if id2 := mustVerify(t, set, iss.IDToken(cognitotest.TokenOptions{Username: "bob"})); str(t, id2, "email") != "bob@example.com" {
		t.Errorf("default email = %q", str(t, id2, "email"))
	}
}

func TestTokenOptions(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	iss := newIssuer(t)
	iss.Now = func() time.Time { return now }
	set := fetchSet(t, iss)
	foreign := rsaKey(t, 3)
	foreignKey, err := cognitotest.NewKey(foreign)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		mint  func(cognitotest.TokenOptions) (string, error)
		opts  cognitotest.TokenOptions
		check func(t *testing.T, tok *jws.Token, verr error)
	}{
		{"clock", iss.MintAccess, cognitotest.TokenOptions{}, func(t *testing.T, tok *jws.Token, _ error) {
			wantTimes(t, tok, now, now, now.Add(time.Hour))
		}},
		{"TTL", iss.MintID, cognitotest.TokenOptions{TTL: 5 * time.Minute}, func(t *testing.T, tok *jws.Token, _ error) {
			wantTimes(t, tok, now, now, now.Add(5*time.Minute))
		}},
		{"Expired", iss.MintAccess, cognitotest.TokenOptions{Expired: true}, func(t *testing.T, tok *jws.Token, _ error) {
			iat := now.Add(-time.Hour - time.Minute)
			wantTimes(t, tok, iat, iat, now.Add(-time.Minute))
		}},
		{"Expired M2M with TTL", iss.MintM2M, cognitotest.TokenOptions{Expired: true, TTL: 10 * time.Minute}, func(t *testing.T, tok *jws.Token, _ error) {
			iat := now.Add(-11 * time.Minute)
			wantTimes(t, tok, iat, iat, now.Add(-time.Minute))
		}},
		{"IssuedAt and AuthTime", iss.MintAccess, cognitotest.TokenOptions{IssuedAt: now.Add(time.Minute), AuthTime: now.Add(-time.Hour)}, func(t *testing.T, tok *jws.Token, _ error) {
			wantTimes(t, tok, now.Add(time.Minute), now.Add(-time.Hour), now.Add(61*time.Minute))
		}},
		{"NotBefore", iss.MintAccess, cognitotest.TokenOptions{NotBefore: now.Add(time.Minute)}, func(t *testing.T, tok *jws.Token, _ error) {
			if !tok.Claims.NotBefore.Equal(now.Add(time.Minute)) {
				t.Errorf("nbf = %v", tok.Claims.NotBefore)
			}
			names := tok.Claims.Names()
			if at := slices.Index(names, "nbf"); at < 0 || names[at-1] != "iat" {
				t.Errorf("nbf not right after iat: %q", names)
			}
		}},
		{"no nbf by default", iss.MintAccess, cognitotest.TokenOptions{}, func(t *testing.T, tok *jws.Token, _ error) {
			if _, ok := tok.Claims.Get("nbf"); ok {
				t.Error("nbf present")
			}
		}},
		{"identity", iss.MintAccess, cognitotest.TokenOptions{Username: "carol", Subject: "fixed-sub", ClientID: "otherclient", Scopes: []string{"openid", "test-api/read"}, JTI: "j1", OriginJTI: "o1", EventID: "e1"}, func(t *testing.T, tok *jws.Token, _ error) {
			want := map[string]string{"username": "carol", "sub": "fixed-sub", "client_id": "otherclient", "scope": "openid test-api/read", "jti": "j1", "origin_jti": "o1", "event_id": "e1"}
			for name, v := range want {
				if got := str(t, tok, name); got != v {
					t.Errorf("%s = %q, want %q", name, got, v)
				}
			}
		}},
		{"ID client and email", iss.MintID, cognitotest.TokenOptions{ClientID: "otherclient", Email: "x@y.z"}, func(t *testing.T, tok *jws.Token, _ error) {
			if str(t, tok, "aud") != "otherclient" || str(t, tok, "email") != "x@y.z" {
				t.Errorf("aud/email: %s", tok.Claims.Raw())
			}
		}},
		{"M2M scopes and client", iss.MintM2M, cognitotest.TokenOptions{ClientID: "svc", Scopes: []string{"orders/read"}}, func(t *testing.T, tok *jws.Token, _ error) {
			if str(t, tok, "sub") != "svc" || str(t, tok, "client_id") != "svc" || str(t, tok, "scope") != "orders/read" {
				t.Errorf("claims %s", tok.Claims.Raw())
			}
		}},
		{"custom claims of every JSON type", iss.MintID, cognitotest.TokenOptions{Claims: map[string]any{
			"custom:tenant": "acme",
			"custom:level":  3,
			"custom:ratio":  0.5,
			"custom:admin":  true,
			"custom:roles":  []string{"a", "b"},
			"custom:obj":    map[string]any{"k": []any{1, "x", nil}},
			"custom:null":   json.RawMessage("null"),
			"name":          "A <B> & C",
		}}, func(t *testing.T, tok *jws.Token, _ error) {
			want := map[string]string{
				"custom:tenant": `"acme"`, "custom:level": `3`, "custom:ratio": `0.5`, "custom:admin": `true`,
				"custom:roles": `["a","b"]`, "custom:obj": `{"k":[1,"x",null]}`, "custom:null": `null`,
				"name": `"A <B> & C"`,
			}
			for name, raw := range want {
				if got := claim(t, tok, name).Raw(); got != raw {
					t.Errorf("%s = %s, want %s", name, got, raw)
				}
			}
			names := tok.Claims.Names()
			if !slices.IsSorted(names[13:]) || names[12] != "email" {
				t.Errorf("custom claims not appended in name order: %q", names)
			}
		}},
		{"claims override in place and remove", iss.MintAccess, cognitotest.TokenOptions{Claims: map[string]any{
			"token_use": "id", "version": "2", "exp": nil, "origin_jti": nil,
		}}, func(t *testing.T, tok *jws.Token, _ error) {
			names := tok.Claims.Names()
			if slices.Contains(names, "exp") || slices.Contains(names, "origin_jti") {
				t.Errorf("removed claims present: %q", names)
			}
			if names[5] != "token_use" || str(t, tok, "token_use") != "id" {
				t.Errorf("token_use not replaced in place: %q", names)
			}
			if claim(t, tok, "version").Raw() != `"2"` {
				t.Errorf("version = %s", claim(t, tok, "version").Raw())
			}
		}},
		{"header override and removal", iss.MintAccess, cognitotest.TokenOptions{Header: map[string]any{"typ": "JWT", "kid": nil}}, func(t *testing.T, tok *jws.Token, verr error) {
			if got := string(tok.Header.Raw()); got != `{"alg":"RS256","typ":"JWT"}` {
				t.Errorf("header %s", got)
			}
			if verr == nil {
				t.Error("a token without kid found a key")
			}
		}},
		{"KeyID", iss.MintAccess, cognitotest.TokenOptions{KeyID: "no+such/key="}, func(t *testing.T, tok *jws.Token, verr error) {
			if tok.Header.KeyID != "no+such/key=" || verr == nil {
				t.Errorf("kid %q, verify error %v", tok.Header.KeyID, verr)
			}
		}},
		{"foreign Signer", iss.MintAccess, cognitotest.TokenOptions{Signer: foreign}, func(t *testing.T, tok *jws.Token, verr error) {
			if tok.Header.KeyID != foreignKey.ID || verr == nil {
				t.Errorf("kid %q, verify error %v", tok.Header.KeyID, verr)
			}
			if err := tok.Verify(foreign.Public()); err != nil {
				t.Errorf("not signed by the foreign key: %v", err)
			}
		}},
		{"foreign Signer under the published kid", iss.MintAccess, cognitotest.TokenOptions{Signer: foreign, KeyID: iss.KeyIDs()[0]}, func(t *testing.T, tok *jws.Token, verr error) {
			if !errors.Is(verr, jws.ErrInvalidSignature) {
				t.Errorf("verify error %v, want ErrInvalidSignature", verr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := tt.mint(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			tok, verr := verify(t, set, token)
			tt.check(t, tok, verr)
		})
	}
}

// wantTimes checks iat, auth_time and exp.
func wantTimes(t *testing.T, tok *jws.Token, iat, authTime, exp time.Time) {
	t.Helper()
	auth, err := claim(t, tok, "auth_time").AsTime()
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Claims.IssuedAt.Equal(iat) || !auth.Equal(authTime) || !tok.Claims.ExpiresAt.Equal(exp) {
		t.Errorf("iat %v auth_time %v exp %v, want %v %v %v", tok.Claims.IssuedAt, auth, tok.Claims.ExpiresAt, iat, authTime, exp)
	}
}

func TestTokenOptionsRefused(t *testing.T) {
	iss := newIssuer(t)
	tests := []struct {
		name string
		mint func(cognitotest.TokenOptions) (string, error)
		opts cognitotest.TokenOptions
	}{
		{"M2M Username", iss.MintM2M, cognitotest.TokenOptions{Username: "u"}},
		{"M2M Groups", iss.MintM2M, cognitotest.TokenOptions{Groups: []string{"g"}}},
		{"M2M Email", iss.MintM2M, cognitotest.TokenOptions{Email: "e@x"}},
		{"M2M OriginJTI", iss.MintM2M, cognitotest.TokenOptions{OriginJTI: "o"}},
		{"M2M EventID", iss.MintM2M, cognitotest.TokenOptions{EventID: "e"}},
		{"M2M standard scope", iss.MintM2M, cognitotest.TokenOptions{Scopes: []string{"openid"}}},
		{"M2M admin scope", iss.MintM2M, cognitotest.TokenOptions{Scopes: []string{"aws.cognito.signin.user.admin"}}},
		{"access Email", iss.MintAccess, cognitotest.TokenOptions{Email: "e@x"}},
		{"ID Scopes", iss.MintID, cognitotest.TokenOptions{Scopes: []string{"openid"}}},
		{"negative TTL", iss.MintAccess, cognitotest.TokenOptions{TTL: -time.Second}},
		{"Expired with IssuedAt", iss.MintID, cognitotest.TokenOptions{Expired: true, IssuedAt: time.Now()}},
		{"unencodable claim", iss.MintAccess, cognitotest.TokenOptions{Claims: map[string]any{"c": make(chan int)}}},
		{"unencodable header", iss.MintAccess, cognitotest.TokenOptions{Header: map[string]any{"h": func() {}}}},
		{"empty claim name", iss.MintAccess, cognitotest.TokenOptions{Claims: map[string]any{"": 1}}},
		{"unusable Signer", iss.MintAccess, cognitotest.TokenOptions{Signer: otherSigner{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := tt.mint(tt.opts)
			if err == nil {
				t.Fatalf("minted %s", token)
			}
			if !strings.HasPrefix(err.Error(), "cognitotest: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// fakeTB records Fatal instead of ending the test, to check the t-bound
// methods.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	fatals []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.mu.Lock()
	f.fatals = append(f.fatals, fmt.Sprint(args...))
	f.mu.Unlock()
}
func (f *fakeTB) Fatalf(s string, a ...any) { f.Fatal(fmt.Sprintf(s, a...)) }

func TestTBoundMethods(t *testing.T) {
	tb := &fakeTB{TB: t}
	iss := cognitotest.NewIssuer(tb, rsaKey(t, 0))
	if tok := iss.AccessToken(); tok == "" || len(tb.fatals) != 0 {
		t.Fatalf("AccessToken: %q, fatals %q", tok, tb.fatals)
	}
	iss.IDToken(cognitotest.TokenOptions{Scopes: []string{"openid"}})
	iss.M2MToken(cognitotest.TokenOptions{}, cognitotest.TokenOptions{})
	iss.AccessToken(cognitotest.TokenOptions{Email: "x"})
	if len(tb.fatals) != 3 {
		t.Fatalf("fatals %q, want 3", tb.fatals)
	}
	if !strings.Contains(tb.fatals[1], "at most one TokenOptions") {
		t.Errorf("fatal %q", tb.fatals[1])
	}
}

// TestConcurrentMinting mints every kind from many goroutines while keys
// rotate and the key set is fetched, under -race.
func TestConcurrentMinting(t *testing.T) {
	iss := newIssuer(t)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		tokens []string
		errs   []error
	)
	mints := []func(cognitotest.TokenOptions) (string, error){iss.MintAccess, iss.MintID, iss.MintM2M}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 15 {
				opts := cognitotest.TokenOptions{}
				if g%3 != 2 {
					opts.Username = "user" + strconv.Itoa(n%4)
				}
				token, err := mints[g%3](opts)
				mu.Lock()
				tokens = append(tokens, token)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	next := []crypto.Signer{rsaKey(t, 1), rsaKey(t, 2)}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for _, k := range next {
			if _, err := iss.RotateTo(k); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			_ = iss.Subject("user1")
		}
	}()
	go func() {
		defer wg.Done()
		for range 5 {
			resp, err := http.Get(iss.JWKSURL())
			if err == nil {
				_, _, err = jwks.ParseSet(must(io.ReadAll(resp.Body)), nil)
				resp.Body.Close()
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			_ = iss.JWKSRequests()
			_ = iss.KeyIDs()
		}
	}()
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	set := fetchSet(t, iss)
	if set.Len() != 3 {
		t.Fatalf("%d keys after two rotations, want 3", set.Len())
	}
	jtis := map[string]bool{}
	subs := map[string]string{}
	for _, token := range tokens {
		tok := mustVerify(t, set, token)
		if jtis[tok.Claims.ID] {
			t.Fatalf("jti %s minted twice", tok.Claims.ID)
		}
		jtis[tok.Claims.ID] = true
		if v, ok := tok.Claims.Get("username"); ok {
			u, _ := v.AsString()
			if prev, seen := subs[u]; seen && prev != tok.Claims.Subject {
				t.Fatalf("user %s has two subs", u)
			}
			subs[u] = tok.Claims.Subject
		}
	}
	if len(tokens) != 8*15 {
		t.Fatalf("%d tokens", len(tokens))
	}
}

func must[T any](v T, _ error) T { return v }
