package ginauth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	ginauth "github.com/cognitojwt/cognitojwt/contrib/gin"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/gin-gonic/gin"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// setup serves a gin engine whose routes need nothing, a token, a scope,
// a group, and (for a route group) a token via Use; after counts the
// handlers that ran after the middleware.
func setup(t *testing.T) (*cognitotest.Issuer, *httptest.Server, *atomic.Int64) {
	gin.SetMode(gin.TestMode)
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
	hello := func(c *gin.Context) {
		after.Add(1)
		claims, ok := ginauth.Claims[*cognitojwt.Claims](c)
		if !ok {
			c.String(200, "anonymous")
			return
		}
		c.String(200, "hello "+claims.Username)
	}
	r := gin.New()
	r.GET("/public", hello)
	r.GET("/me", ginauth.Require(auth), hello)
	r.GET("/orders", ginauth.Require(auth, httpauth.Scope("orders/read")), hello)
	r.GET("/admin", ginauth.Require(auth, httpauth.Group("admin")), hello)
	r.GET("/feed", ginauth.Optional(auth), hello)
	api := r.Group("/api", ginauth.Require(auth))
	api.GET("/items/:id", func(c *gin.Context) {
		after.Add(1)
		claims, _ := ginauth.Claims[*cognitojwt.Claims](c)
		c.JSON(200, gin.H{"id": c.Param("id"), "user": claims.Username})
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return iss, srv, after
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

func TestGin(t *testing.T) {
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

// The keys are unavailable: 503 with Retry-After through gin too.
func TestGinKeysUnavailable(t *testing.T) {
	iss, srv, after := setup(t)
	iss.SetJWKSStatus(http.StatusBadGateway)
	res, body := get(t, srv.URL+"/me", iss.AccessToken())
	if res.StatusCode != 503 || res.Header.Get("Retry-After") != "5" || after.Load() != 0 {
		t.Errorf("%d Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

func TestGinConcurrent(t *testing.T) {
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

func TestGinPanicsOnBadRequirement(t *testing.T) {
	auth, err := httpauth.New(stringVerifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for Scope on claims without HasScope")
		}
	}()
	ginauth.Require(auth, httpauth.Scope("a"))
}

type stringVerifier struct{}

func (stringVerifier) Verify(_ context.Context, _ string) (string, error) { return "x", nil }
