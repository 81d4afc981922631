package connectauth_test

import (
	"context"
	"log"
	"net/http"

	"connectrpc.com/connect"
	"github.com/cognitojwt/cognitojwt"
	connectauth "github.com/cognitojwt/cognitojwt/contrib/connect"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// A Connect procedure behind httpauth's middleware, with refusals in the
// client's RPC protocol. With generated code the handler comes from
// ordersv1connect.NewOrdersServiceHandler; mount one middleware per
// procedure path for per-procedure scopes.
func ExampleErrorHandler() {
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, &httpauth.Options{ErrorHandler: connectauth.ErrorHandler()})
	if err != nil {
		log.Fatal(err)
	}
	type order struct{ ID, Owner string }
	get := connect.NewUnaryHandler("/shop.v1.Orders/Get",
		func(ctx context.Context, req *connect.Request[order]) (*connect.Response[order], error) {
			claims, _ := httpauth.ClaimsFrom[*cognitojwt.Claims](ctx)
			return connect.NewResponse(&order{ID: req.Msg.ID, Owner: claims.Username}), nil
		})
	mux := http.NewServeMux()
	mux.Handle("/shop.v1.Orders/Get", auth.Require(httpauth.Scope("orders/read"))(get))
	_ = mux // http.ListenAndServeTLS(":8443", cert, key, mux)
}
