package httpauth_test

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// get sends a GET with an optional bearer token and prints the status, the
// challenge when there is one, and the body.
func get(url, token string) {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if www := res.Header.Get("WWW-Authenticate"); www != "" {
		fmt.Println(res.StatusCode, www)
	} else {
		fmt.Println(res.StatusCode)
	}
	if res.StatusCode == 200 {
		fmt.Println("  ", strings.TrimSpace(string(body)))
	}
}

// Protecting the routes of an http.ServeMux: a public route, one for any
// valid access token, one that needs a scope and one that needs a group.
// A local Cognito issuer (package cognitotest) stands in for the user
// pool.
func Example() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,      // in production, this and ClientIDs are all you set
		Issuer:     iss.IssuerURL(), // the local issuer instead of Cognito's
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{iss.ClientID},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{Realm: "orders"})
	if err != nil {
		log.Fatal(err)
	}

	hello := func(w http.ResponseWriter, r *http.Request) {
		claims, _ := auth.Claims(r) // *cognitojwt.Claims
		fmt.Fprintf(w, "hello %s\n", claims.Username)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.Handle("GET /me", auth.Require()(http.HandlerFunc(hello)))
	mux.Handle("GET /orders", auth.Require(httpauth.Scope("orders/read"))(http.HandlerFunc(hello)))
	mux.Handle("GET /admin", auth.Require(httpauth.Group("admin"))(http.HandlerFunc(hello)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	get(srv.URL+"/health", "")
	get(srv.URL+"/me", "")
	get(srv.URL+"/me", alice)
	get(srv.URL+"/orders", alice)
	get(srv.URL+"/admin", alice)
	get(srv.URL+"/me", alice[:len(alice)-4]+"AAAA")
	// Output:
	// 200
	//    ok
	// 401 Bearer realm="orders"
	// 200
	//    hello alice
	// 200
	//    hello alice
	// 403 Bearer realm="orders", error="insufficient_scope", error_description="the user is not in a required group"
	// 401 Bearer realm="orders", error="invalid_token", error_description="the access token signature is invalid"
}

// Optional admits a request without a token as anonymous, and still
// refuses a bad token, so that a client learns it must sign in again.
func ExampleAuth_Optional() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(),
		TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}

	feed := auth.Optional()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := auth.Claims(r); ok {
			fmt.Fprintf(w, "the feed of %s\n", c.Username)
			return
		}
		fmt.Fprintln(w, "the public feed")
	}))
	srv := httptest.NewServer(feed)
	defer srv.Close()

	get(srv.URL, "")
	get(srv.URL, iss.AccessToken(cognitotest.TokenOptions{Username: "bob"}))
	get(srv.URL, iss.AccessToken(cognitotest.TokenOptions{Expired: true}))
	// Output:
	// 200
	//    the public feed
	// 200
	//    the feed of bob
	// 401 Bearer realm="api", error="invalid_token", error_description="the access token expired"
}

// Check requires a rule of your own, here that the tenant in the path is
// the token's "custom:tenant" claim. Requirements compose with the
// ServeMux's path wildcards.
func ExampleCheck() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(),
		TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}

	sameTenant := httpauth.Check(func(r *http.Request, c *cognitojwt.Claims) bool {
		var custom struct {
			Tenant string `json:"custom:tenant"`
		}
		return c.Decode(&custom) == nil && custom.Tenant == r.PathValue("tenant")
	})
	mux := http.NewServeMux()
	mux.Handle("GET /tenants/{tenant}/invoices", auth.Require(sameTenant)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "invoices of %s\n", r.PathValue("tenant"))
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tok := iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"custom:tenant": "acme"}})
	get(srv.URL+"/tenants/acme/invoices", tok)
	get(srv.URL+"/tenants/globex/invoices", tok)
	// Output:
	// 200
	//    invoices of acme
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant access to this resource"
}

// Options: tokens from a cookie or cognito-express's "accesstoken" header
// as well as Authorization, refusals logged with their reason (never the
// token), and a plain-text body instead of problem+json.
func ExampleOptions() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(),
		TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID},
	})
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // for a stable example output
			}
			return a
		},
	}))
	auth, err := httpauth.New(v, &httpauth.Options{
		Sources: []httpauth.Source{httpauth.Bearer(), httpauth.Cookie("access_token"), httpauth.Header("accesstoken")},
		Logger:  logger,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *httpauth.Error) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(e.Status)
			fmt.Fprintln(w, e.Reason.Description())
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /me", auth.Require()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.Claims(r)
		fmt.Fprintln(w, c.Username)
	})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tok := iss.AccessToken()
	for _, h := range []http.Header{
		{"Cookie": {"access_token=" + tok}},
		{"Accesstoken": {tok}},
		{"Cookie": {"access_token=" + tok}, "Accesstoken": {tok}},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
		req.Header = h
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Print(res.StatusCode, " ", string(body))
	}
	// Output:
	// 200 testuser
	// 200 testuser
	// level=INFO msg="httpauth: request refused" status=400 reason=multiple_tokens route="GET /me"
	// 400 the request carries more than one access token
}
