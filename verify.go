package cognitojwt

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// Verifier verifies Cognito tokens of one or more user pools. It is safe
// for concurrent use; build it once with [New] or [NewMulti] and share it.
type Verifier struct {
	v *oidc.Verifier // nil for a resolving verifier
	r *resolver      // set by NewResolving
}

// New returns a verifier for the tokens of one user pool that satisfy cfg.
// It reports every configuration error at once, never at the first
// request: an invalid pool id, a missing TokenUse, no ClientIDs without
// AllowAnyClient, an empty non-nil Groups or Scopes, malformed or
// non-https URLs. It fetches nothing; call Hydrate to fetch keys early.
func New(cfg Config) (*Verifier, error) { return NewMulti([]Config{cfg}) }

// NewMulti returns a verifier that trusts several pools, or several
// configurations of one pool (for example two app clients with different
// scope rules). A token is matched by its issuer to the configurations of
// its own pool only, and passes when it satisfies one of them; the error
// of the first is returned when none is satisfied.
func NewMulti(cfgs []Config) (*Verifier, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("cognitojwt: no configuration")
	}
	var ocfgs []oidc.Config
	for i := range cfgs {
		p, err := cfgs[i].validate()
		if err != nil {
			return nil, userError(err)
		}
		for _, iss := range p.issuers {
			ocfgs = append(ocfgs, p.oidcConfig(iss))
		}
	}
	ov, err := oidc.NewMulti(ocfgs)
	if err != nil {
		return nil, userError(err)
	}
	return &Verifier{v: ov}, nil
}

// oidcConfig maps a validated pool config onto the generic issuer rules;
// the Cognito rules run in its Check, before the user's.
func (p *pool) oidcConfig(issuer string) oidc.Config {
	c := &p.cfg
	algs := c.Algorithms
	if algs == nil {
		algs = []jws.Algorithm{jws.RS256} // what Cognito signs with
	}
	return oidc.Config{
		Issuer:            issuer,
		AllowAnyAudience:  true, // access tokens have no aud; the client rule below decides
		JWKSURL:           p.jwksURL,
		Keys:              c.Keys,
		KeyOptions:        c.KeyOptions,
		HTTPClient:        c.HTTPClient,
		AllowInsecureHTTP: c.AllowInsecureHTTP,
		Algorithms:        algs,
		Leeway:            c.Leeway,
		MaxAge:            c.MaxAge,
		GroupsClaim:       "cognito:groups",
		ErrorClaims:       c.ErrorClaims,
		CacheSize:         c.CacheSize,
		MaxTokenSize:      c.MaxTokenSize,
		Now:               c.Now,
		Derive:            derive,
		Check:             p.check,
	}
}

// check applies the Cognito rules and then the user's Check. Errors that
// are not *ValidationError are wrapped by package oidc with
// ErrCheckFailed, so the user's Check error stays matchable.
func (p *pool) check(ctx context.Context, oc *oidc.Claims) error {
	c, err := cognitoClaims(oc)
	if err != nil {
		return err
	}
	if err := p.rules(c); err != nil {
		return err
	}
	if err := p.revoked(ctx, c); err != nil {
		return err
	}
	if p.cfg.Check != nil {
		return p.cfg.Check(ctx, c)
	}
	return nil
}

// rules are Cognito's: token_use, then the client, then scopes and groups.
func (p *pool) rules(c *Claims) error {
	cfg := &p.cfg
	switch c.TokenUse {
	case AccessToken, IDToken:
		if cfg.TokenUse != AnyTokenUse && c.TokenUse != cfg.TokenUse {
			return &ValidationError{Claim: "token_use", Expected: fmt.Sprintf("%q", cfg.TokenUse), Found: fmt.Sprintf("%q", c.TokenUse), Err: ErrInvalidTokenUse}
		}
	case "":
		return &ValidationError{Claim: "token_use", Expected: "present", Err: ErrInvalidTokenUse}
	default:
		return &ValidationError{Claim: "token_use", Expected: `"access" or "id"`, Found: fmt.Sprintf("%.32q", string(c.TokenUse)), Err: ErrInvalidTokenUse}
	}

	// The client: an access token names it in client_id (an aud added by
	// customization is accepted but never required); an ID token in aud.
	if c.TokenUse == AccessToken {
		id, ok := c.Get("client_id")
		if !ok {
			return &ValidationError{Claim: "client_id", Expected: "present", Err: ErrInvalidClient}
		}
		if id.Kind() != jws.String {
			return &ValidationError{Claim: "client_id", Expected: "a string", Found: id.Kind().String(), Err: ErrInvalidClient}
		}
		if !cfg.AllowAnyClient && !slices.Contains(cfg.ClientIDs, c.ClientID) {
			return &ValidationError{Claim: "client_id", Expected: "one of " + fmt.Sprint(cfg.ClientIDs), Found: fmt.Sprintf("%.48q", c.ClientID), Err: ErrInvalidClient}
		}
	} else {
		if len(c.Audience) == 0 {
			return &ValidationError{Claim: "aud", Expected: "present", Err: ErrInvalidClient}
		}
		if !cfg.AllowAnyClient && !oidc.Satisfies(c.Audience, cfg.ClientIDs, false) {
			return &ValidationError{Claim: "aud", Expected: "one of " + fmt.Sprint(cfg.ClientIDs), Found: fmt.Sprintf("%.48q", c.Audience), Err: ErrInvalidClient}
		}
	}

	// Scopes are granted to access tokens. With AnyTokenUse an ID token
	// meets no scope requirement, whatever "scope" or "scp" claim a
	// pre-token-generation trigger wrote into it: it is refused as
	// lacking the scope (ErrMissingScope, a 403 in httpauth), the answer
	// a route's own Scope requirement gives it too.
	if cfg.Scopes != nil && c.TokenUse != AccessToken {
		return &ValidationError{Claim: "scope", Expected: mode(cfg.AllScopes) + fmt.Sprint(cfg.Scopes) + " in an access token", Found: "an ID token", Err: ErrMissingScope}
	}
	if cfg.Scopes != nil && !oidc.Satisfies(c.Scopes, cfg.Scopes, cfg.AllScopes) {
		return &ValidationError{Claim: "scope", Expected: mode(cfg.AllScopes) + fmt.Sprint(cfg.Scopes), Found: found(c.Scopes), Err: ErrMissingScope}
	}
	if cfg.Groups != nil && !oidc.Satisfies(c.Groups, cfg.Groups, cfg.AllGroups) {
		return &ValidationError{Claim: "cognito:groups", Expected: mode(cfg.AllGroups) + fmt.Sprint(cfg.Groups), Found: found(c.Groups), Err: ErrMissingGroup}
	}
	return nil
}

// found quotes a token's list for an error; "" (read "is absent") for none.
func found(list []string) string {
	if list == nil {
		return ""
	}
	return fmt.Sprintf("%.64q", list)
}

func mode(all bool) string {
	if all {
		return "all of "
	}
	return "one of "
}

// Hydrate fetches the keys of every pool now, so that the first request
// pays nothing. On failure the verifier stays usable and fetches on demand.
// A resolving verifier ([NewResolving]) hydrates the pools it has resolved.
func (v *Verifier) Hydrate(ctx context.Context) error {
	if v.r != nil {
		return v.r.hydrate(ctx)
	}
	return userError(v.v.Hydrate(ctx))
}

// Verify verifies token and returns its claims. It returns an error, never
// claims, unless the token is a strictly well-formed JWT signed by a
// current key of a configured pool, for a configured client, of the
// configured token_use, within its validity (exp required, nbf and iat
// when present, with leeway), with the required scopes and groups, and
// accepted by Config.Check. Match errors with errors.Is against the Err
// values of this package; ErrKeysUnavailable means the keys could not be
// fetched (a 503, not a 401).
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v.r != nil {
		c, err := v.r.verify(ctx, token)
		return c, userError(err)
	}
	oc, err := v.v.Verify(ctx, token)
	if err != nil {
		return nil, userError(err)
	}
	return cognitoClaims(oc)
}

// derive types the Cognito claims once per verified token: package oidc
// keeps the result with the token in its cache, so a repeated token is
// not typed again.
func derive(oc *oidc.Claims) (any, error) { return newClaims(oc) }

// cognitoClaims returns the Cognito claims derive built for oc.
func cognitoClaims(oc *oidc.Claims) (*Claims, error) {
	if c, ok := oc.Derived().(*Claims); ok {
		return c, nil
	}
	return newClaims(oc) // not reached: every config sets Derive
}
