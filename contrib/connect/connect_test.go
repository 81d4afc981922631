package connectauth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	connectauth "github.com/cognitojwt/cognitojwt/contrib/connect"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// jsonCodec lets the tests use plain Go structs as messages, so that no
// generated code is needed; it replaces connect-go's own "json" codec.
type jsonCodec struct{}

func (jsonCodec) Name() string                    { return "json" }
func (jsonCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

type msg struct{ Text string }

func who(ctx context.Context) string {
	c, ok := httpauth.ClaimsFrom[*cognitojwt.Claims](ctx)
	if !ok {
		return "anonymous"
	}
	return c.Username
}

const (
	getProc  = "/test.v1.Orders/Get"
	chatProc = "/test.v1.Orders/Chat"
)

type env struct {
	iss *cognitotest.Issuer
	srv *httptest.Server
	ran *atomic.Int64
}

// serve mounts a unary and a bidi Connect procedure behind httpauth's
// middleware, on an HTTP/2 TLS server on loopback (bidi needs HTTP/2).
func serve(t *testing.T, opts *httpauth.Options) env {
	t.Helper()
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpauth.New(v, opts)
	if err != nil {
		t.Fatal(err)
	}
	ran := new(atomic.Int64)
	codec := connect.WithCodec(jsonCodec{})
	mux := http.NewServeMux()
	mux.Handle(getProc, auth.Require(httpauth.Scope("orders/read"))(connect.NewUnaryHandler(getProc,
		func(ctx context.Context, req *connect.Request[msg]) (*connect.Response[msg], error) {
			ran.Add(1)
			return connect.NewResponse(&msg{Text: who(ctx)}), nil
		}, codec)))
	mux.Handle(chatProc, auth.Require()(connect.NewBidiStreamHandler(chatProc,
		func(ctx context.Context, st *connect.BidiStream[msg, msg]) error {
			ran.Add(1)
			for {
				if _, err := st.Receive(); errors.Is(err, io.EOF) {
					return nil
				} else if err != nil {
					return err
				}
				if err := st.Send(&msg{Text: who(ctx)}); err != nil {
					return err
				}
			}
		}, codec)))
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return env{iss: iss, srv: srv, ran: ran}
}

var protocols = map[string][]connect.ClientOption{
	"connect":  nil,
	"grpc":     {connect.WithGRPC()},
	"grpc-web": {connect.WithGRPCWeb()},
}

func unary(e env, proto []connect.ClientOption, token string) (*connect.Response[msg], error) {
	c := connect.NewClient[msg, msg](e.srv.Client(), e.srv.URL+getProc, append([]connect.ClientOption{connect.WithCodec(jsonCodec{})}, proto...)...)
	req := connect.NewRequest(&msg{})
	if token != "" {
		req.Header().Set("Authorization", "Bearer "+token)
	}
	return c.CallUnary(context.Background(), req)
}

// TestErrorHandler: with connectauth.ErrorHandler every protocol gets the
// right code and httpauth's fixed message; the handler never runs for a
// refused call.
func TestErrorHandler(t *testing.T) {
	e := serve(t, &httpauth.Options{ErrorHandler: connectauth.ErrorHandler()})
	alice := e.iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	bob := e.iss.AccessToken(cognitotest.TokenOptions{Username: "bob"})
	expired := e.iss.AccessToken(cognitotest.TokenOptions{Expired: true, Scopes: []string{"orders/read"}})
	for pname, proto := range protocols {
		t.Run(pname, func(t *testing.T) {
			for _, tc := range []struct {
				name, token string
				code        connect.Code
				msg         string
			}{
				{"admitted", alice, 0, ""},
				{"no token", "", connect.CodeUnauthenticated, "an access token is required"},
				{"expired", expired, connect.CodeUnauthenticated, "the access token expired"},
				{"malformed", "a b", connect.CodeUnauthenticated, "the request does not carry a well-formed bearer token"},
				{"no scope", bob, connect.CodePermissionDenied, "the access token lacks a required scope"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := e.ran.Load()
					res, err := unary(e, proto, tc.token)
					if tc.code == 0 {
						if err != nil || res.Msg.Text != "alice" {
							t.Fatalf("%v %+v", err, res)
						}
						return
					}
					if connect.CodeOf(err) != tc.code {
						t.Fatalf("code %v (%v), want %v", connect.CodeOf(err), err, tc.code)
					}
					var ce *connect.Error
					if !errors.As(err, &ce) || ce.Message() != tc.msg {
						t.Errorf("message %q, want %q", ce.Message(), tc.msg)
					}
					if tc.token != "" && len(tc.token) > 8 && strings.Contains(err.Error(), tc.token[:8]) {
						t.Error("the error echoes the token")
					}
					if www := ce.Meta().Get("WWW-Authenticate"); !strings.HasPrefix(www, `Bearer realm="api"`) {
						t.Errorf("WWW-Authenticate %q", www)
					}
					if e.ran.Load() != before {
						t.Error("handler ran")
					}
				})
			}
		})
	}
}

// TestAsIs: the bare middleware, with its problem+json refusals, already
// gives Connect clients the codes that matter: 401 Unauthenticated, 403
// PermissionDenied, 503 Unavailable.
func TestAsIs(t *testing.T) {
	e := serve(t, nil)
	alice := e.iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	bob := e.iss.AccessToken(cognitotest.TokenOptions{Username: "bob"})
	for pname, proto := range protocols {
		if _, err := unary(e, proto, alice); err != nil {
			t.Errorf("%s admitted: %v", pname, err)
		}
		if _, err := unary(e, proto, ""); connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Errorf("%s no token: %v", pname, err)
		}
		if _, err := unary(e, proto, bob); connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Errorf("%s no scope: %v", pname, err)
		}
	}
	e2 := serve(t, nil)
	e2.iss.SetJWKSStatus(502)
	if _, err := unary(e2, nil, e2.iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read"}})); connect.CodeOf(err) != connect.CodeUnavailable {
		t.Errorf("outage: %v", err)
	}
}

func TestKeysUnavailable(t *testing.T) {
	e := serve(t, &httpauth.Options{ErrorHandler: connectauth.ErrorHandler()})
	e.iss.SetJWKSStatus(502)
	tok := e.iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read"}})
	for pname, proto := range protocols {
		_, err := unary(e, proto, tok)
		var ce *connect.Error
		if connect.CodeOf(err) != connect.CodeUnavailable || !errors.As(err, &ce) || ce.Meta().Get("Retry-After") != "5" {
			t.Errorf("%s: %v", pname, err)
		}
	}
}

func TestBidi(t *testing.T) {
	e := serve(t, &httpauth.Options{ErrorHandler: connectauth.ErrorHandler()})
	root := e.iss.AccessToken(cognitotest.TokenOptions{Username: "root"})
	for pname, proto := range protocols {
		if pname == "grpc-web" {
			continue // gRPC-Web has no bidi streams
		}
		t.Run(pname, func(t *testing.T) {
			c := connect.NewClient[msg, msg](e.srv.Client(), e.srv.URL+chatProc, append([]connect.ClientOption{connect.WithCodec(jsonCodec{})}, proto...)...)
			st := c.CallBidiStream(context.Background())
			st.RequestHeader().Set("Authorization", "Bearer "+root)
			for range 2 {
				if err := st.Send(&msg{}); err != nil {
					t.Fatal(err)
				}
				m, err := st.Receive()
				if err != nil || m.Text != "root" {
					t.Fatalf("%v %+v", err, m)
				}
			}
			st.CloseRequest()
			st.CloseResponse()

			before := e.ran.Load()
			st = c.CallBidiStream(context.Background())
			_ = st.Send(&msg{})
			if _, err := st.Receive(); connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Errorf("no token: %v", err)
			}
			st.CloseRequest()
			st.CloseResponse()
			if e.ran.Load() != before {
				t.Error("handler ran for a refused stream")
			}
		})
	}
}

// A request that is not an RPC keeps httpauth's problem+json answer.
func TestNotRPC(t *testing.T) {
	e := serve(t, &httpauth.Options{ErrorHandler: connectauth.ErrorHandler()})
	req, _ := http.NewRequest("POST", e.srv.URL+getProc, strings.NewReader("x"))
	req.Header.Set("Content-Type", "text/plain")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestCode(t *testing.T) {
	for status, want := range map[int]connect.Code{
		400: connect.CodeUnauthenticated, 401: connect.CodeUnauthenticated,
		403: connect.CodePermissionDenied, 503: connect.CodeUnavailable, 0: connect.CodeUnauthenticated,
	} {
		if got := connectauth.Code(status); got != want {
			t.Errorf("Code(%d) = %v, want %v", status, got, want)
		}
	}
}
