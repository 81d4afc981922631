package main

import (
	"bufio"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/cognitojwt/cognitojwt/internal/pastetest"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

func request(t *testing.T, method, url, token, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
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
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// Every route with the tokens that pass it and those that do not.
func TestRoutes(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(), JWKSURL: iss.JWKSURL(),
		TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{Realm: "orders-api"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newAPI(auth).routes())
	defer srv.Close()

	reader := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{ScopeRead}})
	writer := iss.AccessToken(cognitotest.TokenOptions{Username: "bob", Scopes: []string{ScopeWrite}})
	admin := iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{GroupAdmin}})
	m2m := iss.M2MToken(cognitotest.TokenOptions{Scopes: []string{ScopeWrite}})
	id := iss.IDToken(cognitotest.TokenOptions{Username: "alice"})
	const order = `{"item":"coffee","quantity":2}`

	for _, tc := range []struct {
		method, path, token, body string
		status                    int
		want                      string // in the body, or the challenge's error
	}{
		{"GET", "/health", "", "", 200, "ok"},
		{"GET", "/api/public", "", "", 200, "public endpoint"},
		{"GET", "/api/me", "", "", 401, ""},
		{"GET", "/api/me", reader, "", 200, `"username":"alice"`},
		{"GET", "/api/me", m2m, "", 200, `"machine":true`},
		{"GET", "/api/me", id, "", 401, `error="invalid_token"`},
		{"GET", "/api/orders", reader, "", 200, `[]`},
		{"GET", "/api/orders", writer, "", 403, `scope="orders/read"`},
		{"POST", "/api/orders", writer, order, 201, `"by":"bob"`},
		{"POST", "/api/orders", m2m, order, 201, `"by":"client ` + iss.ClientID + `"`},
		{"POST", "/api/orders", writer, `{}`, 400, `want`},
		{"POST", "/api/orders", reader, order, 403, `scope="orders/write"`},
		{"GET", "/api/orders", reader, "", 200, `"item":"coffee"`},
		{"GET", "/api/admin/stats", reader, "", 403, `error="insufficient_scope"`},
		{"GET", "/api/admin/stats", admin, "", 200, `{"orders":2}`},
	} {
		status, h, body := request(t, tc.method, srv.URL+tc.path, tc.token, tc.body)
		if status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, status, tc.status, body)
			continue
		}
		if status == 401 && tc.want == "" {
			if got := h.Get("WWW-Authenticate"); got != `Bearer realm="orders-api"` {
				t.Errorf("%s %s: WWW-Authenticate %q", tc.method, tc.path, got)
			}
			continue
		}
		if !strings.Contains(body+h.Get("WWW-Authenticate"), tc.want) {
			t.Errorf("%s %s: %q does not contain %q", tc.method, tc.path, body+h.Get("WWW-Authenticate"), tc.want)
		}
	}
}

// What "Done" asks: go run ./examples/api -dev serves, a curl with the
// printed token gets 200 and one without gets 401 with the challenge.
func TestDev(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-dev", "-addr", "127.0.0.1:0"}, w, io.Discard, func(string) string { return "" })
		w.Close()
	}()

	var printed strings.Builder
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "client_credentials") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	text := printed.String()
	base := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(text)
	token := regexp.MustCompile(`export TOKEN='([^']+)'`).FindStringSubmatch(text)
	admin := regexp.MustCompile(`export ADMIN_TOKEN='([^']+)'`).FindStringSubmatch(text)
	tokenURL := regexp.MustCompile(`client_id=(\S+) (http://\S+/oauth2/token)`).FindStringSubmatch(text)
	if base == nil || token == nil || admin == nil || tokenURL == nil {
		t.Fatalf("printed:\n%s", text)
	}
	for _, want := range []string{`curl -i -H "Authorization: Bearer $TOKEN" ` + base[1] + "/api/me", "curl -i " + base[1] + "/api/me"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in:\n%s", want, text)
		}
	}

	// The printed lines, run as printed in bash, zsh and fish: each curl
	// answers the status its comment promises.
	_, block, _ := strings.Cut(text, "fish):\n")
	if got := pastetest.Promised(block); len(got) != 7 || got[1] != 401 || got[4] != 403 {
		t.Errorf("the banner promises %v", got)
	}
	pastetest.Check(t, strings.TrimSpace(block))

	status, _, body := request(t, "GET", base[1]+"/api/me", token[1], "")
	if status != 200 || !strings.Contains(body, `"username":"alice"`) {
		t.Errorf("with the token: %d %s", status, body)
	}
	status, h, _ := request(t, "GET", base[1]+"/api/me", "", "")
	if status != 401 || h.Get("WWW-Authenticate") != `Bearer realm="orders-api"` {
		t.Errorf("without a token: %d %q", status, h.Get("WWW-Authenticate"))
	}
	if status, _, body := request(t, "GET", base[1]+"/api/admin/stats", admin[1], ""); status != 200 {
		t.Errorf("admin: %d %s", status, body)
	}

	// The printed token endpoint mints an M2M token that the API takes.
	res, err := http.PostForm(tokenURL[2], map[string][]string{"grant_type": {"client_credentials"}, "client_id": {tokenURL[1]}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := request(t, "POST", base[1]+"/api/orders", tok.AccessToken, `{"item":"tea","quantity":1}`); status != 201 {
		t.Errorf("m2m order: %d %s", status, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunRefuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "COGNITO_USER_POOL_ID"},
		{nil, map[string]string{"COGNITO_USER_POOL_ID": "us-east-1_AbC"}, "COGNITO_CLIENT_ID"},
		{nil, map[string]string{"COGNITO_USER_POOL_ID": "not a pool", "COGNITO_CLIENT_ID": "x"}, "invalid user pool id"},
		{[]string{"-nope"}, nil, "not defined"},
		{[]string{"extra"}, nil, "unexpected arguments"},
	} {
		err := run(ctx, tc.args, io.Discard, io.Discard, func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q, %v) = %v, want an error about %s", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	var stderr strings.Builder
	err := run(context.Background(), []string{"-h"}, io.Discard, &stderr, func(string) string { return "" })
	if exitCode(err) != 0 || !strings.Contains(stderr.String(), "-dev") {
		t.Errorf("-h: %v (exit %d) %s", err, exitCode(err), stderr.String())
	}
	if err := run(context.Background(), []string{"-nope"}, io.Discard, io.Discard, func(string) string { return "" }); exitCode(err) != 1 {
		t.Errorf("bad flag: %v", err)
	}
}
