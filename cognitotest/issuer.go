package cognitotest

import (
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/oidc"
)

// Defaults of an [Issuer]'s fields.
const (
	// DefaultPoolID is the user pool id when [Issuer.PoolID] is empty.
	DefaultPoolID = "us-east-1_TestPool1"

	// DefaultClientID is the app client id when [Issuer.ClientID] is
	// empty: 26 lower-case letters and digits, like Cognito's.
	DefaultClientID = "testclient0000000000000001"

	// DefaultTTL is the lifetime of a minted token when
	// [TokenOptions.TTL] is zero: one hour, Cognito's default for access
	// and ID tokens.
	DefaultTTL = time.Hour

	// DefaultUsername is the user of a minted access or ID token when
	// [TokenOptions.Username] is empty.
	DefaultUsername = "testuser"

	// DefaultUserScope is the scope of a minted access token when
	// [TokenOptions.Scopes] is empty: what Cognito grants to tokens from
	// the user-pool API (InitiateAuth), as opposed to the hosted UI.
	DefaultUserScope = "aws.cognito.signin.user.admin"
)

// defaultScopes returns the custom scopes of the app client when
// [Issuer.Scopes] is nil; a function, so that no caller can change them.
func defaultScopes() []string { return []string{"test-api/read", "test-api/write"} }

// poolIDPattern is Cognito's "<region>_<id>", as package cognitojwt reads
// it.
var poolIDPattern = regexp.MustCompile(`^[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+$`)

// Issuer is a local Cognito user pool with one app client: it serves the
// pool's key set and discovery document and mints tokens. Create one with
// [NewIssuer] in tests, or with [NewUnstartedIssuer], set its fields, then
// [Issuer.Start] or [Issuer.Handler].
//
// The exported fields are read when the issuer is set up (by Start,
// Handler, or the first token minted); zero fields then take the
// documented defaults, written back so that they can be read. Do not
// change them after that, except Now and ClientSecret, which may be
// replaced between uses (not while tokens are being minted or requests
// served). Every method is safe for concurrent use.
type Issuer struct {
	// URL is the base URL of the server, with no path and no trailing
	// slash, such as "http://127.0.0.1:41923": the issuer of minted
	// tokens is URL + "/" + PoolID. Start sets it. When you serve Handler
	// yourself, set it to the URL clients reach the server at; if you
	// leave it empty, the handler derives it from each request's Host and
	// minting in-process fails.
	URL string

	// PoolID is the user pool id, "<region>_<id>". Empty means
	// DefaultPoolID ("us-east-1_TestPool1"). Setup refuses an id of
	// another form.
	PoolID string

	// ClientID is the app client id: "client_id" of access tokens and
	// "aud" of ID tokens. Empty means DefaultClientID.
	ClientID string

	// ClientSecret is the app client's secret, checked by the token
	// endpoint. Empty means the endpoint accepts any secret or none (a
	// convenience Cognito does not offer: its client-credentials grant
	// needs a confidential client).
	ClientSecret string

	// Scopes are the custom scopes ("<resource server>/<name>") the app
	// client may get in M2M tokens: what the token endpoint grants when
	// no scope is asked for, and the only scopes it grants. Nil means
	// "test-api/read" and "test-api/write". Setup refuses a scope without
	// "/", which Cognito would not grant to the client-credentials flow.
	Scopes []string

	// Signers are the signing keys to publish, in order; the last one
	// signs, and Rotate appends. RSA keys are published as RS256 keys,
	// as Cognito's are; ECDSA (P-256, P-384, P-521) and Ed25519 keys are
	// accepted for tests of other issuers (see NewKey). Nil means one new
	// 2048-bit RSA key. Supply keys to keep the same key ids across
	// restarts (see LoadKeys) or to skip key generation in tests. Setup
	// refuses a key published twice.
	Signers []crypto.Signer

	// Now is the clock for minted tokens' iat, auth_time and exp. Nil
	// means time.Now. Config passes it to the verifier, so that a test
	// that moves the clock moves it for both.
	Now func() time.Time

	t testing.TB // from NewIssuer; nil for an unstarted issuer

	mu      sync.Mutex
	ready   bool
	keys    []Key  // published, in order; the last one signs
	doc     []byte // the JWKS document, rebuilt when keys change
	status  int    // non-zero: the JWKS endpoint fails with this status
	body    []byte // non-nil: the JWKS endpoint serves this instead
	subs    map[string]string
	handler http.Handler
	srv     *httptest.Server

	jwksRequests atomic.Int64
}

// NewIssuer starts an issuer on a loopback address, registers its Close
// with t.Cleanup, and returns it ready to use. The signers, when given,
// are its keys (see [Issuer.Signers]; the last one signs): pass a key made
// once with [GenerateKey] to save generating one per test. It ends the
// test with t.Fatal when a signer is refused.
//
// The t-bound methods ([Issuer.AccessToken], [Issuer.IDToken],
// [Issuer.M2MToken]) report their errors to t.
func NewIssuer(t testing.TB, signers ...crypto.Signer) *Issuer {
	t.Helper()
	i := NewUnstartedIssuer()
	i.t = t
	if len(signers) > 0 {
		i.Signers = slices.Clone(signers)
	}
	if err := i.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(i.Close)
	return i
}

// NewUnstartedIssuer returns an issuer that serves nothing yet: set its
// fields, then call [Issuer.Start], or serve [Issuer.Handler] on a server
// of your own. Close it when done.
func NewUnstartedIssuer() *Issuer {
	return &Issuer{}
}

// Start sets the issuer up and starts serving it on a loopback address,
// setting URL. It refuses an invalid field (see each field) and a second
// Start.
func (i *Issuer) Start() error {
	h, err := i.Handler()
	if err != nil {
		return err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.srv != nil {
		return errors.New("cognitotest: issuer already started")
	}
	i.srv = httptest.NewServer(h)
	i.URL = i.srv.URL
	return nil
}

// Close stops the server started by Start and waits for its requests to
// finish. It does nothing for an issuer that was not started, and may be
// called more than once.
func (i *Issuer) Close() {
	i.mu.Lock()
	srv := i.srv
	i.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Handler sets the issuer up and returns its HTTP handler, for serving on
// an address of your own (the `cognitojwt issuer` command); set URL first.
// It serves the paths listed in the package documentation and 404 for the
// rest. It refuses an invalid field (see each field).
func (i *Issuer) Handler() (http.Handler, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.setup(); err != nil {
		return nil, err
	}
	return i.handler, nil
}

// setup applies the defaults, validates the fields and builds the keys and
// handler, once. It must be called with i.mu held.
func (i *Issuer) setup() error {
	if i.ready {
		return nil
	}
	if i.PoolID == "" {
		i.PoolID = DefaultPoolID
	}
	if !poolIDPattern.MatchString(i.PoolID) {
		return fmt.Errorf("cognitotest: invalid PoolID %q: want <region>_<id>, such as %s", i.PoolID, DefaultPoolID)
	}
	if i.ClientID == "" {
		i.ClientID = DefaultClientID
	}
	if strings.ContainsAny(i.ClientID, " :") {
		return fmt.Errorf("cognitotest: invalid ClientID %q: no spaces or colons", i.ClientID)
	}
	if i.Scopes == nil {
		i.Scopes = defaultScopes()
	}
	for _, s := range i.Scopes {
		if err := checkCustomScope(s); err != nil {
			return err
		}
	}
	i.URL = strings.TrimSuffix(i.URL, "/")
	if len(i.Signers) == 0 {
		k, err := GenerateKey()
		if err != nil {
			return fmt.Errorf("cognitotest: generating key: %w", err)
		}
		i.Signers = []crypto.Signer{k}
	}
	keys := make([]Key, 0, len(i.Signers))
	for _, s := range i.Signers {
		k, err := NewKey(s)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(keys, func(o Key) bool { return o.ID == k.ID }) {
			return fmt.Errorf("cognitotest: key %s is in Signers twice", k.ID)
		}
		keys = append(keys, k)
	}
	if err := i.setKeys(keys); err != nil {
		return err
	}
	i.subs = make(map[string]string)
	i.handler = i.newHandler()
	i.ready = true
	return nil
}

// current sets the issuer up if needed and returns the base URL (URL, or
// fallback when URL is empty) and the signing key.
func (i *Issuer) current(fallback string) (base string, k Key, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.setup(); err != nil {
		return "", Key{}, err
	}
	base = i.URL
	if base == "" {
		base = fallback
	}
	if base == "" {
		return "", Key{}, errors.New("cognitotest: URL is empty: call Start, or set URL when serving Handler yourself")
	}
	return base, i.keys[len(i.keys)-1], nil
}

// IssuerURL returns the issuer of minted tokens, URL + "/" + PoolID, the
// "iss" claim and the base of the .well-known paths. It is "" before the
// issuer is set up.
func (i *Issuer) IssuerURL() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.ready || i.URL == "" {
		return ""
	}
	return i.URL + "/" + i.PoolID
}

// JWKSURL returns the URL of the served key set, IssuerURL() +
// "/.well-known/jwks.json", or "" before the issuer is set up.
func (i *Issuer) JWKSURL() string {
	if iss := i.IssuerURL(); iss != "" {
		return iss + "/.well-known/jwks.json"
	}
	return ""
}

// DiscoveryURL returns the URL of the served OpenID discovery document,
// IssuerURL() + "/.well-known/openid-configuration", or "" before the
// issuer is set up.
func (i *Issuer) DiscoveryURL() string {
	if iss := i.IssuerURL(); iss != "" {
		return iss + "/.well-known/openid-configuration"
	}
	return ""
}

// TokenURL returns the URL of the token endpoint, URL + "/oauth2/token"
// (on a Cognito domain it is at the root, not under the pool), or ""
// before the issuer is set up.
func (i *Issuer) TokenURL() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.ready || i.URL == "" {
		return ""
	}
	return i.URL + "/oauth2/token"
}

// Subject returns the "sub" the issuer gives username: a UUID v4 assigned
// on first use and kept for the issuer's life, as a Cognito user's sub is.
// It refuses nothing; it returns "" before the issuer is set up.
func (i *Issuer) Subject(username string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.ready {
		return ""
	}
	return i.subjectLocked(username)
}

func (i *Issuer) subjectLocked(username string) string {
	sub, ok := i.subs[username]
	if !ok {
		sub = newUUID()
		i.subs[username] = sub
	}
	return sub
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

func checkCustomScope(s string) error {
	// Cognito scopes are RFC 6749 §3.3 scope-tokens: a scope with any
	// other space or control character would be split one way here and
	// another by a verifier.
	if strings.Count(s, "/") == 0 || strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || !oidc.IsScopeToken(s) {
		return fmt.Errorf("cognitotest: %q is not a custom scope: want <resource server>/<name>", s)
	}
	return nil
}
