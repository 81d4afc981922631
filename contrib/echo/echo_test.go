package echoauth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	echoauth "github.com/cognitojwt/cognitojwt/contrib/echo"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/labstack/echo/v4"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

var errTeapot = errors.New("teapot")

// setup serves an Echo app whose routes need nothing, a token, a scope, a
// group, and (for a route group) a token via Use; after counts the
// handlers that ran after the middleware, and errs the errors Echo's
// error handler saw.
func setup(t *testing.T) (*cognitotest.Issuer, *httptest.Server, *atomic.Int64, *atomic.Int64) {
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

	after, errs := new(atomic.Int64), new(atomic.Int64)
	hello := func(c echo.Context) error {
		after.Add(1)
		claims, ok := echoauth.Claims[*cognitojwt.Claims](c)
		if !ok {
			return c.String(200, "anonymous")
		}
		return c.String(200, "hello "+claims.Username)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	defaultHandler := e.HTTPErrorHandler
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		errs.Add(1)
		if errors.Is(err, errTeapot) {
			c.String(http.StatusTeapot, "teapot")
			return
		}
		defaultHandler(err, c)
	}
	e.GET("/public", hello)
	e.GET("/me", hello, echoauth.Require(auth))
	e.GET("/orders", hello, echoauth.Require(auth, httpauth.Scope("orders/read")))
	e.GET("/admin", hello, echoauth.Require(auth, httpauth.Group("admin")))
	e.GET("/feed", hello, echoauth.Optional(auth))
	e.GET("/teapot", func(c echo.Context) error { after.Add(1); return errTeapot }, echoauth.Require(auth))
	api := e.Group("/api", echoauth.Require(auth))
	api.GET("/items/:id", func(c echo.Context) error {
		after.Add(1)
		claims, _ := echoauth.Claims[*cognitojwt.Claims](c)
		return c.JSON(200, map[string]string{"id": c.Param("id"), "user": claims.Username})
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return iss, srv, after, errs
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

func TestEcho(t *testing.T) {
	iss, srv, after, errs := setup(t)
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
		{"group route", "/api/items/7", alice, 200, `{"id":"7","user":"alice"}` + "\n", ""},
		{"group route, no token", "/api/items/7", "", 401, "", `Bearer realm="api"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, errsBefore := after.Load(), errs.Load()
			res, body := get(t, srv.URL+tc.path, tc.token)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != tc.www {
				t.Errorf("WWW-Authenticate %q\nwant %q", got, tc.www)
			}
			if n := errs.Load() - errsBefore; n != 0 {
				t.Errorf("Echo's error handler ran %d times", n)
			}
			ran := after.Load() - before
			if tc.status == 200 {
				if body != tc.body || ran != 1 {
					t.Errorf("body %q (want %q), %d handlers ran", body, tc.body, ran)
				}
				return
			}
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

	// A handler's error still reaches Echo's error handler.
	res, body := get(t, srv.URL+"/teapot", alice)
	if res.StatusCode != http.StatusTeapot || body != "teapot" {
		t.Errorf("teapot: %d %q", res.StatusCode, body)
	}
}

func TestEchoKeysUnavailable(t *testing.T) {
	iss, srv, after, _ := setup(t)
	iss.SetJWKSStatus(http.StatusBadGateway)
	res, body := get(t, srv.URL+"/me", iss.AccessToken())
	if res.StatusCode != 503 || res.Header.Get("Retry-After") != "5" || after.Load() != 0 {
		t.Errorf("%d Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

func TestEchoConcurrent(t *testing.T) {
	iss, srv, _, _ := setup(t)
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

func TestEchoPanicsOnBadRequirement(t *testing.T) {
	auth, err := httpauth.New(stringVerifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for Group on claims without InGroup")
		}
	}()
	echoauth.Require(auth, httpauth.Group("a"))
}

type stringVerifier struct{}

func (stringVerifier) Verify(context.Context, string) (string, error) { return "x", nil }
