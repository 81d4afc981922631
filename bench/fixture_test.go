package bench

import (
	"context"
	"crypto"
	"crypto/rsa"
	"fmt"
	"os"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// fixture is the one local Cognito issuer every benchmark and test of this
// binary uses, and the realistic access token they all verify. It is built
// once in TestMain, so that every library sees the same key, the same key
// set on the same loopback URL and the same token bytes.
type fixture struct {
	iss   *cognitotest.Issuer
	key   *rsa.PrivateKey // the issuer's signing key (RS256, 2048 bits)
	kid   string          // its key id, as published in the JWKS
	token string          // a user access token: groups, two scopes, about 1 KB

	// idToken is an ID token of the same user (aud the app client), for
	// the peers that need an aud (go-jwt-middleware).
	idToken string

	peers   []peer // every access-token verifier, keys fetched and cached
	idPeers []peer // every ID-token verifier, keys fetched and cached
}

var fix *fixture

func TestMain(m *testing.M) {
	ctx, cancel := context.WithCancel(context.Background())
	f, err := newFixture(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: setting up:", err)
		cancel()
		os.Exit(1)
	}
	fix = f
	code := m.Run()
	cancel() // stops the peers' background refreshers
	f.iss.Close()
	os.Exit(code)
}

func newFixture(ctx context.Context) (*fixture, error) {
	key, err := cognitotest.GenerateKey() // RSA-2048, what Cognito signs with
	if err != nil {
		return nil, err
	}
	k, err := cognitotest.NewKey(key)
	if err != nil {
		return nil, err
	}
	iss := cognitotest.NewUnstartedIssuer()
	iss.Signers = []crypto.Signer{key}
	if err := iss.Start(); err != nil {
		return nil, err
	}
	f := &fixture{iss: iss, key: key, kid: k.ID}
	// What a user pool with a hosted UI and a resource server issues: the
	// user's groups and a custom scope beside openid.
	f.token, err = iss.MintAccess(cognitotest.TokenOptions{
		Username: "alice",
		Groups:   []string{"admin", "ops"},
		Scopes:   []string{"openid", "orders/read"},
	})
	if err != nil {
		iss.Close()
		return nil, err
	}
	f.idToken, err = iss.MintID(cognitotest.TokenOptions{Username: "alice", Groups: []string{"admin", "ops"}})
	if err != nil {
		iss.Close()
		return nil, err
	}
	f.peers, err = newPeers(ctx, f)
	if err == nil {
		f.idPeers, err = newIDPeers(ctx, f)
	}
	if err != nil {
		iss.Close()
		return nil, err
	}
	// Fetch and cache the keys, and check the setup, before any timer
	// starts: every peer must accept the token.
	for _, set := range []struct {
		peers []peer
		token string
	}{{f.peers, f.token}, {f.idPeers, f.idToken}} {
		for _, p := range set.peers {
			if err := p.verify(ctx, set.token); err != nil {
				iss.Close()
				return nil, fmt.Errorf("%s refuses the valid token: %w", p.name, err)
			}
		}
	}
	return f, nil
}
