package grpcauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	grpcauth "github.com/cognitojwt/cognitojwt/contrib/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
)

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestTokenCredentials runs the client helper against a real server over
// TLS on loopback, and checks the refusals on a plaintext connection.
func TestTokenCredentials(t *testing.T) {
	iss := cognitotest.NewIssuer(t, testKey())
	v, err := cognitojwt.New(iss.Config(cognitojwt.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := grpcauth.New(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, pool := selfSigned(t)
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewServerTLSFromCert(&cert)),
		grpc.UnaryInterceptor(auth.UnaryServerInterceptor()),
	)
	testpb.RegisterTestServiceServer(srv, testService{ran: new(atomicCounter)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	tlsCreds := credentials.NewClientTLSFromCert(pool, "")

	alice := iss.AccessToken(cognitotest.TokenOptions{Username: "alice"})
	call := func(t *testing.T, opts ...grpc.DialOption) (*testpb.SimpleResponse, error) {
		t.Helper()
		conn, err := grpc.NewClient(lis.Addr().String(), opts...)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		return testpb.NewTestServiceClient(conn).UnaryCall(t.Context(), &testpb.SimpleRequest{})
	}

	t.Run("tls", func(t *testing.T) {
		res, err := call(t, grpc.WithTransportCredentials(tlsCreds), grpc.WithPerRPCCredentials(grpcauth.StaticToken(alice)))
		if err != nil || res.GetUsername() != "alice" {
			t.Fatalf("%v %q", err, res.GetUsername())
		}
	})
	t.Run("renewing token", func(t *testing.T) {
		n := 0
		creds := grpcauth.TokenCredentials{Token: func(ctx context.Context) (string, error) { n++; return alice, nil }}
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(tlsCreds), grpc.WithPerRPCCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := testpb.NewTestServiceClient(conn)
		for range 3 {
			if _, err := c.UnaryCall(t.Context(), &testpb.SimpleRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		if n != 3 {
			t.Errorf("Token called %d times for 3 calls", n)
		}
	})
	t.Run("token source fails", func(t *testing.T) {
		creds := grpcauth.TokenCredentials{Token: func(context.Context) (string, error) { return "", errors.New("no token today") }}
		_, err := call(t, grpc.WithTransportCredentials(tlsCreds), grpc.WithPerRPCCredentials(creds))
		if err == nil || !strings.Contains(err.Error(), "no token today") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad token text", func(t *testing.T) {
		_, err := call(t, grpc.WithTransportCredentials(tlsCreds), grpc.WithPerRPCCredentials(grpcauth.StaticToken("a b\r\nx: y")))
		if err == nil || !strings.Contains(err.Error(), "not a well-formed bearer token") {
			t.Errorf("err = %v", err)
		}
	})

	// A plaintext connection: grpc-go refuses to dial with credentials
	// that require transport security, and a per-call option is refused
	// by GetRequestMetadata itself.
	plain := grpc.WithTransportCredentials(insecure.NewCredentials())
	t.Run("insecure dial", func(t *testing.T) {
		if _, err := grpc.NewClient(lis.Addr().String(), plain, grpc.WithPerRPCCredentials(grpcauth.StaticToken(alice))); err == nil {
			t.Error("dialled an insecure connection with a token")
		}
	})
	t.Run("insecure per call", func(t *testing.T) {
		e := serve(t, nil)
		tok := e.iss.AccessToken()
		c := testpb.NewTestServiceClient(e.conn)
		_, err := c.UnaryCall(t.Context(), &testpb.SimpleRequest{}, grpc.PerRPCCredentials(grpcauth.StaticToken(tok)))
		if err == nil {
			t.Fatal("sent a token over plaintext")
		}
		// Control: explicitly allowed, the same call passes.
		creds := grpcauth.StaticToken(tok)
		creds.AllowInsecure = true
		if _, err := c.UnaryCall(t.Context(), &testpb.SimpleRequest{}, grpc.PerRPCCredentials(creds)); err != nil {
			t.Errorf("AllowInsecure: %v", err)
		}
	})
	t.Run("nil token func", func(t *testing.T) {
		_, err := call(t, grpc.WithTransportCredentials(tlsCreds), grpc.WithPerRPCCredentials(grpcauth.TokenCredentials{}))
		if status.Code(err) == codes.OK {
			t.Error("nil Token accepted")
		}
	})
}
