package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/coreos/go-oidc/v3/oidc"
	golangjwt "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/bench/internal/jwtmw"
)

// peer is one library set up to verify the fixture's access tokens as a
// careful user would: signature by a key of the pool's JWKS (fetched once,
// then cached), RS256 only, iss, exp required, token_use "access" and
// client_id the app client. verify returns nil only for a token it
// accepts; the claims it extracts are what a caller would then use.
type peer struct {
	name   string
	verify func(ctx context.Context, token string) error
}

// Names of the peers, as they appear in benchmark names (lib=NAME, so that
// benchstat -col /lib puts them side by side). "cognitojwt" is the baseline
// every ratio is taken against: cognitojwt with its verified-token cache
// off, which verifies the signature on every call as the peers do.
const (
	nameCacheOff  = "cognitojwt"
	nameCached    = "cognitojwt-cached"
	nameGolangJWT = "golang-jwt-keyfunc"
	nameJWX       = "jwx"
	nameGoOIDC    = "go-oidc"
	nameFloor     = "floor" // the signature alone: sha256 + crypto/rsa

	// The ID-token peers (fix.idPeers): cognitojwt with TokenUse IDToken,
	// and go-jwt-middleware, whose validator requires an aud (see
	// internal/jwtmw).
	nameCacheOffID = "cognitojwt-id"
	nameCachedID   = "cognitojwt-id-cached"
	nameGoJWTMW    = "go-jwt-middleware"

	nameAWSJWTVerify = "aws-jwt-verify-sync" // Node, verifySync; see node_test.go
)

// leeway is the clock skew every peer that has a setting for it allows:
// cognitojwt's default.
const leeway = cognitojwt.DefaultLeeway

// errClaim is what the hand-written Cognito checks return.
var errClaim = errors.New("claim check failed")

func newPeers(ctx context.Context, f *fixture) ([]peer, error) {
	var peers []peer
	for _, build := range []func(context.Context, *fixture) (peer, error){
		cognitoPeer(nameCacheOff, -1),
		cognitoPeer(nameCached, 0),
		golangJWTPeer,
		jwxPeer,
		goOIDCPeer,
	} {
		p, err := build(ctx, f)
		if err != nil {
			return nil, err
		}
		peers = append(peers, p)
	}
	return peers, nil
}

func newIDPeers(ctx context.Context, f *fixture) ([]peer, error) {
	var peers []peer
	for _, build := range []func(context.Context, *fixture) (peer, error){
		cognitoIDPeer(nameCacheOffID, -1),
		cognitoIDPeer(nameCachedID, 0),
		goJWTMiddlewarePeer,
	} {
		p, err := build(ctx, f)
		if err != nil {
			return nil, err
		}
		peers = append(peers, p)
	}
	return peers, nil
}

// cognitoIDPeer is cognitoPeer for ID tokens: the issuer's
// Config(cognitojwt.IDToken), which checks aud against the app client and
// token_use "id".
func cognitoIDPeer(name string, cacheSize int) func(context.Context, *fixture) (peer, error) {
	return func(ctx context.Context, f *fixture) (peer, error) {
		cfg := f.iss.Config(cognitojwt.IDToken)
		cfg.CacheSize = cacheSize
		v, err := cognitojwt.New(cfg)
		if err != nil {
			return peer{}, fmt.Errorf("%s: %w", name, err)
		}
		if err := v.Hydrate(ctx); err != nil {
			return peer{}, fmt.Errorf("%s: %w", name, err)
		}
		return peer{name: name, verify: func(ctx context.Context, token string) error {
			_, err := v.Verify(ctx, token)
			return err
		}}, nil
	}
}

// goJWTMiddlewarePeer is github.com/auth0/go-jwt-middleware/v2's
// validator, set up by internal/jwtmw exactly as bench/e2e serves it:
// issuer, aud the app client, RS256, its caching JWKS provider, 5 s
// leeway, token_use "id" as a custom claims check. Its keys are fetched on
// the first token (newFixture's check).
func goJWTMiddlewarePeer(_ context.Context, f *fixture) (peer, error) {
	v, err := jwtmw.NewValidator(f.iss.IssuerURL(), f.iss.JWKSURL(), f.iss.ClientID)
	if err != nil {
		return peer{}, fmt.Errorf("%s: %w", nameGoJWTMW, err)
	}
	return peer{name: nameGoJWTMW, verify: func(ctx context.Context, token string) error {
		_, err := v.ValidateToken(ctx, token)
		return err
	}}, nil
}

// cognitoPeer is cognitojwt as the project documents it: the issuer's
// Config (pool, client, token_use, issuer and JWKS URL of the loopback
// issuer), keys fetched by Hydrate. cacheSize -1 turns the verified-token
// cache off, so that every call verifies the signature; 0 is the default
// cache, which a repeated token hits.
func cognitoPeer(name string, cacheSize int) func(context.Context, *fixture) (peer, error) {
	return func(ctx context.Context, f *fixture) (peer, error) {
		cfg := f.iss.Config(cognitojwt.AccessToken)
		cfg.CacheSize = cacheSize
		v, err := cognitojwt.New(cfg)
		if err != nil {
			return peer{}, fmt.Errorf("%s: %w", name, err)
		}
		if err := v.Hydrate(ctx); err != nil {
			return peer{}, fmt.Errorf("%s: %w", name, err)
		}
		return peer{name: name, verify: func(ctx context.Context, token string) error {
			_, err := v.Verify(ctx, token)
			return err
		}}, nil
	}
}

// cognitoClaims is what a golang-jwt user declares for a Cognito access
// token.
type cognitoClaims struct {
	golangjwt.RegisteredClaims
	TokenUse string   `json:"token_use"`
	ClientID string   `json:"client_id"`
	Username string   `json:"username"`
	Scope    string   `json:"scope"`
	Groups   []string `json:"cognito:groups"`
}

// golangJWTPeer is github.com/golang-jwt/jwt/v5 with the JWKS of
// github.com/MicahParks/keyfunc/v3, the common Go stack. The parser checks
// the signature (RS256 only), iss, exp (required), nbf and iat (with
// WithIssuedAt) with leeway. golang-jwt knows nothing of Cognito, so the
// token_use and client_id checks are written by hand after parsing, as a
// user would write them.
func golangJWTPeer(ctx context.Context, f *fixture) (peer, error) {
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{f.iss.JWKSURL()})
	if err != nil {
		return peer{}, fmt.Errorf("%s: %w", nameGolangJWT, err)
	}
	parser := golangjwt.NewParser(
		golangjwt.WithValidMethods([]string{"RS256"}),
		golangjwt.WithIssuer(f.iss.IssuerURL()),
		golangjwt.WithExpirationRequired(),
		golangjwt.WithIssuedAt(),
		golangjwt.WithLeeway(leeway),
	)
	clientID := f.iss.ClientID
	return peer{name: nameGolangJWT, verify: func(ctx context.Context, token string) error {
		var c cognitoClaims
		if _, err := parser.ParseWithClaims(token, &c, kf.KeyfuncCtx(ctx)); err != nil {
			return err
		}
		// Hand-written Cognito rules.
		if c.TokenUse != "access" {
			return fmt.Errorf("%w: token_use %q", errClaim, c.TokenUse)
		}
		if c.ClientID != clientID {
			return fmt.Errorf("%w: client_id %q", errClaim, c.ClientID)
		}
		return nil
	}}, nil
}

// jwxPeer is github.com/lestrrat-go/jwx/v3: jwt.ParseString against a
// jwk.Cache-backed CachedSet, with iss, exp (required: jwx checks it only
// when present otherwise), iat and nbf with skew. jwx can express the
// Cognito claims as WithClaimValue, so no hand-written check is needed.
func jwxPeer(ctx context.Context, f *fixture) (peer, error) {
	cache, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		return peer{}, fmt.Errorf("%s: %w", nameJWX, err)
	}
	url := f.iss.JWKSURL()
	if err := cache.Register(ctx, url); err != nil {
		return peer{}, fmt.Errorf("%s: %w", nameJWX, err)
	}
	set, err := cache.CachedSet(url)
	if err != nil {
		return peer{}, fmt.Errorf("%s: %w", nameJWX, err)
	}
	opts := []jwxjwt.ParseOption{
		jwxjwt.WithKeySet(set),
		jwxjwt.WithIssuer(f.iss.IssuerURL()),
		jwxjwt.WithRequiredClaim("exp"),
		jwxjwt.WithAcceptableSkew(leeway),
		jwxjwt.WithClaimValue("token_use", "access"),
		jwxjwt.WithClaimValue("client_id", f.iss.ClientID),
	}
	return peer{name: nameJWX, verify: func(ctx context.Context, token string) error {
		_, err := jwxjwt.ParseString(token, opts...)
		return err
	}}, nil
}

// goOIDCClaims are the Cognito claims go-oidc does not read itself.
type goOIDCClaims struct {
	TokenUse string `json:"token_use"`
	ClientID string `json:"client_id"`
}

// goOIDCPeer is github.com/coreos/go-oidc/v3 (go-jose/v4 underneath):
// oidc.NewRemoteKeySet and an IDTokenVerifier, which checks the signature
// (RS256 by default), iss and exp (no leeway setting; nbf with a fixed 5
// minutes). Its client check is on "aud", which Cognito access tokens do
// not carry, so SkipClientIDCheck is set and token_use and client_id are
// checked by hand after decoding the claims a second time, as a user
// would.
func goOIDCPeer(ctx context.Context, f *fixture) (peer, error) {
	keys := oidc.NewRemoteKeySet(ctx, f.iss.JWKSURL())
	v := oidc.NewVerifier(f.iss.IssuerURL(), keys, &oidc.Config{SkipClientIDCheck: true})
	clientID := f.iss.ClientID
	return peer{name: nameGoOIDC, verify: func(ctx context.Context, token string) error {
		t, err := v.Verify(ctx, token)
		if err != nil {
			return err
		}
		// Hand-written Cognito rules.
		var c goOIDCClaims
		if err := t.Claims(&c); err != nil {
			return err
		}
		if c.TokenUse != "access" {
			return fmt.Errorf("%w: token_use %q", errClaim, c.TokenUse)
		}
		if c.ClientID != clientID {
			return fmt.Errorf("%w: client_id %q", errClaim, c.ClientID)
		}
		return nil
	}}, nil
}

// peerNamed returns the peer of that name from the fixture.
func peerNamed(name string) peer {
	i := slices.IndexFunc(fix.peers, func(p peer) bool { return p.name == name })
	return fix.peers[i]
}
