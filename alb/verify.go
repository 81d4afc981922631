package alb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/safehttp"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// Verifier verifies x-amzn-oidc-data tokens. Build it once with [New]; it
// is safe for concurrent use.
type Verifier struct {
	parser  jws.Parser
	signers []string
	issuer  string
	clients []string
	leeway  time.Duration
	now     func() time.Time
	keys    *keyStore
}

// New returns a Verifier for cfg. It refuses the invalid configurations
// listed on each [Config] field; it fetches nothing.
func New(cfg Config) (*Verifier, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	base, err := cfg.keyBase()
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		parser: jws.Parser{
			MaxSize:      cfg.MaxTokenSize,
			Algorithms:   []jws.Algorithm{jws.ES256},
			AllowPadding: true, // ALB pads its segments
		},
		signers: slices.Clone(cfg.ALBARNs),
		issuer:  cfg.Issuer,
		clients: slices.Clone(cfg.ClientIDs),
		leeway:  cfg.Leeway,
		now:     cfg.Now,
	}
	if v.leeway == 0 {
		v.leeway = DefaultLeeway
	}
	if v.now == nil {
		v.now = time.Now
	}
	v.keys = newKeyStore(base, safehttp.NewClient(cfg.HTTPClient, FetchTimeout), v.now)
	return v, nil
}

// Verify verifies an x-amzn-oidc-data token and returns its claims.
//
// In order, it refuses: a token that is not a strict compact JWS
// (jws.ErrMalformed; base64url padding is allowed, as ALB pads, and so is
// its absence) or whose alg is not ES256 (jws.ErrUnsupportedAlgorithm);
// a "signer" header that is not one of Config.ALBARNs
// (oidc.ErrInvalidIssuer), before any key is fetched; a missing or
// unusable "kid" (jws.ErrMalformed); a kid the key endpoint does not know
// (jwks.ErrKeyNotFound); a key that cannot be had (jwks.ErrKeysUnavailable:
// the endpoint failed, its document is not a P-256 key, or the fetch rate
// limit is reached); a bad signature (jws.ErrInvalidSignature); a missing
// or past header "exp", or a past payload "exp" (oidc.ErrMissingClaim,
// oidc.ErrExpired), a future payload "nbf" or "iat" (oidc.ErrNotYetValid),
// all with Config.Leeway; an "iss" header other than Config.Issuer
// (oidc.ErrInvalidIssuer) or a "client" header not in Config.ClientIDs
// (oidc.ErrInvalidAudience) when those are set; an "email" or "username"
// claim that is not a string (oidc.ErrInvalidClaim). Claim failures come
// as a *oidc.ValidationError.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	tok, err := v.parser.Parse(token)
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(tok.Header.Raw())
	if err != nil {
		return nil, err
	}
	// Any ALB in the region signs with these keys: the signer pins ours,
	// and is checked first so that an unknown signer costs no fetch.
	if !slices.Contains(v.signers, h.signer) {
		return nil, &oidc.ValidationError{Claim: "signer", Expected: "one of ALBARNs", Found: quoteOrEmpty(h.signer), Err: oidc.ErrInvalidIssuer}
	}
	kid := tok.Header.KeyID
	if err := checkKID(kid); err != nil {
		return nil, err
	}
	key, err := v.keys.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	if err := tok.Verify(key); err != nil {
		return nil, err
	}

	now := v.now()
	if !h.hasExp {
		return nil, &oidc.ValidationError{Claim: "exp (header)", Expected: "present", Err: oidc.ErrMissingClaim}
	}
	if !now.Before(h.exp.Add(v.leeway)) {
		return nil, &oidc.ValidationError{Claim: "exp (header)", Expected: "after " + stamp(now.Add(-v.leeway)), Found: stamp(h.exp), Err: oidc.ErrExpired}
	}
	tc := &tok.Claims
	times := &oidc.Claims{ExpiresAt: tc.ExpiresAt, NotBefore: tc.NotBefore, IssuedAt: tc.IssuedAt}
	if times.ExpiresAt.IsZero() {
		times.ExpiresAt = h.exp // the payload need not repeat exp
	}
	if err := oidc.CheckTimes(times, now, v.leeway, 0); err != nil {
		return nil, err
	}
	if v.issuer != "" && h.issuer != v.issuer {
		return nil, &oidc.ValidationError{Claim: "iss (header)", Expected: strconv.Quote(v.issuer), Found: quoteOrEmpty(h.issuer), Err: oidc.ErrInvalidIssuer}
	}
	if len(v.clients) > 0 && !slices.Contains(v.clients, h.client) {
		return nil, &oidc.ValidationError{Claim: "client (header)", Expected: fmt.Sprintf("one of %q", v.clients), Found: quoteOrEmpty(h.client), Err: oidc.ErrInvalidAudience}
	}
	c := &Claims{
		Subject:   tc.Subject,
		Issuer:    h.issuer,
		ExpiresAt: h.exp,
		Signer:    h.signer,
		ClientID:  h.client,
		KeyID:     kid,
		token:     tok,
	}
	if c.Email, err = optionalString(tc, "email"); err != nil {
		return nil, err
	}
	if c.Username, err = optionalString(tc, "username"); err != nil {
		return nil, err
	}
	return c, nil
}

// header holds the ALB members of the JOSE header.
type header struct {
	signer, issuer, client string
	exp                    time.Time
	hasExp                 bool
}

// parseHeader reads the ALB members of the header JSON, which jws has
// already checked to be one object of unique member names. Names are
// matched exactly (a map, not encoding/json's case-insensitive struct
// fields), and each member must have its type.
func parseHeader(raw []byte) (header, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return header{}, fmt.Errorf("%w: header: %v", jws.ErrMalformed, err)
	}
	var h header
	for name, dst := range map[string]*string{"signer": &h.signer, "iss": &h.issuer, "client": &h.client} {
		r, ok := m[name]
		if !ok {
			continue
		}
		if len(r) == 0 || r[0] != '"' || json.Unmarshal(r, dst) != nil {
			return header{}, fmt.Errorf("%w: header: %s must be a string", jws.ErrMalformed, name)
		}
	}
	if r, ok := m["exp"]; ok {
		t, ok := numericDate(r)
		if !ok {
			return header{}, fmt.Errorf("%w: header: exp must be a number of seconds in [0, 253402300799]", jws.ErrMalformed)
		}
		h.exp, h.hasExp = t, true
	}
	return h, nil
}

// numericDate reads a JSON number of seconds since the epoch, up to the
// end of the year 9999, as RFC 7519 §2 NumericDate.
func numericDate(r json.RawMessage) (time.Time, bool) {
	r = bytes.TrimSpace(r)
	if len(r) == 0 || (r[0] != '-' && (r[0] < '0' || r[0] > '9')) {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(string(r), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 253402300799 {
		return time.Time{}, false
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)).UTC(), true
}

// checkKID refuses a kid that could not name an ALB key: empty, or with
// bytes outside printable ASCII. "." and ".." are refused because they are
// path segments with a meaning of their own once appended to the URL.
func checkKID(kid string) error {
	if kid == "" {
		return fmt.Errorf("%w: header: kid is missing", jws.ErrMalformed)
	}
	if kid == "." || kid == ".." {
		return fmt.Errorf("%w: header: kid %s is not a key id", jws.ErrMalformed, quote(kid))
	}
	for i := 0; i < len(kid); i++ {
		if c := kid[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("%w: header: kid %s has a byte outside printable ASCII", jws.ErrMalformed, quote(kid))
		}
	}
	return nil
}

func optionalString(c *jws.Claims, name string) (string, error) {
	val, ok := c.Get(name)
	if !ok {
		return "", nil
	}
	s, err := val.AsString()
	if err != nil {
		return "", &oidc.ValidationError{Claim: name, Expected: "a string", Found: val.Kind().String(), Err: oidc.ErrInvalidClaim}
	}
	return s, nil
}

func quoteOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return quote(s)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
