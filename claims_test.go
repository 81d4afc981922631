package cognitojwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/jws"
)

// TestScopesBelongToAccessTokens: with AnyTokenUse and Scopes, an ID token
// never meets the requirement, whatever scope claim it carries; the
// Cognito verifier never reads "scp"; an access token with the scope
// passes (the control).
func TestScopesBelongToAccessTokens(t *testing.T) {
	iss := newIssuer(t)
	cfg := configFor(iss, cognitojwt.AnyTokenUse)
	cfg.Scopes = []string{"orders/read"}
	v := mustNew(t, cfg)
	ctx := context.Background()
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"access token with the scope", iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read"}}), nil},
		{"ID token with a scope claim", iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": "orders/read"}}), cognitojwt.ErrMissingScope},
		{"ID token with an scp claim", iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"scp": "orders/read"}}), cognitojwt.ErrMissingScope},
		{"ID token with an scp array", iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"scp": []string{"orders/read"}}}), cognitojwt.ErrMissingScope},
		{"access token with scp only", iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": nil, "scp": "orders/read"}}), cognitojwt.ErrMissingScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(ctx, tt.token)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	// Without a requirement, an ID token verifies but reports no scopes.
	cfg.Scopes = nil
	c, err := mustNew(t, cfg).Verify(ctx, iss.IDToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": "orders/read"}}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Scopes != nil || c.HasScope("orders/read") {
		t.Fatalf("ID token reports scopes %q", c.Scopes)
	}
}

// separatorSuspects: every Unicode White_Space rune and control character
// but U+0020, and the spaces strings.Fields does not know.
func separatorSuspects() []rune {
	var out []rune
	for r := rune(0); r <= 0x3000; r++ {
		if r != ' ' && (unicode.Is(unicode.White_Space, r) || unicode.IsControl(r)) {
			out = append(out, r)
		}
	}
	return append(out, 0xfeff, 0x200b)
}

// TestScopeSeparators: a Cognito access token's scope is split on U+0020
// only, so one odd scope never meets a requirement of its halves.
func TestScopeSeparators(t *testing.T) {
	iss := newIssuer(t)
	cfg := configFor(iss, cognitojwt.AccessToken)
	cfg.Scopes = []string{"orders/write"}
	v := mustNew(t, cfg)
	ctx := context.Background()
	if _, err := v.Verify(ctx, iss.AccessToken(cognitotest.TokenOptions{Scopes: []string{"orders/read", "orders/write"}})); err != nil {
		t.Fatalf("control: %v", err)
	}
	for _, r := range separatorSuspects() {
		scope := "orders/read" + string(r) + "orders/write"
		_, err := v.Verify(ctx, iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"scope": scope}}))
		if !errors.Is(err, cognitojwt.ErrMissingScope) {
			t.Errorf("U+%04X: err = %v, want ErrMissingScope", r, err)
		}
	}
}

// TestTypedFieldsMeanOneThing: ClientID is the client that was checked
// and Username the user claim of the token's own kind, whatever claims of
// the other kind a trigger adds.
func TestTypedFieldsMeanOneThing(t *testing.T) {
	iss := newIssuer(t)
	v := mustNew(t, configFor(iss, cognitojwt.AnyTokenUse))
	ctx := context.Background()
	tests := []struct {
		name           string
		token          string
		client, user   string
		use            cognitojwt.TokenUse
		scopes, groups []string
	}{
		{"ID token with a client_id claim",
			iss.IDToken(cognitotest.TokenOptions{Username: "alice", Claims: map[string]any{"client_id": "evil-client", "username": "mallory"}}),
			iss.ClientID, "alice", cognitojwt.IDToken, nil, nil},
		{"access token with an aud claim",
			iss.AccessToken(cognitotest.TokenOptions{Username: "alice", Claims: map[string]any{"aud": "evil-client", "cognito:username": "mallory"}}),
			iss.ClientID, "alice", cognitojwt.AccessToken, []string{cognitotest.DefaultUserScope}, nil},
		{"access token with groups",
			iss.AccessToken(cognitotest.TokenOptions{Username: "bob", Groups: []string{"admin"}}),
			iss.ClientID, "bob", cognitojwt.AccessToken, []string{cognitotest.DefaultUserScope}, []string{"admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(ctx, tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if c.ClientID != tt.client || c.Username != tt.user || c.TokenUse != tt.use || !slices.Equal(c.Scopes, tt.scopes) || !slices.Equal(c.Groups, tt.groups) {
				t.Fatalf("ClientID %q Username %q TokenUse %q Scopes %q Groups %q", c.ClientID, c.Username, c.TokenUse, c.Scopes, c.Groups)
			}
		})
	}
}

// TestCheckSeesHeaderAndKey: Check can read the protected header and the
// key that verified the token.
func TestCheckSeesHeaderAndKey(t *testing.T) {
	iss := newIssuer(t)
	cfg := configFor(iss, cognitojwt.AccessToken)
	var seen []string
	cfg.Check = func(_ context.Context, c *cognitojwt.Claims) error {
		h := c.Header()
		k, ok := c.Key().(*rsa.PublicKey)
		if !ok || !k.Equal(testKey().Public()) {
			return fmt.Errorf("Key() = %T, not the signing key", c.Key())
		}
		seen = append(seen, h.Type+" "+h.KeyID+" "+string(h.Algorithm))
		if h.Type != "at+jwt" {
			return errors.New("typ must be at+jwt")
		}
		return nil
	}
	v := mustNew(t, cfg)
	ctx := context.Background()
	kid := iss.KeyIDs()[0]
	if _, err := v.Verify(ctx, iss.AccessToken(cognitotest.TokenOptions{Header: map[string]any{"typ": "at+jwt"}})); err != nil {
		t.Fatalf("at+jwt refused: %v", err)
	}
	if _, err := v.Verify(ctx, iss.AccessToken()); !errors.Is(err, cognitojwt.ErrCheckFailed) {
		t.Fatalf("token without typ: err = %v", err)
	}
	want := []string{"at+jwt " + kid + " RS256", " " + kid + " RS256"}
	if !slices.Equal(seen, want) {
		t.Fatalf("Check saw %q, want %q", seen, want)
	}
}

// TestErrorMessages: errors read as one cognitojwt sentence, with no
// lower-layer prefix, and still match their sentinels.
func TestErrorMessages(t *testing.T) {
	iss := newIssuer(t)
	cfg := configFor(iss, cognitojwt.AccessToken)
	cfg.Groups = []string{"admin"}
	v := mustNew(t, cfg)
	ctx := context.Background()
	tests := []struct {
		name  string
		token string
		want  string // the message up to its variable tail
		is    error
	}{
		{"garbage", "abc", "cognitojwt: malformed token: want 3 segments, got 1", cognitojwt.ErrMalformed},
		{"no kid", iss.AccessToken(cognitotest.TokenOptions{Header: map[string]any{"kid": nil}}), "cognitojwt: token has no kid", cognitojwt.ErrKeyNotFound},
		{"unknown kid", iss.AccessToken(cognitotest.TokenOptions{KeyID: "nope"}), `cognitojwt: key "nope" not found`, cognitojwt.ErrKeyNotFound},
		{"HS256", iss.AccessToken(cognitotest.TokenOptions{Header: map[string]any{"alg": "HS256"}}), "cognitojwt: unsupported algorithm: symmetric (HMAC) algorithms are never accepted", cognitojwt.ErrUnsupportedAlgorithm},
		{"expired", iss.AccessToken(cognitotest.TokenOptions{Expired: true, Groups: []string{"admin"}}), "cognitojwt: token expired: exp is ", cognitojwt.ErrExpired},
		{"wrong issuer", iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"iss": "https://x"}}), `cognitojwt: invalid issuer: iss is "https://x"`, cognitojwt.ErrInvalidIssuer},
		{"number in username", iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"username": 5}}), "cognitojwt: claim of the wrong type: username is number, want a string", cognitojwt.ErrInvalidClaim},
		{"number in cognito:groups", iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"cognito:groups": 5}}), "cognitojwt: claim of the wrong type: cognito:groups is number", cognitojwt.ErrInvalidClaim},
		{"string in auth_time", iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"auth_time": "x"}}), "cognitojwt: claim of the wrong type: auth_time is string", cognitojwt.ErrInvalidClaim},
		{"token_use id", iss.IDToken(cognitotest.TokenOptions{Groups: []string{"admin"}}), `cognitojwt: invalid token_use: token_use is "id", want "access"`, cognitojwt.ErrInvalidTokenUse},
		{"no group", iss.AccessToken(), "cognitojwt: required group missing: cognito:groups is absent", cognitojwt.ErrMissingGroup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(ctx, tt.token)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("message %q, want it to start %q", msg, tt.want)
			}
			for _, layer := range []string{"oidc: ", "jws: ", "jwks: "} {
				if strings.Contains(msg, layer) {
					t.Errorf("message %q names the layer %q", msg, layer)
				}
			}
			if strings.Count(msg, "cognitojwt: ") != 1 {
				t.Errorf("message %q: want one cognitojwt prefix", msg)
			}
		})
	}

	// A Check that reads a custom claim of the wrong type: the claim is
	// named and the error is not "malformed token".
	cfg.Groups = nil
	cfg.Check = func(_ context.Context, c *cognitojwt.Claims) error {
		v, _ := c.Get("custom:tenant")
		_, err := v.AsString()
		return err
	}
	_, err := mustNew(t, cfg).Verify(ctx, iss.AccessToken(cognitotest.TokenOptions{Claims: map[string]any{"custom:tenant": 7}}))
	if !errors.Is(err, cognitojwt.ErrInvalidClaim) || errors.Is(err, cognitojwt.ErrMalformed) ||
		err.Error() != `cognitojwt: token refused by check: claim of the wrong type: "custom:tenant" is a number, want a string` {
		t.Errorf("Check reading a number as a string: %v", err)
	}

	// Configuration errors: one prefix.
	for _, c := range []cognitojwt.Config{
		{UserPoolID: "us-east-1_a", TokenUse: cognitojwt.AccessToken, ClientIDs: []string{"a"}, Algorithms: []jws.Algorithm{"HS256"}},
		{UserPoolID: "us-east-1_a", TokenUse: cognitojwt.AccessToken, ClientIDs: []string{"a"}, JWKSURL: "http://example.com/jwks"},
	} {
		_, err := cognitojwt.New(c)
		if err == nil || strings.Count(err.Error(), "cognitojwt: ") != 1 || strings.Contains(err.Error(), "oidc: ") {
			t.Errorf("config error %q", err)
		}
	}
}

// TestLeeway: zero is DefaultLeeway (5 s); NoLeeway (any negative value)
// allows none, as aws-jwt-verify's graceSeconds: 0.
func TestLeeway(t *testing.T) {
	iss := newIssuer(t)
	now := time.Now().Truncate(time.Second)
	justExpired := iss.AccessToken(cognitotest.TokenOptions{IssuedAt: now.Add(-time.Hour - 2*time.Second), TTL: time.Hour})
	fresh := iss.AccessToken(cognitotest.TokenOptions{IssuedAt: now.Add(-time.Minute), TTL: time.Hour})
	tests := []struct {
		name   string
		leeway time.Duration
		token  string
		want   error
	}{
		{"zero is the default: 2 s past exp passes", 0, justExpired, nil},
		{"NoLeeway: 2 s past exp is refused", cognitojwt.NoLeeway, justExpired, cognitojwt.ErrExpired},
		{"negative: 2 s past exp is refused", -time.Hour, justExpired, cognitojwt.ErrExpired},
		{"NoLeeway: a fresh token passes", cognitojwt.NoLeeway, fresh, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configFor(iss, cognitojwt.AccessToken)
			cfg.Leeway = tt.leeway
			cfg.Now = func() time.Time { return now }
			_, err := mustNew(t, cfg).Verify(context.Background(), tt.token)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if cognitojwt.DefaultLeeway != 5*time.Second {
		t.Errorf("DefaultLeeway = %v", cognitojwt.DefaultLeeway)
	}
}

// TestDefaultAlgorithms: the Cognito verifier accepts RS256 alone unless
// Config.Algorithms widens it (an emulator that signs ES256, say).
func TestDefaultAlgorithms(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := cognitotest.NewIssuer(t, ec)
	token := iss.AccessToken()
	cfg := configFor(iss, cognitojwt.AccessToken)
	if _, err := mustNew(t, cfg).Verify(context.Background(), token); !errors.Is(err, cognitojwt.ErrUnsupportedAlgorithm) {
		t.Fatalf("ES256 by default: err = %v, want ErrUnsupportedAlgorithm", err)
	}
	cfg.Algorithms = []jws.Algorithm{jws.ES256}
	if _, err := mustNew(t, cfg).Verify(context.Background(), token); err != nil {
		t.Fatalf("ES256 allowed: %v", err)
	}
}
