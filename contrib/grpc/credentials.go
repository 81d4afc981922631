package grpcauth

import (
	"context"
	"errors"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"google.golang.org/grpc/credentials"
)

// TokenCredentials is the client side: a credentials.PerRPCCredentials
// that sends "authorization: Bearer <token>" on every call, for tests and
// service-to-service calls (an M2M token from the client-credentials
// grant, say). Give it to grpc.WithPerRPCCredentials or
// grpc.PerRPCCredentials.
//
// A bearer token lets anyone who reads it act as its holder, so by
// default it is sent only over a connection with privacy and integrity
// (TLS, ALTS, local credentials); grpc-go refuses to dial an insecure
// connection with it, as it does for its own OAuth credentials.
type TokenCredentials struct {
	// Token returns the token to send; it is called once per call, with
	// the call's context, so that it can renew an expiring token. An
	// error fails the call. It must not be nil.
	Token func(ctx context.Context) (string, error)

	// AllowInsecure lets the token travel over a connection without
	// transport security: only for loopback tests, or a hop that an
	// encrypting proxy (a service mesh sidecar) guards. Default false.
	AllowInsecure bool
}

// StaticToken returns TokenCredentials that always send token.
func StaticToken(token string) TokenCredentials {
	return TokenCredentials{Token: func(context.Context) (string, error) { return token, nil }}
}

// GetRequestMetadata returns the authorization metadata of one call. It
// refuses a connection whose security is below privacy and integrity
// (unless AllowInsecure), a nil Token function, and a token that is not
// a b64token (RFC 6750 §2.1: it would not survive as a header value, or
// would be read another way by the server).
func (c TokenCredentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if c.Token == nil {
		return nil, errors.New("grpcauth: TokenCredentials with a nil Token function")
	}
	if !c.AllowInsecure {
		ri, _ := credentials.RequestInfoFromContext(ctx)
		if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
			return nil, errors.New("grpcauth: refusing to send a bearer token over a connection without transport security")
		}
	}
	tok, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	v := "Bearer " + tok
	if _, ok := httpauth.ParseAuthorization(v); !ok {
		return nil, errors.New("grpcauth: the token is not a well-formed bearer token")
	}
	return map[string]string{"authorization": v}, nil
}

// RequireTransportSecurity reports whether the token needs a secure
// connection: true unless AllowInsecure.
func (c TokenCredentials) RequireTransportSecurity() bool { return !c.AllowInsecure }
