package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// identity is a verified token's claims, from a Cognito pool or another
// issuer. It answers httpauth's requirements (HasScope, InGroup, Get).
type identity struct {
	oc *oidc.Claims
}

func (i *identity) HasScope(s string) bool            { return i.oc.HasScope(s) }
func (i *identity) InGroup(g string) bool             { return i.oc.InGroup(g) }
func (i *identity) Get(name string) (jws.Value, bool) { return i.oc.Get(name) }
func (i *identity) Raw() []byte                       { return i.oc.Raw() }

// verifier tries the Cognito pools, then the other issuers. A token is
// matched by its issuer, so at most one of them can accept it.
type verifier struct {
	pools   *cognitojwt.Verifier // nil when no pool is configured
	tenants *cognitojwt.Verifier // pools_from; nil when not configured
	issuers *oidc.Verifier       // nil when no issuer is configured
}

func newVerifier(cfg *Config, onEvent func(jwks.Event), rev revocation.Checker, log *slog.Logger) (*verifier, error) {
	v := &verifier{}
	if cfg.PoolsFrom != nil {
		tv, err := newPoolsFrom(cfg, onEvent, rev, log)
		if err != nil {
			return nil, err
		}
		v.tenants = tv
	}
	if len(cfg.Pools) > 0 {
		cfgs := make([]cognitojwt.Config, len(cfg.Pools))
		for i, p := range cfg.Pools {
			cfgs[i] = p.cognito()
			cfgs[i].KeyOptions.OnEvent = onEvent
			cfgs[i].Revocation = rev
			cfgs[i].CacheSize = cfg.CacheSize
		}
		pv, err := cognitojwt.NewMulti(cfgs)
		if err != nil {
			return nil, err
		}
		v.pools = pv
	}
	if len(cfg.Issuers) > 0 {
		cfgs := make([]oidc.Config, len(cfg.Issuers))
		for i, is := range cfg.Issuers {
			cfgs[i] = is.oidc()
			cfgs[i].KeyOptions.OnEvent = onEvent
			cfgs[i].Revocation = rev
			cfgs[i].CacheSize = cfg.CacheSize
		}
		iv, err := oidc.NewMulti(cfgs)
		if err != nil {
			return nil, err
		}
		v.issuers = iv
	}
	return v, nil
}

// Verify returns the identity of a valid token of any configured pool or
// issuer.
func (v *verifier) Verify(ctx context.Context, token string) (*identity, error) {
	// A token is matched by its issuer: each stage refuses a token of an
	// issuer it does not know with ErrInvalidIssuer, and only then is the
	// next asked.
	err := error(&oidc.ValidationError{Claim: "iss", Expected: "a configured issuer", Err: oidc.ErrInvalidIssuer})
	for _, cv := range []*cognitojwt.Verifier{v.pools, v.tenants} {
		if cv == nil {
			continue
		}
		var c *cognitojwt.Claims
		if c, err = cv.Verify(ctx, token); err == nil {
			return &identity{oc: &c.Claims}, nil
		}
		if !errors.Is(err, oidc.ErrInvalidIssuer) {
			return nil, err
		}
	}
	if v.issuers == nil {
		return nil, err
	}
	c, err := v.issuers.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return &identity{oc: c}, nil
}

// Hydrate fetches every key set.
func (v *verifier) Hydrate(ctx context.Context) error {
	var errs []error
	if v.pools != nil {
		errs = append(errs, v.pools.Hydrate(ctx))
	}
	if v.issuers != nil {
		errs = append(errs, v.issuers.Hydrate(ctx))
	}
	return errors.Join(errs...)
}

// headerValue renders a claim for a request header: strings as they are,
// numbers and booleans as JSON, arrays of strings as the encoding says
// (see encodeList), other values as compact JSON. A value with a control
// character (which a header cannot carry, and which would split it) or
// over 8 KiB is not forwarded.
func headerValue(v jws.Value, encoding string) (string, error) {
	var s string
	switch v.Kind() {
	case jws.String:
		str, err := v.AsString()
		if err != nil {
			return "", err
		}
		s = str
	case jws.Array:
		if list, err := v.AsStrings(); err == nil {
			if s, err = encodeList(list, encoding); err != nil {
				return "", err
			}
		} else {
			s = v.Raw()
		}
	default:
		s = v.Raw()
	}
	if len(s) > 8<<10 {
		return "", fmt.Errorf("claim value of %d bytes is too long for a header", len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return "", errors.New("claim value has a control character")
		}
	}
	return s, nil
}

// encodeList writes a list of strings so that no two lists read alike.
// "structured" is an RFC 8941 §3.1 List of sf-strings (§3.3.3): "ops",
// "admin" is two groups, "ops,admin" one; '"' and '\' are escaped, and a
// list with a member outside printable ASCII (which an sf-string cannot
// carry) is not forwarded at all, rather than forwarded short of a
// member. "comma" joins with "," and refuses members that hold a comma,
// are empty, or begin or end with white space (which list parsers trim).
func encodeList(list []string, encoding string) (string, error) {
	var b strings.Builder
	for i, m := range list {
		if encoding == "comma" {
			if m == "" || strings.ContainsRune(m, ',') || strings.TrimSpace(m) != m {
				return "", errors.New("a member is empty, holds a comma or is padded: header_encoding comma cannot carry it")
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m)
			continue
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('"')
		for j := 0; j < len(m); j++ {
			c := m[j]
			if c < 0x20 || c > 0x7e {
				return "", errors.New("a member is not printable ASCII: an RFC 8941 string cannot carry it")
			}
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	}
	return b.String(), nil
}
