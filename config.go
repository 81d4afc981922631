package cognitojwt

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// TokenUse is the kind of Cognito token a verifier accepts, matched against
// the "token_use" claim. The zero value is not valid: a verifier must say
// which kind it wants, because an ID token presented where an access token
// is expected is a classic confused-deputy bug.
type TokenUse string

// The token uses.
const (
	AccessToken TokenUse = "access" // OAuth 2.0 access tokens: client_id, scope, no aud
	IDToken     TokenUse = "id"     // OpenID Connect ID tokens: aud, cognito:username, profile claims
	AnyTokenUse TokenUse = "any"    // either; the client is then checked by each kind's own rule
)

// DefaultLeeway is the clock skew allowed on exp, nbf and iat when
// [Config.Leeway] is zero.
const DefaultLeeway = oidc.DefaultLeeway

// NoLeeway, as [Config.Leeway], allows no clock skew at all: the zero
// value means DefaultLeeway, so "none" is spelled with a negative
// duration, and this is that duration. aws-jwt-verify's graceSeconds: 0
// is Leeway: NoLeeway here.
const NoLeeway = oidc.NoLeeway

// DefaultCacheSize is the number of verified tokens remembered when
// [Config.CacheSize] is zero.
const DefaultCacheSize = oidc.DefaultCacheSize

// Config describes which tokens of one user pool a verifier accepts. Zero
// fields mean the documented defaults; [New] refuses an invalid Config.
type Config struct {
	// UserPoolID is the pool's id, "<region>_<id>" such as
	// "us-east-1_AbCdEfGhI". The region selects the issuer host
	// (amazonaws.com.cn for cn-* regions). Required.
	UserPoolID string

	// TokenUse is AccessToken, IDToken or AnyTokenUse. Required: the zero
	// value is a configuration error.
	TokenUse TokenUse

	// ClientIDs are the app clients whose tokens are accepted: matched
	// exactly against "client_id" in access tokens and "aud" in ID
	// tokens. Empty is a configuration error unless AllowAnyClient is set.
	ClientIDs []string

	// AllowAnyClient accepts tokens of every app client of the pool. Use
	// it only when another check (Scopes, Check) decides who may call.
	AllowAnyClient bool

	// Groups, when not nil, requires membership of at least one of these
	// groups ("cognito:groups"), or of all of them with AllGroups. A
	// non-nil empty list is a configuration error.
	Groups    []string
	AllGroups bool

	// Scopes, when not nil, requires at least one of these scopes
	// ("scope", access tokens only), or all of them with AllScopes. A
	// non-nil empty list is a configuration error, as is Scopes with
	// TokenUse IDToken (ID tokens carry no scopes).
	Scopes    []string
	AllScopes bool

	// Leeway is the clock skew allowed on exp, nbf and iat. Zero means
	// DefaultLeeway (5 s); a negative value, such as NoLeeway, means none.
	Leeway time.Duration

	// MaxAge, when positive, refuses tokens issued ("iat") longer ago
	// than this, whatever their exp says.
	MaxAge time.Duration

	// CacheSize is the number of verified tokens remembered, so that a
	// repeated token skips the signature (exp, nbf and every rule are
	// still checked on each call). Zero means DefaultCacheSize; negative
	// disables the cache; over 16,777,216 is refused (see
	// oidc.Config.CacheSize). With NewMulti the largest value wins.
	CacheSize int

	// Issuer overrides the issuer derived from UserPoolID, for emulators
	// (cognito-local, LocalStack) and tests. It must be an absolute URL;
	// http is accepted only for loopback hosts or with AllowInsecureHTTP.
	Issuer string

	// JWKSURL overrides where the pool's keys are fetched. Zero means
	// "<issuer>/.well-known/jwks.json", with the classic issuer form.
	JWKSURL string

	// AllowInsecureHTTP allows plain-http Issuer and JWKSURL on hosts
	// other than loopback. Never set it in production.
	AllowInsecureHTTP bool

	// HTTPClient fetches the keys. Nil means a client with the timeouts
	// of package jwks and proxies from the environment.
	HTTPClient *http.Client

	// Keys, when not nil, replaces fetching: the verifier looks keys up
	// here (oidc.StaticKeys{Set: set}, a *jwks.Remote you configured, or a
	// test double).
	Keys KeySource

	// KeyOptions tunes the remote key set (timeouts, refresh, stale-if-
	// error window, event hook). Its URL-related and HTTPClient fields
	// are taken from this Config.
	KeyOptions jwks.Options

	// Algorithms narrows the accepted signature algorithms. Nil means
	// RS256 only, which is what Cognito signs with; widen it for
	// emulators or other IdPs behind the same pool id.
	Algorithms []jws.Algorithm

	// MaxTokenSize is the largest token accepted, in bytes. Zero means
	// jws.DefaultMaxTokenSize (16 KiB).
	MaxTokenSize int

	// Check, when not nil, is a last rule that runs after the signature,
	// the issuer and every Cognito rule have passed. Return an error to
	// refuse the token; it is returned wrapped, so errors.Is finds it.
	Check func(ctx context.Context, c *Claims) error

	// Revocation, when not nil, is asked about every token that passed
	// the signature and every Cognito rule, before Check, on every Verify
	// (repeat tokens answered from the cache included): by jti,
	// origin_jti, sub and username. A revoked token is refused with
	// ErrRevoked (401); a store that cannot answer gives
	// ErrRevocationUnavailable (503, never 401). Nil means no revocation
	// check: a token revoked in Cognito verifies until it expires. See
	// package revocation and docs/REVOCATION.md.
	Revocation revocation.Checker

	// ErrorClaims, when set, attaches the claims of a token refused after
	// its signature verified (expired, wrong client, missing group…) to
	// the *ValidationError, so that callers can log who held it. Off by
	// default: claims are personal data.
	ErrorClaims bool

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// KeySource looks up the verification key for a token's kid and alg. It is
// satisfied by *jwks.Remote and oidc.StaticKeys.
type KeySource = oidc.KeySource

// poolIDPattern is "<region>_<id>". Regions are like "us-east-1",
// "ap-southeast-2", "us-gov-west-1", "cn-north-1"; the id part is
// alphanumeric.
var poolIDPattern = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d)_([0-9A-Za-z]+)$`)

// Region returns the AWS region of a user pool id ("us-east-1" for
// "us-east-1_AbCdEfGhI") or an error when the id is not of that form.
func Region(userPoolID string) (string, error) {
	m := poolIDPattern.FindStringSubmatch(userPoolID)
	if m == nil {
		return "", fmt.Errorf("cognitojwt: invalid user pool id %q: want <region>_<id>, such as us-east-1_AbCdEfGhI", clip(userPoolID))
	}
	return m[1], nil
}

// Issuers returns the two issuer URLs Cognito uses for a pool: the classic
// "https://cognito-idp.<region>.<domain>/<pool>" and the multi-Region
// "https://issuer-cognito-idp.<region>.<domain>/<pool>", with domain
// amazonaws.com.cn for cn-* regions and amazonaws.com otherwise.
func Issuers(userPoolID string) (classic, multiRegion string, err error) {
	region, err := Region(userPoolID)
	if err != nil {
		return "", "", err
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	classic = "https://cognito-idp." + region + "." + domain + "/" + userPoolID
	multiRegion = "https://issuer-cognito-idp." + region + "." + domain + "/" + userPoolID
	return classic, multiRegion, nil
}

// validate checks c and returns its effective settings.
func (c *Config) validate() (*pool, error) {
	p := &pool{cfg: *c}
	// The pool is always named, even with an Issuer override, so that an
	// emulator config cannot silently trust another pool than it says.
	if c.UserPoolID == "" {
		return nil, fmt.Errorf("cognitojwt: user pool id (UserPoolID) is required, also when Issuer is set")
	}
	if _, err := Region(c.UserPoolID); err != nil && c.Issuer == "" {
		return nil, err
	}
	switch c.TokenUse {
	case AccessToken, IDToken, AnyTokenUse:
	case "":
		return nil, fmt.Errorf("cognitojwt: TokenUse is required: AccessToken, IDToken or AnyTokenUse")
	default:
		return nil, fmt.Errorf("cognitojwt: invalid TokenUse %q", clip(string(c.TokenUse)))
	}
	if len(c.ClientIDs) == 0 && !c.AllowAnyClient {
		return nil, fmt.Errorf("cognitojwt: ClientIDs is empty: list the app client ids, or set AllowAnyClient")
	}
	for _, id := range c.ClientIDs {
		if id == "" {
			return nil, fmt.Errorf("cognitojwt: empty client id in ClientIDs")
		}
	}
	if c.Groups != nil && len(c.Groups) == 0 {
		return nil, fmt.Errorf("cognitojwt: Groups is empty but not nil: nil means no requirement")
	}
	if c.Scopes != nil && len(c.Scopes) == 0 {
		return nil, fmt.Errorf("cognitojwt: Scopes is empty but not nil: nil means no requirement")
	}
	if c.Scopes != nil && c.TokenUse == IDToken {
		return nil, fmt.Errorf("cognitojwt: Scopes cannot be required of ID tokens, which carry none")
	}
	for _, list := range [][]string{c.Groups, c.Scopes} {
		for _, s := range list {
			if s == "" {
				return nil, fmt.Errorf("cognitojwt: empty group or scope name")
			}
		}
	}
	for _, s := range c.Scopes {
		if !oidc.IsScopeToken(s) {
			// Granted scopes are split on U+0020 only: a required name
			// with a space or other character outside RFC 6749 §3.3's
			// scope-token could never be met.
			return nil, fmt.Errorf("cognitojwt: scope %q in Scopes is not an RFC 6749 scope-token (printable ASCII, no space, quote or backslash)", clip(s))
		}
	}
	if c.Issuer != "" {
		if err := oidc.CheckURL("Issuer", c.Issuer, c.AllowInsecureHTTP); err != nil {
			return nil, err
		}
		iss := strings.TrimSuffix(c.Issuer, "/")
		if err := issuerNamesPool(iss, c.UserPoolID); err != nil {
			return nil, err
		}
		p.issuers = []string{iss}
		p.jwksURL = p.issuers[0] + "/.well-known/jwks.json"
	} else {
		classic, multi, err := Issuers(c.UserPoolID)
		if err != nil {
			return nil, err
		}
		p.issuers = []string{classic, multi}
		p.jwksURL = classic + "/.well-known/jwks.json"
	}
	if c.JWKSURL != "" {
		if err := oidc.CheckURL("JWKSURL", c.JWKSURL, c.AllowInsecureHTTP); err != nil {
			return nil, err
		}
		p.jwksURL = c.JWKSURL
	}
	return p, nil
}

// issuerNamesPool checks that an Issuer override ends in the pool id, as
// every Cognito issuer and every emulator's (cognito-local's
// "http://localhost:9229/<pool>") does: the last path segment is the pool.
func issuerNamesPool(issuer, poolID string) error {
	u, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("cognitojwt: Issuer %q is not an absolute URL", clip(issuer))
	}
	seg := u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	if seg != poolID || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("cognitojwt: Issuer %q does not name UserPoolID %q as its last path segment", clip(issuer), clip(poolID))
	}
	return nil
}

// pool is a validated Config with its derived issuers and key URL.
type pool struct {
	cfg     Config
	issuers []string
	jwksURL string
}

// clip bounds configuration text echoed in errors.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
