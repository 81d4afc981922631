package chiexample_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/go-chi/chi/v5"
)

// The routes of examples/api on chi: Group and With attach requirements
// to a set of routes or to one, and chi's URL parameters reach a Check.
func Example() {
	iss := cognitotest.NewUnstartedIssuer() // a local user pool, for the example
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{iss.ClientID},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}
	hello := func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.Claims(r)
		fmt.Fprintf(w, "hello %s", c.Username)
	}

	r := chi.NewRouter()
	r.Get("/api/public", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") })
	r.Group(func(r chi.Router) {
		r.Use(auth.Require()) // every route of the group needs a token
		r.Get("/api/me", hello)
		r.With(auth.Require(httpauth.Scope("orders/read"))).Get("/api/orders", hello)
		r.With(auth.Require(httpauth.Group("admin"))).Get("/api/admin/stats", hello)
		r.With(auth.Require(httpauth.Check(func(r *http.Request, c *cognitojwt.Claims) bool {
			return chi.URLParam(r, "user") == c.Username
		}))).Get("/api/users/{user}", hello)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	for _, c := range []struct{ path, token string }{
		{"/api/public", ""},
		{"/api/me", ""},
		{"/api/me", alice},
		{"/api/orders", alice},
		{"/api/admin/stats", alice},
		{"/api/users/alice", alice},
		{"/api/users/bob", alice},
	} {
		req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 200 {
			fmt.Println(c.path, res.StatusCode, string(body))
		} else {
			fmt.Println(c.path, res.StatusCode, res.Header.Get("WWW-Authenticate"))
		}
	}
	// Output:
	// /api/public 200 public
	// /api/me 401 Bearer realm="api"
	// /api/me 200 hello alice
	// /api/orders 200 hello alice
	// /api/admin/stats 403 Bearer realm="api", error="insufficient_scope", error_description="the user is not in a required group"
	// /api/users/alice 200 hello alice
	// /api/users/bob 403 Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant access to this resource"
}
