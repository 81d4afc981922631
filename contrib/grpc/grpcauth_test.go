package grpcauth_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	grpcauth "github.com/cognitojwt/cognitojwt/contrib/grpc"
	"github.com/cognitojwt/cognitojwt/httpauth"
	mwauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type atomicCounter = atomic.Int64

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := cognitotest.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// testService answers UnaryCall and FullDuplexCall with the caller's
// username ("anonymous" without claims) as the payload; ran counts the
// handler calls.
type testService struct {
	testpb.UnimplementedTestServiceServer
	ran *atomicCounter
}

func who(ctx context.Context) string {
	c, ok := grpcauth.Claims[*cognitojwt.Claims](ctx)
	if !ok {
		return "anonymous"
	}
	return c.Username
}

func (s testService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	s.ran.Add(1)
	return &testpb.SimpleResponse{Username: who(ctx)}, nil
}

func (s testService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	s.ran.Add(1)
	return &testpb.Empty{}, nil
}

func (s testService) FullDuplexCall(st testpb.TestService_FullDuplexCallServer) error {
	s.ran.Add(1)
	for {
		if _, err := st.Recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := st.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: []byte(who(st.Context()))}}); err != nil {
			return err
		}
	}
}

type env struct {
	iss  *cognitotest.Issuer
	conn *grpc.ClientConn
	ran  *atomicCounter
}

// serve starts a real grpc-go server on 127.0.0.1 with the test service
// and the health service behind auth, and a client connected to it.
func serve(t testing.TB, opts *grpcauth.Options[*cognitojwt.Claims]) env {
	t.Helper()
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := grpcauth.New(v, opts)
	if err != nil {
		t.Fatal(err)
	}
	return serveAuth(t, iss, auth)
}

func serveAuth(t testing.TB, iss *cognitotest.Issuer, auth *grpcauth.Auth[*cognitojwt.Claims]) env {
	t.Helper()
	ran := new(atomicCounter)
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(auth.UnaryServerInterceptor()),
		grpc.StreamInterceptor(auth.StreamServerInterceptor()),
	)
	testpb.RegisterTestServiceServer(srv, testService{ran: ran})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return env{iss: iss, conn: conn, ran: ran}
}

func withAuth(ctx context.Context, values ...string) context.Context {
	for _, v := range values {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v)
	}
	return ctx
}

var policies = &grpcauth.Options[*cognitojwt.Claims]{
	Methods: map[string]grpcauth.Policy{
		"/grpc.testing.TestService/":               {Require: []httpauth.Requirement{httpauth.Scope("orders/read")}},
		"/grpc.testing.TestService/EmptyCall":      {Anonymous: true},
		"/grpc.testing.TestService/FullDuplexCall": {Require: []httpauth.Requirement{httpauth.Group("admin")}},
	},
}

func TestUnary(t *testing.T) {
	e := serve(t, policies)
	alice := e.iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	root := e.iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})
	expired := e.iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}, Expired: true})
	client := testpb.NewTestServiceClient(e.conn)

	for _, tc := range []struct {
		name string
		auth []string
		code codes.Code
		msg  string
	}{
		{"token with scope", []string{"Bearer " + alice}, codes.OK, ""},
		{"lower-case scheme", []string{"bearer " + alice}, codes.OK, ""},
		{"upper-case scheme", []string{"BEARER " + alice}, codes.OK, ""},
		{"no token", nil, codes.Unauthenticated, "an access token is required"},
		{"expired", []string{"Bearer " + expired}, codes.Unauthenticated, "the access token expired"},
		{"no scope", []string{"Bearer " + root}, codes.PermissionDenied, "the access token lacks a required scope"},
		{"two values", []string{"Bearer " + alice, "Bearer " + alice}, codes.Unauthenticated, "the request carries more than one access token"},
		{"basic", []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, codes.Unauthenticated, "the request does not carry a well-formed bearer token"},
		{"no scheme", []string{alice}, codes.Unauthenticated, "the request does not carry a well-formed bearer token"},
		{"garbage token", []string{"Bearer not-a-jwt"}, codes.Unauthenticated, "the access token is not a well-formed JWT"},
		{"huge", []string{"Bearer " + strings.Repeat("a", 20000)}, codes.Unauthenticated, "the access token is too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.ran.Load()
			res, err := client.UnaryCall(withAuth(t.Context(), tc.auth...), &testpb.SimpleRequest{})
			st := status.Convert(err)
			if st.Code() != tc.code {
				t.Fatalf("code %v (%q), want %v", st.Code(), st.Message(), tc.code)
			}
			ran := e.ran.Load() - before
			if tc.code == codes.OK {
				if res.GetUsername() != "alice" || ran != 1 {
					t.Errorf("username %q, %d handlers ran", res.GetUsername(), ran)
				}
				return
			}
			if ran != 0 {
				t.Errorf("handler ran for a refused call")
			}
			if st.Message() != tc.msg {
				t.Errorf("message %q, want %q", st.Message(), tc.msg)
			}
			for _, v := range tc.auth {
				if tok := strings.TrimPrefix(v, "Bearer "); len(tok) > 8 && strings.Contains(st.Message(), tok[:8]) {
					t.Errorf("message echoes the token: %q", st.Message())
				}
			}
		})
	}
}

func TestAnonymousAndHealth(t *testing.T) {
	e := serve(t, policies)
	expired := e.iss.AccessToken(cognitotest.TokenOptions{Expired: true})
	client := testpb.NewTestServiceClient(e.conn)
	hc := healthpb.NewHealthClient(e.conn)

	// An anonymous method admits no token, and still refuses a bad one.
	if _, err := client.EmptyCall(t.Context(), &testpb.Empty{}); err != nil {
		t.Errorf("anonymous method without a token: %v", err)
	}
	if _, err := client.EmptyCall(withAuth(t.Context(), "Bearer "+expired), &testpb.Empty{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("anonymous method with an expired token: %v", err)
	}
	// Health is anonymous by default.
	if _, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health without a token: %v", err)
	}

	// Naming the health service in Methods protects it.
	e2 := serve(t, &grpcauth.Options[*cognitojwt.Claims]{Methods: map[string]grpcauth.Policy{grpcauth.HealthService: {}}})
	hc2 := healthpb.NewHealthClient(e2.conn)
	if _, err := hc2.Check(t.Context(), &healthpb.HealthCheckRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("protected health without a token: %v", err)
	}
	tok := e2.iss.AccessToken()
	if _, err := hc2.Check(withAuth(t.Context(), "Bearer "+tok), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("protected health with a token: %v", err)
	}
	// Default: every other method needs a token.
	if _, err := testpb.NewTestServiceClient(e2.conn).EmptyCall(t.Context(), &testpb.Empty{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("default policy without a token: %v", err)
	}
}

func TestBidiStream(t *testing.T) {
	e := serve(t, policies)
	root := e.iss.AccessToken(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}})
	alice := e.iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	client := testpb.NewTestServiceClient(e.conn)

	// Admitted: the handler's stream context carries the claims.
	st, err := client.FullDuplexCall(withAuth(t.Context(), "Bearer "+root))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := st.Send(&testpb.StreamingOutputCallRequest{}); err != nil {
			t.Fatal(err)
		}
		res, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if string(res.GetPayload().GetBody()) != "root" {
			t.Errorf("stream payload %q", res.GetPayload().GetBody())
		}
	}
	st.CloseSend()
	if _, err := st.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("end of stream: %v", err)
	}

	// Refused before the handler runs: no group, no token, expired key set.
	for name, ctx := range map[string]context.Context{
		"no group": withAuth(t.Context(), "Bearer "+alice),
		"no token": t.Context(),
	} {
		before := e.ran.Load()
		st, err := client.FullDuplexCall(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Recv()
		want := map[string]codes.Code{"no group": codes.PermissionDenied, "no token": codes.Unauthenticated}[name]
		if status.Code(err) != want {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if e.ran.Load() != before {
			t.Errorf("%s: handler ran", name)
		}
	}
}

// A key outage is Unavailable, never Unauthenticated, on unary calls and
// streams alike.
func TestKeysUnavailable(t *testing.T) {
	e := serve(t, policies)
	e.iss.SetJWKSStatus(502)
	alice := e.iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	client := testpb.NewTestServiceClient(e.conn)
	_, err := client.UnaryCall(withAuth(t.Context(), "Bearer "+alice), &testpb.SimpleRequest{})
	if st := status.Convert(err); st.Code() != codes.Unavailable || st.Message() != httpauth.ReasonKeysUnavailable.Description() {
		t.Errorf("unary: %v", err)
	}
	st, err := client.FullDuplexCall(withAuth(t.Context(), "Bearer "+alice))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("stream: %v", err)
	}
	// Control: the keys come back, the same call passes.
	e.iss.SetJWKSStatus(200)
	if _, err := client.UnaryCall(withAuth(t.Context(), "Bearer "+alice), &testpb.SimpleRequest{}); err != nil {
		t.Logf("first call after recovery (backoff may still hold): %v", err)
	}
}

func TestCheck(t *testing.T) {
	e := serve(t, &grpcauth.Options[*cognitojwt.Claims]{
		Check: func(ctx context.Context, method string, c *cognitojwt.Claims) bool {
			md, _ := metadata.FromIncomingContext(ctx)
			return method == "/grpc.testing.TestService/UnaryCall" && slicesEqual(md.Get("x-tenant"), []string{c.Username})
		},
	})
	alice := e.iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	client := testpb.NewTestServiceClient(e.conn)
	ctx := metadata.AppendToOutgoingContext(withAuth(t.Context(), "Bearer "+alice), "x-tenant", "alice")
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Errorf("check passes: %v", err)
	}
	ctx = metadata.AppendToOutgoingContext(withAuth(t.Context(), "Bearer "+alice), "x-tenant", "bob")
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("check fails: %v", err)
	}
}

func slicesEqual(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || a[0] == b[0])
}

func TestConcurrent(t *testing.T) {
	e := serve(t, nil)
	client := testpb.NewTestServiceClient(e.conn)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			user := string(rune('a' + i))
			tok := e.iss.AccessToken(cognitotest.TokenOptions{Username: user})
			for range 5 {
				res, err := client.UnaryCall(withAuth(context.Background(), "Bearer "+tok), &testpb.SimpleRequest{})
				if err != nil || res.GetUsername() != user {
					t.Errorf("%v %q, want %s", err, res.GetUsername(), user)
				}
			}
		})
	}
	wg.Wait()
}

func TestNewRefuses(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]*grpcauth.Options[*cognitojwt.Claims]{
		"no slash":        {Methods: map[string]grpcauth.Policy{"pkg.Svc/": {}}},
		"bare slash":      {Methods: map[string]grpcauth.Policy{"/": {}}},
		"no service":      {Methods: map[string]grpcauth.Policy{"//Method": {}}},
		"package prefix":  {Methods: map[string]grpcauth.Policy{"/pkg.": {}}},
		"extra slash":     {Methods: map[string]grpcauth.Policy{"/pkg.Svc/A/B": {}}},
		"space":           {Methods: map[string]grpcauth.Policy{"/pkg.Svc/ A": {}}},
		"bad requirement": {Methods: map[string]grpcauth.Policy{"/pkg.Svc/": {Require: []httpauth.Requirement{httpauth.Scope()}}}},
		"http check":      {Default: grpcauth.Policy{Require: []httpauth.Requirement{httpauth.Check(func(*http.Request, *cognitojwt.Claims) bool { return true })}}},
		"negative size":   {MaxTokenSize: -1},
	} {
		if _, err := grpcauth.New(v, o); err == nil || !strings.HasPrefix(err.Error(), "grpcauth: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := grpcauth.New[*cognitojwt.Claims](nil, nil); err == nil {
		t.Error("nil verifier accepted")
	}
	// Control: valid keys are accepted.
	if _, err := grpcauth.New(v, policies); err != nil {
		t.Error(err)
	}
}

func TestCode(t *testing.T) {
	for r, want := range map[httpauth.Reason]codes.Code{
		httpauth.ReasonMissingToken:    codes.Unauthenticated,
		httpauth.ReasonMultipleTokens:  codes.Unauthenticated,
		httpauth.ReasonExpired:         codes.Unauthenticated,
		httpauth.ReasonMissingScope:    codes.PermissionDenied,
		httpauth.ReasonForbidden:       codes.PermissionDenied,
		httpauth.ReasonKeysUnavailable: codes.Unavailable,
		httpauth.ReasonInterrupted:     codes.Unavailable,
		httpauth.Reason("unknown"):     codes.Unauthenticated,
	} {
		if got := grpcauth.Code(r); got != want {
			t.Errorf("Code(%s) = %v, want %v", r, got, want)
		}
	}
}

// The go-grpc-middleware/v2 auth interceptors with Auth.AuthFunc refuse
// and admit exactly as the package's own interceptors.
func TestGoGRPCMiddleware(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	a, err := grpcauth.New(v, policies)
	if err != nil {
		t.Fatal(err)
	}
	ran := new(atomicCounter)
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(mwauth.UnaryServerInterceptor(a.AuthFunc)),
		grpc.ChainStreamInterceptor(mwauth.StreamServerInterceptor(a.AuthFunc)),
	)
	testpb.RegisterTestServiceServer(srv, testService{ran: ran})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)
	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	res, err := client.UnaryCall(withAuth(t.Context(), "Bearer "+alice), &testpb.SimpleRequest{})
	if err != nil || res.GetUsername() != "alice" {
		t.Errorf("admitted call: %v %q", err, res.GetUsername())
	}
	if _, err := client.UnaryCall(t.Context(), &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	st, err := client.FullDuplexCall(withAuth(t.Context(), "Bearer "+alice))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); status.Code(err) != codes.PermissionDenied {
		t.Errorf("stream without the group: %v", err)
	}
	// Outside a server call there is no method: refused.
	if _, err := a.AuthFunc(context.Background()); status.Code(err) != codes.Unauthenticated {
		t.Errorf("AuthFunc without a method: %v", err)
	}
}

// The logger records the code, reason and method of a refusal, never the
// token; the verifier's error only for Unavailable.
func TestLogger(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := serve(t, &grpcauth.Options[*cognitojwt.Claims]{Logger: log})
	expired := e.iss.AccessToken(cognitotest.TokenOptions{Expired: true})
	client := testpb.NewTestServiceClient(e.conn)
	if _, err := client.UnaryCall(withAuth(t.Context(), "Bearer "+expired), &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatal(err)
	}
	// A second server whose issuer is down from the start.
	down := serve(t, &grpcauth.Options[*cognitojwt.Claims]{Logger: log})
	down.iss.SetJWKSStatus(502)
	fresh := down.iss.AccessToken(cognitotest.TokenOptions{Username: "carol"})
	if _, err := testpb.NewTestServiceClient(down.conn).UnaryCall(withAuth(t.Context(), "Bearer "+fresh), &testpb.SimpleRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, want := range []string{"reason=expired", "code=Unauthenticated", "method=/grpc.testing.TestService/UnaryCall", "reason=keys_unavailable", "level=WARN", "error="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, tok := range []string{expired, fresh} {
		if strings.Contains(out, tok[len(tok)-20:]) {
			t.Errorf("log holds a token:\n%s", out)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
