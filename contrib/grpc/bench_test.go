package grpcauth_test

import (
	"net"
	"testing"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	grpcauth "github.com/cognitojwt/cognitojwt/contrib/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
)

// BenchmarkUnary is one unary call over loopback TCP: "bare" is the
// server with no interceptor (the token is sent and ignored), "auth" the
// same server behind the interceptor with a real verifier and a repeat
// (cached) token. The difference is the adapter's cost per call.
func BenchmarkUnary(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		b.Fatal(err)
	}
	a, err := grpcauth.New(v, nil)
	if err != nil {
		b.Fatal(err)
	}
	tok := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	for _, bc := range []struct {
		name string
		opts []grpc.ServerOption
	}{
		{"bare", nil},
		{"auth", []grpc.ServerOption{grpc.UnaryInterceptor(a.UnaryServerInterceptor())}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := grpc.NewServer(bc.opts...)
			testpb.RegisterTestServiceServer(srv, testService{ran: new(atomicCounter)})
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go srv.Serve(lis)
			defer srv.Stop()
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			c := testpb.NewTestServiceClient(conn)
			ctx := withAuth(b.Context(), "Bearer "+tok)
			if _, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthenticate is the interceptor's own work, without the
// network: metadata lookup, a cached verification, the claims context.
func BenchmarkAuthenticate(b *testing.B) {
	iss := cognitotest.NewIssuer(b, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		b.Fatal(err)
	}
	a, err := grpcauth.New(v, policies)
	if err != nil {
		b.Fatal(err)
	}
	tok := iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"orders/read"}})
	ctx := metadata.NewIncomingContext(b.Context(), metadata.Pairs("authorization", "Bearer "+tok))
	if _, err := a.Authenticate(ctx, "/grpc.testing.TestService/UnaryCall"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, "/grpc.testing.TestService/UnaryCall"); err != nil {
			b.Fatal(err)
		}
	}
}
