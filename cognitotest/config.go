package cognitotest

import (
	"slices"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
)

// notStarted is the Issuer of a Config asked of an issuer that has no URL
// yet: not an absolute URL, so cognitojwt.New refuses it rather than
// trusting the real Cognito issuer of the pool id.
const notStarted = "cognitotest: issuer not started"

// Config returns a cognitojwt.Config that trusts this issuer's tokens of
// kind use from its app client, ready for cognitojwt.New:
//
//   - UserPoolID PoolID, ClientIDs [ClientID], TokenUse use;
//   - Issuer IssuerURL() and JWKSURL JWKSURL() (plain http, which
//     cognitojwt accepts for loopback hosts);
//   - Now the issuer's clock, so that a test that sets Issuer.Now moves
//     the verifier's clock with it;
//   - KeyOptions.Now time.Now, so that a frozen test clock does not freeze
//     the key cache, and KeyOptions.MinRefetchInterval one nanosecond, so
//     that a key published by Rotate is fetched by the first token that
//     names it and a restored key set right after SetJWKSStatus (the
//     production default of 5 s would make such tests wait or fail);
//   - Algorithms the algorithms of the keys published now, when other
//     than RS256 (nil, RS256 only, otherwise).
//
// Change the returned value freely (Groups, Scopes, Check, KeyOptions…).
// Call it after Start, or after Handler with URL set: before that its
// Issuer is not a URL, and cognitojwt.New refuses it.
func (i *Issuer) Config(use cognitojwt.TokenUse) cognitojwt.Config {
	i.mu.Lock()
	ready, url := i.ready, i.URL
	var algs []jws.Algorithm
	for _, k := range i.keys {
		if !slices.Contains(algs, k.Algorithm) {
			algs = append(algs, k.Algorithm)
		}
	}
	i.mu.Unlock()
	if slices.Equal(algs, []jws.Algorithm{jws.RS256}) {
		algs = nil
	}
	cfg := cognitojwt.Config{
		UserPoolID: i.PoolID,
		TokenUse:   use,
		ClientIDs:  []string{i.ClientID},
		Issuer:     notStarted,
		Algorithms: algs,
		Now:        i.now,
		KeyOptions: jwks.Options{Now: time.Now, MinRefetchInterval: time.Nanosecond},
	}
	if ready && url != "" {
		cfg.Issuer = i.IssuerURL()
		cfg.JWKSURL = i.JWKSURL()
	}
	return cfg
}
