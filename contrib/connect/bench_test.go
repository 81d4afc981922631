package connectauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	connectauth "github.com/cognitojwt/cognitojwt/contrib/connect"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// BenchmarkUnary is one Connect-protocol unary call served in process
// (ServeHTTP into a recorder, no network): "bare" is the Connect handler
// alone, "require" the same handler behind httpauth's middleware with a
// real verifier and a repeat token.
func BenchmarkUnary(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		b.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{ErrorHandler: connectauth.ErrorHandler()})
	if err != nil {
		b.Fatal(err)
	}
	tok := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	h := connect.NewUnaryHandler(getProc, func(ctx context.Context, req *connect.Request[msg]) (*connect.Response[msg], error) {
		return connect.NewResponse(&msg{Text: "ok"}), nil
	}, connect.WithCodec(jsonCodec{}))
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", h},
		{"require", auth.Require()(h)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", getProc, strings.NewReader(`{"Text":"x"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
