package httpauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// downStore is a revocation store that cannot be reached.
type downStore struct{}

func (downStore) Check(context.Context, revocation.Token) error {
	return fmt.Errorf("%w: dial tcp 127.0.0.1:6379: connection refused", revocation.ErrUnavailable)
}

// A revoked token is a 401 invalid_token, a store outage a 503 with
// Retry-After; the token of another user still passes (the control).
func TestRevocationResponses(t *testing.T) {
	iss := cognitotest.NewIssuer(t)
	store := revocation.NewMemory(revocation.MemoryOptions{})
	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	bob := iss.AccessToken(cognitotest.TokenOptions{Username: "bob"})
	if err := store.Revoke(context.Background(), revocation.Entry{Kind: revocation.Username, Value: "alice", At: time.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		store  revocation.Checker
		token  string
		status int
		reason httpauth.Reason
	}{
		{"revoked", store, alice, 401, httpauth.ReasonRevoked},
		{"control", store, bob, 200, httpauth.ReasonOK},
		{"store down", downStore{}, bob, 503, httpauth.ReasonRevocationUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := cognitojwt.New(cognitojwt.Config{
				UserPoolID: iss.PoolID, Issuer: iss.IssuerURL(), TokenUse: cognitojwt.AccessToken,
				ClientIDs: []string{iss.ClientID}, Revocation: tc.store,
			})
			if err != nil {
				t.Fatal(err)
			}
			var got httpauth.Reason
			auth, err := httpauth.New(v, &httpauth.Options{Observe: func(_ *http.Request, e httpauth.Event) { got = e.Reason }})
			if err != nil {
				t.Fatal(err)
			}
			h := auth.Require()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || got != tc.reason {
				t.Fatalf("status %d reason %s, want %d %s", rec.Code, got, tc.status, tc.reason)
			}
			www, ra := rec.Header().Get("WWW-Authenticate"), rec.Header().Get("Retry-After")
			switch tc.status {
			case 401:
				if www != `Bearer realm="api", error="invalid_token", error_description="the access token was revoked"` {
					t.Fatalf("WWW-Authenticate = %q", www)
				}
			case 503:
				if ra == "" || www != "" {
					t.Fatalf("503 with Retry-After %q and WWW-Authenticate %q", ra, www)
				}
			}
		})
	}
}

// A logout handler: it revokes the refresh token at Cognito (the
// RevokeToken API, which stops new tokens of this sign-in) and records the
// caller's origin_jti, so that the access and ID tokens of the sign-in,
// which Cognito cannot recall, are refused at once by every verifier that
// shares the store (a revocation/redis store for a fleet).
func Example_logout() {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	store := revocation.NewMemory(revocation.MemoryOptions{})
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: iss.PoolID,
		Issuer:     iss.IssuerURL(),
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{iss.ClientID},
		Revocation: store,
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{Realm: "api"})
	if err != nil {
		log.Fatal(err)
	}
	// revokeRefreshToken stands for a call of Cognito's RevokeToken with
	// the refresh token the client sends (AWS SDK:
	// cognitoidentityprovider.RevokeToken{Token, ClientId}).
	revokeRefreshToken := func(ctx context.Context, r *http.Request) error { return nil }

	logout := func(w http.ResponseWriter, r *http.Request) {
		claims, _ := auth.Claims(r) // *cognitojwt.Claims
		if err := revokeRefreshToken(r.Context(), r); err != nil {
			http.Error(w, "sign-out failed", http.StatusBadGateway)
			return
		}
		e := revocation.Entry{Kind: revocation.OriginJTI, Value: claims.OriginJTI, At: time.Now()}
		if err := store.Revoke(r.Context(), e); err != nil {
			http.Error(w, "sign-out failed", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /logout", auth.Require()(http.HandlerFunc(logout)))
	mux.Handle("GET /me", auth.Require()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	token := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	do := func(method, path string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(strings.TrimSpace(fmt.Sprintln(method, path, res.StatusCode, res.Header.Get("WWW-Authenticate"))))
	}
	do("GET", "/me")
	do("POST", "/logout")
	do("GET", "/me")
	// Output:
	// GET /me 200
	// POST /logout 204
	// GET /me 401 Bearer realm="api", error="invalid_token", error_description="the access token was revoked"
}
