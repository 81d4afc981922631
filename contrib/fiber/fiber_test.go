package fiberauth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	fiberauth "github.com/cognitojwt/cognitojwt/contrib/fiber"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/gofiber/fiber/v3"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// setup serves a Fiber app on a real 127.0.0.1 listener, whose routes
// need nothing, a token, a scope, a group, and (for a route group) a token
// via Use; after counts the handlers that ran after the middleware.
func setup(t *testing.T) (*cognitotest.Issuer, *httptest.Server, *atomic.Int64) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{iss.ClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		t.Fatal(err)
	}

	after := new(atomic.Int64)
	hello := func(c fiber.Ctx) error {
		after.Add(1)
		claims, ok := fiberauth.Claims[*cognitojwt.Claims](c)
		if !ok {
			return c.SendString("anonymous")
		}
		return c.SendString("hello " + claims.Username)
	}
	app := fiber.New()
	app.Get("/public", hello)
	app.Get("/me", fiberauth.Require(auth), hello)
	app.Get("/orders", fiberauth.Require(auth, httpauth.Scope("orders/read")), hello)
	app.Get("/admin", fiberauth.Require(auth, httpauth.Group("admin")), hello)
	app.Get("/feed", fiberauth.Optional(auth), hello)
	api := app.Group("/api", fiberauth.Require(auth))
	api.Get("/items/:id", func(c fiber.Ctx) error {
		after.Add(1)
		claims, _ := fiberauth.Claims[*cognitojwt.Claims](c)
		return c.JSON(fiber.Map{"id": c.Params("id"), "user": claims.Username})
	})
	return iss, listen(t, app), after
}

// listen serves app on 127.0.0.1 until the test ends. The returned
// server holds only the URL (httptest's type, for the helpers shared with
// the gin tests).
func listen(t testing.TB, app *fiber.App) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() {
		if err := app.Shutdown(); err != nil {
			t.Error(err)
		}
		<-done
	})
	return &httptest.Server{URL: "http://" + ln.Addr().String()}
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func TestFiber(t *testing.T) {
	iss, srv, after := setup(t)
	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	root := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})
	expired := iss.AccessToken(cognitotest.TokenOptions{Expired: true})

	for _, tc := range []struct {
		name, path, token string
		status            int
		body, www         string
	}{
		{"public", "/public", "", 200, "anonymous", ""},
		{"token", "/me", alice, 200, "hello alice", ""},
		{"no token", "/me", "", 401, "", `Bearer realm="api"`},
		{"expired", "/me", expired, 401, "", `Bearer realm="api", error="invalid_token", error_description="the access token expired"`},
		{"malformed", "/me", "a b", 400, "", `Bearer realm="api", error="invalid_request", error_description="the request does not carry a well-formed bearer token"`},
		{"scope", "/orders", alice, 200, "hello alice", ""},
		{"no scope", "/orders", root, 403, "", `Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders/read"`},
		{"group", "/admin", root, 200, "hello root", ""},
		{"no group", "/admin", alice, 403, "", `Bearer realm="api", error="insufficient_scope", error_description="the user is not in a required group"`},
		{"optional, anonymous", "/feed", "", 200, "anonymous", ""},
		{"optional, token", "/feed", alice, 200, "hello alice", ""},
		{"optional, expired", "/feed", expired, 401, "", `Bearer realm="api", error="invalid_token", error_description="the access token expired"`},
		{"group route", "/api/items/7", alice, 200, `{"id":"7","user":"alice"}`, ""},
		{"group route, no token", "/api/items/7", "", 401, "", `Bearer realm="api"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := after.Load()
			res, body := get(t, srv.URL+tc.path, tc.token)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != tc.www {
				t.Errorf("WWW-Authenticate %q\nwant %q", got, tc.www)
			}
			ran := after.Load() - before
			if tc.status == 200 {
				if body != tc.body || ran != 1 {
					t.Errorf("body %q (want %q), %d handlers ran", body, tc.body, ran)
				}
				return
			}
			// Refused: the chain was aborted, and the body is httpauth's.
			if ran != 0 {
				t.Errorf("%d handlers ran after a refusal", ran)
			}
			if res.Header.Get("Content-Type") != "application/problem+json" || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", res.Header)
			}
			var p struct{ Status int }
			if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != tc.status {
				t.Errorf("body %q", body)
			}
		})
	}
}

// The keys are unavailable: 503 with Retry-After through Fiber too.
func TestFiberKeysUnavailable(t *testing.T) {
	iss, srv, after := setup(t)
	iss.SetJWKSStatus(http.StatusBadGateway)
	res, body := get(t, srv.URL+"/me", iss.AccessToken())
	if res.StatusCode != 503 || res.Header.Get("Retry-After") != "5" || after.Load() != 0 {
		t.Errorf("%d Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

func TestFiberConcurrent(t *testing.T) {
	iss, srv, _ := setup(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := string(rune('a' + i))
			tok, err := iss.MintAccess(cognitotest.TokenOptions{Username: user})
			if err != nil {
				t.Error(err)
				return
			}
			for range 5 {
				req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || string(body) != "hello "+user {
					t.Errorf("%d %q, want hello %s", res.StatusCode, body, user)
				}
			}
		}()
	}
	wg.Wait()
}

func TestFiberPanicsOnBadRequirement(t *testing.T) {
	auth, err := httpauth.New(stringVerifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for Scope on claims without HasScope")
		}
	}()
	fiberauth.Require(auth, httpauth.Scope("a"))
}

type stringVerifier struct{}

func (stringVerifier) Verify(_ context.Context, _ string) (string, error) { return "x", nil }

// Two Authorization fields: fasthttp keeps both, and the middleware
// refuses the request as net/http's would. Control: one field passes.
func TestFiberTwoAuthorizationFields(t *testing.T) {
	iss, srv, after := setup(t)
	tok := iss.AccessToken()
	for _, n := range []int{1, 2} {
		req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
		for range n {
			req.Header.Add("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := map[int]int{1: 200, 2: 400}[n]
		if res.StatusCode != want {
			t.Errorf("%d fields: status %d, want %d", n, res.StatusCode, want)
		}
	}
	if after.Load() != 1 {
		t.Errorf("%d handlers ran", after.Load())
	}
}
