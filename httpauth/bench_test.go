package httpauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// fixed is a verifier that accepts every token at no cost, so that the
// benchmarks measure the middleware alone.
type fixed struct{ c *claims }

func (f fixed) Verify(context.Context, string) (*claims, error) { return f.c, nil }

// nopWriter is a ResponseWriter that keeps nothing.
type nopWriter struct{ h http.Header }

func (w nopWriter) Header() http.Header         { return w.h }
func (w nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w nopWriter) WriteHeader(int)             {}

// benchmark serves one admitted request per iteration through mw, whose
// handler reads the claims. The allocations on this path are the
// request's new context (context.WithValue) and its shallow copy
// (Request.WithContext).
func benchmark(b *testing.B, a *httpauth.Auth[*claims], mw func(http.Handler) http.Handler, r *http.Request) {
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.Claims(r); !ok {
			b.Fatal("no claims")
		}
	}))
	w := nopWriter{http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// shortToken is a small JWT; a Cognito access token is about 1 KB, and the
// b64token check reads every byte of it.
const shortToken = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJhbGljZSIsInNjb3BlIjoib3JkZXJzL3JlYWQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJl"

func benchRequest(token string) *http.Request {
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench")
	return r
}

// BenchmarkMiddleware is the middleware's own cost per admitted request,
// with the verifier stubbed out: find and check the Bearer token, call
// the verifier, put the claims in the context, call the handler.
func BenchmarkMiddleware(b *testing.B) {
	a, err := httpauth.New(fixed{&claims{Subject: "alice", Scopes: []string{"orders/read"}, Groups: []string{"users"}}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	iss := cognitotest.NewIssuer(b, testKey())
	cognitoToken := iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read", "orders/write"}, Groups: []string{"users"}})
	for _, tok := range []struct{ name, token string }{{"short token", shortToken}, {"cognito token", cognitoToken}} {
		r := benchRequest(tok.token)
		b.Run("require/"+tok.name, func(b *testing.B) { benchmark(b, a, a.Require(), r) })
		b.Run("scope+group/"+tok.name, func(b *testing.B) {
			benchmark(b, a, a.Require(httpauth.Scope("orders/read"), httpauth.Group("users")), r)
		})
	}
	b.Run("optional", func(b *testing.B) { benchmark(b, a, a.Optional(), benchRequest(cognitoToken)) })
	b.Run("four sources", func(b *testing.B) {
		a, err := httpauth.New(fixed{&claims{Subject: "alice"}}, &httpauth.Options{Sources: []httpauth.Source{
			httpauth.Bearer(), httpauth.Header("accesstoken"), httpauth.Cookie("id_token"), httpauth.ALBAccessToken(),
		}})
		if err != nil {
			b.Fatal(err)
		}
		r := benchRequest(cognitoToken)
		r.Header.Set("Cookie", "theme=dark; lang=en")
		benchmark(b, a, a.Require(), r)
	})
	b.Logf("cognito token: %d bytes", len(cognitoToken))
}

// BenchmarkMiddlewareCognito is the whole path with the real Cognito
// verifier, for a token it has verified before (its cache skips the
// signature; exp, nbf and every rule still run), for comparison.
func BenchmarkMiddlewareCognito(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	v, err := cognitojwt.New(configFor(iss, cognitojwt.AccessToken))
	if err != nil {
		b.Fatal(err)
	}
	a, err := httpauth.New(v, nil)
	if err != nil {
		b.Fatal(err)
	}
	h := a.Require(httpauth.Scope("orders/read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read"}}))
	w := nopWriter{http.Header{}}
	h.ServeHTTP(w, r) // fetch the keys, fill the cache
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
