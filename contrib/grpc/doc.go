// Package grpcauth verifies bearer tokens on gRPC calls
// (google.golang.org/grpc), in a module of its own so that the core never
// depends on grpc-go. It reuses package httpauth's rules: the same
// verifier, the same requirements ([httpauth.Scope], [httpauth.Group],
// [httpauth.TokenUse]), the same classification of verifier errors and the
// same claims accessor, [httpauth.ClaimsFrom]. Import it under its own
// name:
//
//	import grpcauth "github.com/cognitojwt/cognitojwt/contrib/grpc"
//
//	auth, err := grpcauth.New(verifier, &grpcauth.Options[*cognitojwt.Claims]{
//		Methods: map[string]grpcauth.Policy{
//			"/shop.Orders/":          {Require: []httpauth.Requirement{httpauth.Scope("orders/read")}},
//			"/shop.Orders/CancelAll": {Require: []httpauth.Requirement{httpauth.Group("admin")}},
//			"/shop.Catalog/List":     {Anonymous: true},
//		},
//	})
//	srv := grpc.NewServer(
//		grpc.UnaryInterceptor(auth.UnaryServerInterceptor()),
//		grpc.StreamInterceptor(auth.StreamServerInterceptor()),
//	)
//
//	func (s *orders) Get(ctx context.Context, req *pb.GetRequest) (*pb.Order, error) {
//		claims, _ := grpcauth.Claims[*cognitojwt.Claims](ctx)
//		…
//	}
//
// The token is read from the "authorization" metadata as "Bearer <token>"
// (the scheme case-insensitively, RFC 6750 §2.1). A refused call ends with
// codes.Unauthenticated (no, malformed, several or refused tokens),
// codes.PermissionDenied (a scope, group or Check that fails) or
// codes.Unavailable (the verifier cannot get its keys, or the call's
// context ended during verification: never Unauthenticated, so that
// clients retry rather than drop their tokens). The status message is
// httpauth's fixed description of the reason; it never contains the
// token or a claim.
//
// [TokenCredentials] is the client side: a credentials.PerRPCCredentials
// that sends a bearer token, and refuses to send it over a connection
// without transport security unless told otherwise. See docs/GRPC.md.
package grpcauth
