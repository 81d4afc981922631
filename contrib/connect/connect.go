// Package connectauth answers the requests package httpauth refuses in
// the error format of the RPC protocol the client speaks — Connect, gRPC
// or gRPC-Web, as connectrpc.com/connect handlers do — in a module of its
// own so that the core never depends on connect-go.
//
// httpauth's middleware protects a Connect handler as it is: Connect
// handlers are http.Handlers, and Connect clients read a 401, 403 or 503
// without a Connect error body as Unauthenticated, PermissionDenied and
// Unavailable. What the bare middleware gets wrong is the rest: a 400
// invalid_request reads as Internal, the gRPC and gRPC-Web protocols
// expect a 200 with the status in grpc-status, and the message is empty.
// [ErrorHandler] fixes all three by writing the refusal with
// connect.ErrorWriter:
//
//	auth, err := httpauth.New(verifier, &httpauth.Options{
//		ErrorHandler: connectauth.ErrorHandler(),
//	})
//	path, handler := ordersv1connect.NewOrdersHandler(srv)
//	mux.Handle(path, auth.Require(httpauth.Scope("orders/read"))(handler))
//
//	func (s *server) Get(ctx context.Context, req *connect.Request[v1.GetRequest]) (…) {
//		claims, _ := httpauth.ClaimsFrom[*cognitojwt.Claims](ctx)
//		…
//	}
//
// The middleware runs before Connect reads the request, for unary and
// streaming procedures alike, and a refused call never reaches the
// handler. For per-procedure rules, mount one middleware per procedure
// path, as any net/http route.
package connectauth

import (
	"errors"
	"net/http"

	"connectrpc.com/connect"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// Code returns the Connect code of a refusal with HTTP status status:
// Unauthenticated for 400 and 401 (the credentials are missing or
// unusable), PermissionDenied for 403, Unavailable for 503 (a key outage
// is never Unauthenticated), and Unauthenticated for anything else,
// failing closed.
func Code(status int) connect.Code {
	switch status {
	case http.StatusForbidden:
		return connect.CodePermissionDenied
	case http.StatusServiceUnavailable:
		return connect.CodeUnavailable
	}
	return connect.CodeUnauthenticated
}

// ErrorHandler returns an [httpauth.Options.ErrorHandler] that writes a
// refusal as a Connect error — code from [Code], message the reason's
// fixed description (never the token) — in the protocol of the request,
// with httpauth's WWW-Authenticate, Cache-Control and Retry-After headers
// kept. A request that is not an RPC of a protocol connect-go knows (a
// browser's GET of another route behind the same middleware) gets
// httpauth's problem+json body instead. opts are the handler options
// that matter to connect.NewErrorWriter, such as
// connect.WithRequireConnectProtocolHeader.
func ErrorHandler(opts ...connect.HandlerOption) func(http.ResponseWriter, *http.Request, *httpauth.Error) {
	ew := connect.NewErrorWriter(opts...)
	return func(w http.ResponseWriter, r *http.Request, e *httpauth.Error) {
		if !ew.IsSupported(r) {
			httpauth.WriteProblem(w, r, e)
			return
		}
		cerr := connect.NewError(Code(e.Status), errors.New(e.Reason.Description()))
		_ = ew.Write(w, r, cerr) // an error here is the client gone: nothing left to do
	}
}
