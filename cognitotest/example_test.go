package cognitotest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// requireToken is the application's middleware under test: it verifies
// the bearer token and answers 401 without a valid one.
func requireToken(v *cognitojwt.Verifier, next func(http.ResponseWriter, *http.Request, *cognitojwt.Claims)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		claims, err := v.Verify(r.Context(), token)
		if errors.Is(err, cognitojwt.ErrKeysUnavailable) {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next(w, r, claims)
	})
}

// call sends a GET with an optional bearer token to h and returns the
// status and body.
func call(h http.Handler, token string) (int, string) {
	req := httptest.NewRequest("GET", "/orders", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

// A test of a protected handler, with no AWS account: the issuer serves
// a Cognito-shaped key set on a loopback port, the verifier is configured
// to trust it, and the handler is called with minted tokens.
//
// In a test function, cognitotest.NewIssuer(t) does the first three lines
// and closes the issuer when the test ends; iss.AccessToken() then
// reports errors with t.Fatal.
func Example() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		log.Fatal(err)
	}
	api := requireToken(v, func(w http.ResponseWriter, r *http.Request, c *cognitojwt.Claims) {
		fmt.Fprintf(w, "orders of %s", c.Username)
	})

	token, err := iss.MintAccess(cognitotest.TokenOptions{Username: "alice"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(call(api, token))
	fmt.Println(call(api, ""))

	expired, _ := iss.MintAccess(cognitotest.TokenOptions{Username: "alice", Expired: true})
	fmt.Println(call(api, expired))

	idToken, _ := iss.MintID(cognitotest.TokenOptions{Username: "alice"})
	fmt.Println(call(api, idToken)) // an ID token is not an access token
	// Output:
	// 200 orders of alice
	// 401 unauthorized
	// 401 unauthorized
	// 401 unauthorized
}

// Groups, scopes and custom attributes (or claims a pre-token-generation
// trigger adds) go into the token as Cognito writes them, and come back
// typed from the verifier.
func ExampleIssuer_MintAccess() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	cfg := iss.Config(cognitojwt.AccessToken)
	cfg.Groups = []string{"admin"}
	v, err := cognitojwt.New(cfg)
	if err != nil {
		log.Fatal(err)
	}

	token, err := iss.MintAccess(cognitotest.TokenOptions{
		Username: "bob",
		Groups:   []string{"admin", "billing"},
		Scopes:   []string{"openid", "orders/read"},
		Claims:   map[string]any{"custom:tenant": "acme", "custom:seats": 12},
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	var custom struct {
		Tenant string `json:"custom:tenant"`
		Seats  int    `json:"custom:seats"`
	}
	if err := c.Decode(&custom); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Username, c.Groups, c.HasScope("orders/read"), custom.Tenant, custom.Seats)

	// A user outside the group is refused.
	token, _ = iss.MintAccess(cognitotest.TokenOptions{Username: "carol"})
	_, err = v.Verify(context.Background(), token)
	fmt.Println(errors.Is(err, cognitojwt.ErrMissingGroup))
	// Output:
	// bob [admin billing] true acme 12
	// true
}

// A machine-to-machine token, as the client-credentials grant returns:
// the subject is the app client, there is no user, and only custom scopes.
func ExampleIssuer_MintM2M() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	cfg := iss.Config(cognitojwt.AccessToken)
	cfg.Scopes = []string{"test-api/write"}
	v, err := cognitojwt.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	token, err := iss.MintM2M(cognitotest.TokenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.IsMachine(), c.Subject == c.ClientID, c.Username == "", c.Scopes)
	// Output: true true true [test-api/read test-api/write]
}

// The unstarted form, for the `cognitojwt issuer` command or a local
// development server: a fixed pool and client, keys kept in a directory
// so that tokens survive restarts, served on an address of your own.
func ExampleNewUnstartedIssuer() {
	iss := cognitotest.NewUnstartedIssuer()
	iss.PoolID = "eu-west-1_LocalDev1"
	iss.ClientID = "localdevclient"
	iss.ClientSecret = "dev-secret"
	iss.URL = "http://localhost:9229" // where clients reach it
	// With a --keys DIR flag:
	//	signers, err := cognitotest.LoadKeys(dir)
	//	switch {
	//	case err == nil:
	//		iss.Signers = signers
	//	case errors.Is(err, fs.ErrNotExist):
	//		// first run: generate below, then iss.SaveKeys(dir)
	//	default:
	//		log.Fatal(err)
	//	}
	h, err := iss.Handler()
	if err != nil {
		log.Fatal(err)
	}
	_ = h // http.ListenAndServe("localhost:9229", h)
	fmt.Println(iss.IssuerURL())
	fmt.Println(iss.JWKSURL())
	fmt.Println(iss.TokenURL())
	// Output:
	// http://localhost:9229/eu-west-1_LocalDev1
	// http://localhost:9229/eu-west-1_LocalDev1/.well-known/jwks.json
	// http://localhost:9229/oauth2/token
}
