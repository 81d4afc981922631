package cognitojwt_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// exampleIssuer stands in for a Cognito user pool: a local issuer that
// serves its keys on loopback and mints tokens shaped like Cognito's.
func exampleIssuer() *cognitotest.Issuer {
	iss := cognitotest.NewUnstartedIssuer()
	iss.Signers = []crypto.Signer{testKey()}
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	return iss
}

// Verify an access token for one app client. With a real pool, drop
// Issuer and JWKSURL: both are derived from the pool id.
func Example() {
	iss := exampleIssuer()
	defer iss.Close()

	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(), // only for the local issuer
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{iss.ClientID},
	})
	if err != nil {
		log.Fatal(err)
	}
	token, _ := iss.MintAccess(cognitotest.TokenOptions{Username: "alice", Groups: []string{"admin"}})

	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Username, claims.TokenUse, claims.InGroup("admin"))
	// Output: alice access true
}

// ID tokens carry the app client in "aud" and the user's profile.
func ExampleVerifier_Verify_idToken() {
	iss := exampleIssuer()
	defer iss.Close()

	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		TokenUse:   cognitojwt.IDToken,
		ClientIDs:  []string{iss.ClientID},
	})
	if err != nil {
		log.Fatal(err)
	}
	token, _ := iss.MintID(cognitotest.TokenOptions{Username: "bob", Email: "bob@example.com"})
	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	email, _ := claims.Get("email")
	address, _ := email.AsString()
	fmt.Println(claims.Username, claims.ClientID == iss.ClientID, address)
	// Output: bob true bob@example.com
}

// A machine-to-machine (client credentials) token: no user, custom scopes.
func ExampleClaims_IsMachine() {
	iss := exampleIssuer()
	defer iss.Close()

	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{iss.ClientID},
		Scopes:     []string{"test-api/write"}, // required: any of these
	})
	if err != nil {
		log.Fatal(err)
	}
	token, _ := iss.MintM2M(cognitotest.TokenOptions{Scopes: []string{"test-api/write"}})
	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.IsMachine(), claims.Scopes)

	token, _ = iss.MintM2M(cognitotest.TokenOptions{Scopes: []string{"test-api/read"}})
	_, err = v.Verify(context.Background(), token)
	fmt.Println(errors.Is(err, cognitojwt.ErrMissingScope))
	// Output:
	// true [test-api/write]
	// true
}

// Custom claims, such as custom attributes or claims added by a
// pre-token-generation trigger, are decoded into your own type.
func ExampleClaims_Decode() {
	iss := exampleIssuer()
	defer iss.Close()

	v, _ := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(),
		TokenUse: cognitojwt.IDToken, ClientIDs: []string{iss.ClientID},
	})
	token, _ := iss.MintID(cognitotest.TokenOptions{Claims: map[string]any{
		"custom:tenant": "acme",
		"entitlements":  map[string]any{"seats": 25, "sso": true},
	}})
	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	var extra struct {
		Tenant       string `json:"custom:tenant"`
		Entitlements struct {
			Seats int  `json:"seats"`
			SSO   bool `json:"sso"`
		} `json:"entitlements"`
	}
	if err := claims.Decode(&extra); err != nil {
		log.Fatal(err)
	}
	fmt.Println(extra.Tenant, extra.Entitlements.Seats, extra.Entitlements.SSO)
	// Output: acme 25 true
}

// Several pools in one verifier: each token is held to its own pool's
// configuration.
func ExampleNewMulti() {
	customers, staff := exampleIssuer(), cognitotest.NewUnstartedIssuer()
	defer customers.Close()
	staff.PoolID, staff.ClientID, staff.Signers = "eu-west-1_Staff", "staff-app", []crypto.Signer{otherKey()}
	if err := staff.Start(); err != nil {
		log.Fatal(err)
	}
	defer staff.Close()

	v, err := cognitojwt.NewMulti([]cognitojwt.Config{
		{UserPoolID: customers.PoolID, Issuer: customers.IssuerURL(), TokenUse: cognitojwt.AccessToken, ClientIDs: []string{customers.ClientID}},
		{UserPoolID: staff.PoolID, Issuer: staff.IssuerURL(), TokenUse: cognitojwt.AccessToken, ClientIDs: []string{staff.ClientID}, Groups: []string{"support"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	a, _ := customers.MintAccess(cognitotest.TokenOptions{})
	b, _ := staff.MintAccess(cognitotest.TokenOptions{Groups: []string{"support"}})
	c, _ := staff.MintAccess(cognitotest.TokenOptions{})
	for _, token := range []string{a, b, c} {
		_, err := v.Verify(context.Background(), token)
		fmt.Println(err == nil, errors.Is(err, cognitojwt.ErrMissingGroup))
	}
	// Output:
	// true false
	// true false
	// false true
}

// Errors are values: match them with errors.Is to choose the response,
// and errors.As to learn which claim failed.
func ExampleValidationError() {
	iss := exampleIssuer()
	defer iss.Close()

	v, _ := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(),
		TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID},
	})
	token, _ := iss.MintID(cognitotest.TokenOptions{})
	_, err := v.Verify(context.Background(), token)

	var ve *cognitojwt.ValidationError
	switch {
	case errors.Is(err, cognitojwt.ErrKeysUnavailable):
		fmt.Println("503: keys unavailable")
	case errors.Is(err, cognitojwt.ErrMissingScope), errors.Is(err, cognitojwt.ErrMissingGroup):
		fmt.Println("403")
	case errors.As(err, &ve):
		fmt.Printf("401: %s is %s, want %s\n", ve.Claim, ve.Found, ve.Expected)
	}
	// Output: 401: token_use is "id", want "access"
}

// Testing a protected handler with cognitotest: no AWS account needed.
// In a real test, use cognitotest.NewIssuer(t), which closes itself.
func Example_testingAHandler() {
	iss := exampleIssuer()
	defer iss.Close()

	v, _ := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(),
		TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID},
	})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		claims, err := v.Verify(r.Context(), token)
		if !ok || err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "hello %s", claims.Username)
	})

	token, _ := iss.MintAccess(cognitotest.TokenOptions{Username: "carol"})
	for _, auth := range []string{"Bearer " + token, ""} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// 200 hello carol
	// 401 unauthorized
}

// A Check sees the protected header and the key that verified the token,
// as aws-jwt-verify's customJwtCheck does: here, RFC 9068 access tokens
// only ("typ" must be "at+jwt"; Cognito's own tokens have no "typ").
func ExampleClaims_Header() {
	iss := exampleIssuer()
	defer iss.Close()

	v, _ := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(),
		TokenUse: cognitojwt.AccessToken, ClientIDs: []string{iss.ClientID},
		Check: func(_ context.Context, c *cognitojwt.Claims) error {
			if typ := c.Header().Type; typ != "at+jwt" {
				return fmt.Errorf("typ must be at+jwt, not %q", typ)
			}
			if _, ok := c.Key().(*rsa.PublicKey); !ok {
				return errors.New("want an RSA key")
			}
			return nil
		},
	})
	typed, _ := iss.MintAccess(cognitotest.TokenOptions{Header: map[string]any{"typ": "at+jwt"}})
	_, err := v.Verify(context.Background(), typed)
	fmt.Println(err)

	plain, _ := iss.MintAccess(cognitotest.TokenOptions{})
	_, err = v.Verify(context.Background(), plain)
	fmt.Println(err)
	// Output:
	// <nil>
	// cognitojwt: token refused by check: typ must be at+jwt, not ""
}
