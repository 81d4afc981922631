package httpauth_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// One key per test binary: RSA generation is slow under -race.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

func configFor(iss *cognitotest.Issuer, use cognitojwt.TokenUse) cognitojwt.Config {
	return cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		JWKSURL:    iss.JWKSURL(),
		TokenUse:   use,
		ClientIDs:  []string{iss.ClientID},
		Now:        iss.Now,
	}
}

// The Cognito verifier behind the middleware, with real tokens: C is
// inferred as *cognitojwt.Claims, and every refusal of the verifier maps
// to its status.
func TestCognito(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(configFor(iss, cognitojwt.AnyTokenUse))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	hello := func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.Claims(r) // *cognitojwt.Claims
		io.WriteString(w, c.Username+" "+string(c.TokenUse))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /me", auth.Require()(http.HandlerFunc(hello)))
	mux.Handle("GET /orders", auth.Require(httpauth.TokenUse(cognitojwt.AccessToken), httpauth.Scope("orders/read"))(http.HandlerFunc(hello)))
	mux.Handle("GET /admin", auth.Require(httpauth.Group("admin"))(http.HandlerFunc(hello)))
	mux.Handle("GET /profile", auth.Require(httpauth.TokenUse(cognitojwt.IDToken))(http.HandlerFunc(hello)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}, Groups: []string{"admin"}})
	bob := iss.AccessToken(cognitotest.TokenOptions{Username: "bob"})
	aliceID := iss.IDToken(cognitotest.TokenOptions{Username: "alice", Groups: []string{"admin"}})
	expired := iss.AccessToken(cognitotest.TokenOptions{Expired: true})
	otherClient := iss.AccessToken(cognitotest.TokenOptions{ClientID: "someoneelse000000000000001"})
	foreignKey := iss.AccessToken(cognitotest.TokenOptions{Signer: otherKey()})
	noUse := iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"token_use": nil}})
	// Alice's signature over a payload that names Mallory.
	parts := strings.Split(alice, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	payload = bytes.Replace(payload, []byte(`"alice"`), []byte(`"mallo"`), 1)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]

	for _, tc := range []struct {
		name, path, token string
		status            int
		reason            httpauth.Reason
		body              string
	}{
		{"access token", "/me", alice, 200, "", "alice access"},
		{"id token", "/me", aliceID, 200, "", "alice id"},
		{"scope", "/orders", alice, 200, "", "alice access"},
		{"group", "/admin", alice, 200, "", "alice access"},
		{"group, id token", "/admin", aliceID, 200, "", "alice id"},
		{"id token route", "/profile", aliceID, 200, "", "alice id"},

		{"id token on an access route", "/orders", aliceID, 401, httpauth.ReasonInvalidTokenUse, ""},
		{"access token on an id route", "/profile", alice, 401, httpauth.ReasonInvalidTokenUse, ""},
		{"no scope", "/orders", bob, 403, httpauth.ReasonMissingScope, ""},
		{"no group", "/admin", bob, 403, httpauth.ReasonMissingGroup, ""},
		{"expired", "/me", expired, 401, httpauth.ReasonExpired, ""},
		{"other client", "/me", otherClient, 401, httpauth.ReasonInvalidAudience, ""},
		{"unknown key", "/me", foreignKey, 401, httpauth.ReasonUnknownKey, ""},
		{"no token_use", "/me", noUse, 401, httpauth.ReasonInvalidTokenUse, ""},
		{"forged", "/me", forged, 401, httpauth.ReasonInvalidSignature, ""},
		{"not a jwt", "/me", "abc.def", 401, httpauth.ReasonMalformedToken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, srv, tc.path, bearer(tc.token))
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			if tc.status == 200 {
				if res.body != tc.body {
					t.Errorf("body %q, want %q", res.body, tc.body)
				}
				return
			}
			checkRefusal(t, res, tc.status, tc.reason)
			if strings.Contains(res.body+strings.Join(res.header.Values("WWW-Authenticate"), ""), parts[1][:20]) {
				t.Error("response echoes the token")
			}
		})
	}
}

// The JWKS endpoint is down and nothing is cached: 503 with Retry-After,
// not 401; once it is back, the same token passes.
func TestKeysUnavailable(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	iss.SetJWKSStatus(http.StatusInternalServerError)
	cfg := configFor(iss, cognitojwt.AccessToken)
	cfg.KeyOptions.MinRefetchInterval = time.Nanosecond // retry at once once the endpoint is back
	v, err := cognitojwt.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{RetryAfter: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(auth.Require()(http.HandlerFunc(echoOK)))
	defer srv.Close()

	tok := iss.AccessToken()
	res := do(t, srv, "/", bearer(tok))
	if res.status != 503 || res.header.Get("Retry-After") != "30" || res.header.Get("WWW-Authenticate") != "" {
		t.Fatalf("outage: %d, Retry-After %q, WWW-Authenticate %q", res.status, res.header.Get("Retry-After"), res.header.Get("WWW-Authenticate"))
	}
	checkRefusal(t, res, 503, httpauth.ReasonKeysUnavailable)
	if strings.Contains(res.body, "127.0.0.1") {
		t.Errorf("body names the JWKS URL: %s", res.body)
	}

	iss.SetJWKSStatus(0)
	// The key set backs off after a failure; the next fetch may wait.
	for i := 0; ; i++ {
		res = do(t, srv, "/", bearer(tok))
		if res.status == 200 || i == 50 {
			break
		}
		if res.status != 503 {
			t.Fatalf("recovering: %d %s", res.status, res.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res.status != 200 {
		t.Errorf("after the outage: %d %s", res.status, res.body)
	}
}

func echoOK(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }

// The generic OIDC verifier behind the same middleware: C is inferred as
// *oidc.Claims.
func TestOIDC(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := oidc.New(oidc.Config{
		Issuer:           iss.IssuerURL(),
		JWKSURL:          iss.JWKSURL(),
		AllowAnyAudience: true,
		GroupsClaim:      "cognito:groups",
	})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := auth.Require(httpauth.AllScopes("orders/read", "orders/write"), httpauth.Group("staff"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.Claims(r) // *oidc.Claims
		io.WriteString(w, c.Subject)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	good := iss.AccessToken(cognitotest.TokenOptions{Username: "carol", Scopes: []string{"orders/write", "orders/read"}, Groups: []string{"staff"}})
	if res := do(t, srv, "/", bearer(good)); res.status != 200 || res.body != iss.Subject("carol") {
		t.Errorf("good: %d %q", res.status, res.body)
	}
	half := iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read"}, Groups: []string{"staff"}})
	res := do(t, srv, "/", bearer(half))
	if res.status != 403 || res.header.Get("WWW-Authenticate") != `Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders/read orders/write"` {
		t.Errorf("half: %d %q", res.status, res.header.Get("WWW-Authenticate"))
	}
}

// Concurrent requests through one Auth, under -race: each handler sees
// its own request's claims.
func TestConcurrent(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(configFor(iss, cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	var refused sync.Map
	auth, err := httpauth.New(v, &httpauth.Options{Observe: func(r *http.Request, e httpauth.Event) {
		if e.Status != 0 {
			refused.Store(e.Reason, true)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(auth.Require(httpauth.Scope("orders/read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.Claims(r)
		io.WriteString(w, c.Username)
	})))
	defer srv.Close()

	users := []string{"u0", "u1", "u2", "u3"}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u] = iss.AccessToken(cognitotest.TokenOptions{Username: u, Scopes: []string{"orders/read"}})
	}
	noScope := iss.AccessToken()
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				u := users[(i+j)%len(users)]
				tok := tokens[u]
				want, status := u, 200
				if j%3 == 0 {
					tok, want, status = noScope, "", 403
				}
				req, _ := http.NewRequest("GET", srv.URL, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := srv.Client().Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != status || status == 200 && string(body) != want {
					errs <- res.Status + " " + string(body) + ", want " + want
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if _, ok := refused.Load(httpauth.ReasonMissingScope); !ok {
		t.Error("no missing_scope observed")
	}
}
