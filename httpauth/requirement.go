package httpauth

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"

	"github.com/cognitojwt/cognitojwt/jws"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// Requirement is a rule a verified token must also satisfy on one route,
// on top of the verifier's own rules. Build it with [Scope], [AllScopes],
// [Group], [AllGroups], [TokenUse] or [Check]; requirements given together
// to [Auth.Require] must all hold. A requirement the claims type cannot
// answer (Scope on claims with no HasScope method, say) is a programming
// error that Require reports by panicking, at route set-up, as
// http.ServeMux does for a bad pattern: it never lets a request through.
type Requirement struct {
	kind  reqKind
	names []string
	all   bool
	check any // func(*http.Request, C) bool
	ctype reflect.Type
}

type reqKind uint8

const (
	reqScope reqKind = iota + 1
	reqGroup
	reqTokenUse
	reqCheck
)

// Claims types answer scope and group requirements through these methods;
// *cognitojwt.Claims and *oidc.Claims have both, and Get, which TokenUse
// reads.
type (
	scoper      interface{ HasScope(scope string) bool }
	grouper     interface{ InGroup(group string) bool }
	claimGetter interface {
		Get(name string) (jws.Value, bool)
	}
)

// Scope requires at least one of the scopes (RFC 6749 §3.3 scope tokens,
// compared exactly). A token without one is refused with 403
// insufficient_scope, and the challenge's scope attribute lists the
// route's scopes. The claims type needs a HasScope(string) bool method.
// Require panics on an empty list, and on a name with a space, a quote, a
// backslash or a control character, which no scope can contain.
func Scope(scopes ...string) Requirement {
	return Requirement{kind: reqScope, names: slices.Clone(scopes)}
}

// AllScopes is [Scope] requiring every one of the scopes.
func AllScopes(scopes ...string) Requirement {
	return Requirement{kind: reqScope, names: slices.Clone(scopes), all: true}
}

// Group requires membership of at least one of the groups, compared
// exactly ("cognito:groups" for Cognito, the verifier's groups claim for
// oidc). A token without one is refused with 403 insufficient_scope, with
// no scope attribute unless the route also requires scopes: a group is
// not an OAuth scope a client could ask for. The claims type needs an
// InGroup(string) bool method. Require panics on an empty list or name.
func Group(groups ...string) Requirement {
	return Requirement{kind: reqGroup, names: slices.Clone(groups)}
}

// AllGroups is [Group] requiring membership of every one of the groups.
func AllGroups(groups ...string) Requirement {
	return Requirement{kind: reqGroup, names: slices.Clone(groups), all: true}
}

// TokenUse requires the "token_use" claim to be one of uses, such as
// cognitojwt.AccessToken ("access") or cognitojwt.IDToken ("id"), for a
// route behind a verifier configured with cognitojwt.AnyTokenUse. A token
// of another kind is refused with 401 invalid_token: it is the wrong
// token, not a token with too little scope. The claims type needs a
// Get(string) (jws.Value, bool) method. Require panics on an empty list
// or value.
func TokenUse[S ~string](uses ...S) Requirement {
	names := make([]string, len(uses))
	for i, u := range uses {
		names[i] = string(u)
	}
	return Requirement{kind: reqTokenUse, names: names}
}

// Check requires f to return true for the request and its verified claims:
// a tenant in the path that must match a claim, an attribute, a time of
// day. It runs after every other requirement. When f returns false the
// request is refused with 403 insufficient_scope (reason "forbidden").
// C must be the claims type of the Auth whose Require it is given to;
// Require panics otherwise, or when f is nil.
func Check[C any](f func(r *http.Request, c C) bool) Requirement {
	var ck any
	if f != nil {
		ck = f
	}
	return Requirement{kind: reqCheck, check: ck, ctype: reflect.TypeFor[C]()}
}

// route is the compiled requirements of one Require call.
type route[C any] struct {
	uses   []string
	scopes []rule
	groups []rule
	checks []func(*http.Request, C) bool
	scope  []string // every scope the route names, for the challenge
}

type rule struct {
	names []string
	all   bool
}

// compile checks reqs against the claims type C, once.
func compile[C any](reqs []Requirement) (*route[C], error) {
	rt := &route[C]{}
	t := reflect.TypeFor[C]()
	for _, q := range reqs {
		switch q.kind {
		case reqScope:
			if !t.Implements(reflect.TypeFor[scoper]()) {
				return nil, fmt.Errorf("httpauth: Scope needs claims with a HasScope(string) bool method, and %v has none", t)
			}
			if err := checkNames("scope", q.names, oidc.IsScopeToken); err != nil {
				return nil, err
			}
			rt.scopes = append(rt.scopes, rule{q.names, q.all})
			for _, s := range q.names {
				if !slices.Contains(rt.scope, s) {
					rt.scope = append(rt.scope, s)
				}
			}
		case reqGroup:
			if !t.Implements(reflect.TypeFor[grouper]()) {
				return nil, fmt.Errorf("httpauth: Group needs claims with an InGroup(string) bool method, and %v has none", t)
			}
			if err := checkNames("group", q.names, func(s string) bool { return s != "" }); err != nil {
				return nil, err
			}
			rt.groups = append(rt.groups, rule{q.names, q.all})
		case reqTokenUse:
			if !t.Implements(reflect.TypeFor[claimGetter]()) {
				return nil, fmt.Errorf("httpauth: TokenUse needs claims with a Get(string) (jws.Value, bool) method, and %v has none", t)
			}
			if err := checkNames("token use", q.names, func(s string) bool { return s != "" }); err != nil {
				return nil, err
			}
			if rt.uses != nil {
				return nil, errors.New("httpauth: TokenUse given twice: list every accepted use in one")
			}
			rt.uses = q.names
		case reqCheck:
			if q.check == nil {
				return nil, errors.New("httpauth: Check with a nil function")
			}
			f, ok := q.check.(func(*http.Request, C) bool)
			if !ok {
				return nil, fmt.Errorf("httpauth: Check takes %v claims, but this Auth verifies %v", q.ctype, t)
			}
			rt.checks = append(rt.checks, f)
		default:
			return nil, errors.New("httpauth: zero Requirement: use Scope, AllScopes, Group, AllGroups, TokenUse or Check")
		}
	}
	return rt, nil
}

func checkNames(what string, names []string, valid func(string) bool) error {
	if len(names) == 0 {
		return fmt.Errorf("httpauth: no %s listed: a requirement must name at least one", what)
	}
	for _, n := range names {
		if !valid(n) {
			return fmt.Errorf("httpauth: invalid %s %q", what, n)
		}
	}
	return nil
}

// check applies the route's requirements to verified claims, failing
// closed: claims that cannot answer (compile rules that out for the
// static type, but an interface type's dynamic value may differ) refuse.
func (rt *route[C]) check(r *http.Request, c C) Reason {
	if rt.uses != nil {
		g, ok := any(c).(claimGetter)
		if !ok {
			return ReasonInvalidTokenUse
		}
		v, ok := g.Get("token_use")
		if !ok {
			return ReasonInvalidTokenUse
		}
		use, err := v.AsString()
		if err != nil || !slices.Contains(rt.uses, use) {
			return ReasonInvalidTokenUse
		}
	}
	if rt.scopes != nil {
		s, ok := any(c).(scoper)
		if !ok {
			return ReasonMissingScope
		}
		for _, ru := range rt.scopes {
			n := 0
			for _, name := range ru.names {
				if s.HasScope(name) {
					n++
				}
			}
			if n == 0 || ru.all && n != len(ru.names) {
				return ReasonMissingScope
			}
		}
	}
	if rt.groups != nil {
		g, ok := any(c).(grouper)
		if !ok {
			return ReasonMissingGroup
		}
		for _, ru := range rt.groups {
			n := 0
			for _, name := range ru.names {
				if g.InGroup(name) {
					n++
				}
			}
			if n == 0 || ru.all && n != len(ru.names) {
				return ReasonMissingGroup
			}
		}
	}
	for _, f := range rt.checks {
		if !f(r, c) {
			return ReasonForbidden
		}
	}
	return ""
}
