package grpcauth_test

import (
	"context"
	"log"

	"github.com/cognitojwt/cognitojwt"
	grpcauth "github.com/cognitojwt/cognitojwt/contrib/grpc"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/grpc"
)

// A server whose methods need a token, a scope or a group; the health
// service stays anonymous for load-balancer probes.
func ExampleNew() {
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := grpcauth.New(v, &grpcauth.Options[*cognitojwt.Claims]{
		Methods: map[string]grpcauth.Policy{
			"/shop.Orders/":          {Require: []httpauth.Requirement{httpauth.Scope("orders/read")}},
			"/shop.Orders/CancelAll": {Require: []httpauth.Requirement{httpauth.Group("admin")}},
			"/shop.Catalog/List":     {Anonymous: true},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(a.UnaryServerInterceptor()),
		grpc.StreamInterceptor(a.StreamServerInterceptor()),
	)
	_ = srv // register services, then srv.Serve(lis)
}

// The same Auth inside a go-grpc-middleware/v2 chain: its auth
// interceptors take an AuthFunc, and Auth.AuthFunc is one. Interceptors
// listed before it (logging, recovery, metrics) see every call; those
// after it see only admitted ones.
func ExampleAuth_AuthFunc() {
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
	})
	if err != nil {
		log.Fatal(err)
	}
	a, err := grpcauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(auth.UnaryServerInterceptor(a.AuthFunc)),
		grpc.ChainStreamInterceptor(auth.StreamServerInterceptor(a.AuthFunc)),
	)
	_ = srv
}

// The client side: an M2M token on every call, over TLS.
func ExampleStaticToken() {
	token := "eyJ…" // from the client-credentials grant
	conn, err := grpc.NewClient("orders.internal:443",
		grpc.WithTransportCredentials(credentialsFromSystemRoots()),
		grpc.WithPerRPCCredentials(grpcauth.StaticToken(token)),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	_ = context.Background()
}
