package cognitotest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/oidc"
)

// TokenOptions describes a token to mint. The zero value mints the usual
// token of each kind; zero fields mean the documented defaults. Fields
// that a kind of token does not carry are refused by that kind's Mint
// method, so that a test never believes it minted a claim it did not.
type TokenOptions struct {
	// Username is the user: "username" in access tokens, "cognito:username"
	// in ID tokens. Empty means DefaultUsername ("testuser"). Refused by
	// MintM2M.
	Username string

	// Subject is "sub". Empty means Issuer.Subject(Username), a UUID v4
	// kept per username, in user tokens, and the client id in M2M tokens
	// (where Cognito sets sub to the client id).
	Subject string

	// ClientID is the app client: "client_id" of access tokens, "aud" of
	// ID tokens. Empty means Issuer.ClientID.
	ClientID string

	// Groups are "cognito:groups", a JSON array. Empty means no such
	// claim, as Cognito omits it for a user in no group. Refused by
	// MintM2M.
	Groups []string

	// Scopes are "scope", written as one string separated by U+0020.
	// Each must be an RFC 6749 §3.3 scope-token (printable ASCII, no
	// space, quote or backslash), as Cognito's are: the Mint methods
	// refuse any other, so no test mints a scope that verifiers could
	// split two ways (force one through Claims for a negative test). Empty
	// means DefaultUserScope in access tokens and every scope of
	// Issuer.Scopes in M2M tokens (what Cognito grants when the request
	// names none). MintM2M refuses scopes that are not custom
	// ("<resource server>/<name>"); MintID refuses Scopes, as ID tokens
	// carry none.
	Scopes []string

	// Email is "email" of ID tokens, beside "email_verified": true. Empty
	// means Username when it contains "@", else Username + "@example.com".
	// Refused by MintAccess and MintM2M (Cognito access tokens carry no
	// profile claims).
	Email string

	// Claims are added to the token after the defaults, in name order, or
	// replace a default of the same name in place: custom attributes
	// ("custom:tenant"), claims of a pre-token-generation trigger, other
	// profile claims ("name", "phone_number", "nonce"…), or a wrong
	// "iss", "token_use" or "exp" for a negative test. Values are any
	// JSON that encoding/json can write: strings, numbers, booleans,
	// slices, maps, json.RawMessage. An untyped nil value removes the
	// claim (to mint a token without "exp", say); json.RawMessage("null")
	// writes a JSON null, as does a nil slice or map.
	Claims map[string]any

	// Header adds or replaces members of the JOSE header after "kid" and
	// "alg", in name order, with the same rules as Claims: {"alg":"none"}
	// or {"kid": nil} for a negative test. The signature is still made
	// with the signing key's real algorithm.
	Header map[string]any

	// TTL is exp − iat. Zero means DefaultTTL (one hour); Cognito allows
	// five minutes to one day. Negative is refused: use Expired.
	TTL time.Duration

	// IssuedAt is "iat". Zero means the issuer's clock (Issuer.Now).
	// Times are written as whole seconds, as Cognito writes them.
	IssuedAt time.Time

	// AuthTime is "auth_time", when the user signed in. Zero means
	// IssuedAt (a token straight from sign-in rather than from a
	// refresh).
	AuthTime time.Time

	// Expired mints a token whose exp is one minute in the past (beyond a
	// verifier's usual leeway): iat and auth_time are then Now − TTL − 1
	// min. Refused together with IssuedAt.
	Expired bool

	// NotBefore adds an "nbf" claim, which Cognito never sets. Zero means
	// none.
	NotBefore time.Time

	// JTI, OriginJTI and EventID are "jti", "origin_jti" and "event_id".
	// Empty means a new UUID v4 each. Give an access and an ID token the
	// same OriginJTI, EventID and AuthTime to mint the pair one sign-in
	// returns. M2M tokens carry only jti, so MintM2M refuses the others.
	JTI, OriginJTI, EventID string

	// KeyID overrides the "kid" header; the token is still signed with
	// the signing key (or Signer). Empty means the signing key's id.
	KeyID string

	// Signer signs the token instead of the issuer's signing key, for
	// tokens signed by a key the issuer does not publish, or by an older
	// published one. Its kid is computed as NewKey does, unless KeyID is
	// set. Nil means the issuer's signing key.
	Signer crypto.Signer
}

// kind is a kind of token.
type kind int

const (
	access kind = iota
	id
	m2m
)

func (k kind) String() string {
	return [...]string{"MintAccess", "MintID", "MintM2M"}[k]
}

// MintAccess mints a user access token, with Cognito's claims in
// Cognito's order:
//
//	sub, cognito:groups (when Groups is set), iss, version (the number 2),
//	client_id, origin_jti, event_id, token_use ("access"), scope,
//	auth_time, exp, iat, jti, username
//
// then Claims. It refuses Email, a negative TTL, Expired with IssuedAt, a
// claim or header value encoding/json cannot write, and fails before the
// issuer is set up with a URL.
func (i *Issuer) MintAccess(o TokenOptions) (string, error) {
	return i.mint(access, o, "")
}

// MintID mints an ID token, with Cognito's claims in Cognito's order:
//
//	sub, cognito:groups (when Groups is set), email_verified (true), iss,
//	cognito:username, origin_jti, aud (the client id, a string),
//	event_id, token_use ("id"), auth_time, exp, iat, jti, email
//
// then Claims. It refuses Scopes, and what MintAccess refuses except
// Email.
func (i *Issuer) MintID(o TokenOptions) (string, error) {
	return i.mint(id, o, "")
}

// MintM2M mints a machine-to-machine access token, as the
// client-credentials grant returns:
//
//	sub (the client id), token_use ("access"), scope (custom scopes
//	only), auth_time, iss, exp, iat, version (2), jti, client_id
//
// then Claims: no username, groups, origin_jti or event_id. It refuses
// Username, Groups, Email, OriginJTI, EventID, a scope that is not custom,
// and what MintAccess refuses.
func (i *Issuer) MintM2M(o TokenOptions) (string, error) {
	return i.mint(m2m, o, "")
}

// AccessToken is MintAccess for tests: it takes zero or one TokenOptions
// and ends the test with t.Fatal on error, t being the one given to
// NewIssuer. Call it from that test's own goroutine, as t.Fatal requires:
// in its subtests and in other goroutines, use MintAccess and report the
// error yourself. On an issuer made without a t (NewUnstartedIssuer), it
// panics on error.
func (i *Issuer) AccessToken(opts ...TokenOptions) string {
	if i.t != nil {
		i.t.Helper()
	}
	return i.must(access, opts)
}

// IDToken is MintID for tests, as AccessToken is MintAccess.
func (i *Issuer) IDToken(opts ...TokenOptions) string {
	if i.t != nil {
		i.t.Helper()
	}
	return i.must(id, opts)
}

// M2MToken is MintM2M for tests, as AccessToken is MintAccess.
func (i *Issuer) M2MToken(opts ...TokenOptions) string {
	if i.t != nil {
		i.t.Helper()
	}
	return i.must(m2m, opts)
}

func (i *Issuer) must(k kind, opts []TokenOptions) string {
	if i.t != nil {
		i.t.Helper()
	}
	var (
		token string
		err   error
	)
	switch len(opts) {
	case 0:
		token, err = i.mint(k, TokenOptions{}, "")
	case 1:
		token, err = i.mint(k, opts[0], "")
	default:
		err = fmt.Errorf("cognitotest: %s: at most one TokenOptions, got %d", k, len(opts))
	}
	if err != nil {
		if i.t == nil {
			panic(err)
		}
		i.t.Fatal(err)
	}
	return token
}

// mint mints a token of kind k; base is the URL to use when i.URL is empty
// (the request's origin, for the token endpoint).
func (i *Issuer) mint(k kind, o TokenOptions, base string) (string, error) {
	if err := o.check(k); err != nil {
		return "", err
	}
	base, key, err := i.current(base)
	if err != nil {
		return "", err
	}
	if o.Signer != nil {
		if key, err = NewKey(o.Signer); err != nil {
			return "", err
		}
	}
	kid := key.ID
	if o.KeyID != "" {
		kid = o.KeyID
	}
	header := members{{"kid", kid}, {"alg", string(key.Algorithm)}}
	if err := header.apply(o.Header); err != nil {
		return "", fmt.Errorf("cognitotest: header: %w", err)
	}
	claims := i.claims(k, o, base)
	if err := claims.apply(o.Claims); err != nil {
		return "", fmt.Errorf("cognitotest: claims: %w", err)
	}

	h, err := header.encode()
	if err != nil {
		return "", fmt.Errorf("cognitotest: header: %w", err)
	}
	c, err := claims.encode()
	if err != nil {
		return "", fmt.Errorf("cognitotest: claims: %w", err)
	}
	b64 := base64.RawURLEncoding
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	sig, err := key.sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("cognitotest: signing: %w", err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// check refuses options that kind k does not carry.
func (o *TokenOptions) check(k kind) error {
	var bad []string
	if k == m2m {
		if o.Username != "" {
			bad = append(bad, "Username")
		}
		if len(o.Groups) > 0 {
			bad = append(bad, "Groups")
		}
		if o.OriginJTI != "" {
			bad = append(bad, "OriginJTI")
		}
		if o.EventID != "" {
			bad = append(bad, "EventID")
		}
		for _, s := range o.Scopes {
			if err := checkCustomScope(s); err != nil {
				return fmt.Errorf("cognitotest: %s: M2M tokens carry custom scopes only: %w", k, err)
			}
		}
	}
	for _, s := range o.Scopes {
		if !oidc.IsScopeToken(s) {
			return fmt.Errorf("cognitotest: %s: scope %q is not an RFC 6749 scope-token, which Cognito never mints: set \"scope\" in Claims to force it", k, s)
		}
	}
	if k != id && o.Email != "" {
		bad = append(bad, "Email")
	}
	if k == id && len(o.Scopes) > 0 {
		bad = append(bad, "Scopes")
	}
	if len(bad) > 0 {
		return fmt.Errorf("cognitotest: %s: %s not carried by this kind of token: set it in Claims to force it", k, strings.Join(bad, ", "))
	}
	if o.TTL < 0 {
		return fmt.Errorf("cognitotest: %s: negative TTL: use Expired", k)
	}
	if o.Expired && !o.IssuedAt.IsZero() {
		return fmt.Errorf("cognitotest: %s: Expired and IssuedAt together: Expired sets iat", k)
	}
	return nil
}

// claims builds the default claims of kind k in Cognito's order.
func (i *Issuer) claims(k kind, o TokenOptions, base string) members {
	ttl := o.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	iat := o.IssuedAt
	if iat.IsZero() {
		iat = i.now()
		if o.Expired {
			iat = iat.Add(-ttl - time.Minute)
		}
	}
	authTime := o.AuthTime
	if authTime.IsZero() {
		authTime = iat
	}
	exp := iat.Add(ttl)
	clientID := or(o.ClientID, i.ClientID)
	username := or(o.Username, DefaultUsername)
	sub := o.Subject
	if sub == "" {
		if k == m2m {
			sub = clientID
		} else {
			i.mu.Lock()
			sub = i.subjectLocked(username)
			i.mu.Unlock()
		}
	}
	scopes := o.Scopes
	if len(scopes) == 0 {
		if k == m2m {
			scopes = i.Scopes
		} else {
			scopes = []string{DefaultUserScope}
		}
	}
	iss := base + "/" + i.PoolID
	jti, originJTI, eventID := or(o.JTI, newUUID()), or(o.OriginJTI, newUUID()), or(o.EventID, newUUID())

	var c members
	add := func(name string, v any) { c = append(c, member{name, v}) }
	if k == m2m {
		add("sub", sub)
		add("token_use", "access")
		add("scope", strings.Join(scopes, " "))
		add("auth_time", authTime.Unix())
		add("iss", iss)
		add("exp", exp.Unix())
		add("iat", iat.Unix())
		add("version", 2)
		add("jti", jti)
		add("client_id", clientID)
	} else {
		add("sub", sub)
		if len(o.Groups) > 0 {
			add("cognito:groups", o.Groups)
		}
		if k == id {
			add("email_verified", true)
			add("iss", iss)
			add("cognito:username", username)
			add("origin_jti", originJTI)
			add("aud", clientID)
			add("event_id", eventID)
			add("token_use", "id")
		} else {
			add("iss", iss)
			add("version", 2)
			add("client_id", clientID)
			add("origin_jti", originJTI)
			add("event_id", eventID)
			add("token_use", "access")
			add("scope", strings.Join(scopes, " "))
		}
		add("auth_time", authTime.Unix())
		add("exp", exp.Unix())
		add("iat", iat.Unix())
		add("jti", jti)
		if k == id {
			email := o.Email
			if email == "" {
				email = username
				if !strings.Contains(email, "@") {
					email += "@example.com"
				}
			}
			add("email", email)
		} else {
			add("username", username)
		}
	}
	if !o.NotBefore.IsZero() {
		// After iat, before jti: where other issuers put it.
		at := slices.IndexFunc(c, func(m member) bool { return m.name == "iat" }) + 1
		c = slices.Insert(c, at, member{"nbf", o.NotBefore.Unix()})
	}
	return c
}

// member is one JSON object member; members keep their order, which
// encoding/json does not for a map.
type member struct {
	name  string
	value any
}

type members []member

// apply replaces members named in over in place, removes those whose value
// is nil, and appends the rest in name order.
func (ms *members) apply(over map[string]any) error {
	names := make([]string, 0, len(over))
	for name := range over {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "" {
			return errors.New("empty member name")
		}
		v := over[name]
		at := slices.IndexFunc(*ms, func(m member) bool { return m.name == name })
		switch {
		case at >= 0 && v == nil:
			*ms = slices.Delete(*ms, at, at+1)
		case at >= 0:
			(*ms)[at].value = v
		case v != nil:
			*ms = append(*ms, member{name, v})
		}
	}
	return nil
}

// encode writes the members as one JSON object, without encoding/json's
// HTML escaping ("<", ">", "&" as \u003c…), which Cognito does not do.
func (ms members) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for n, m := range ms {
		if n > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(m.name); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(m.value); err != nil {
			return nil, fmt.Errorf("%q: %w", m.name, err)
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// newUUID returns a random (version 4) UUID in its canonical text form,
// as Cognito's sub, jti, origin_jti and event_id are.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:]) // never fails (crypto/rand)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
