package httpauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/cognitojwt/cognitojwt/jwks"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// claims is a claims type of the tests' own, with the methods the
// requirements read.
type claims struct {
	Subject string
	Scopes  []string
	Groups  []string
}

func (c *claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }
func (c *claims) InGroup(g string) bool  { return slices.Contains(c.Groups, g) }

// stub verifies the tokens it lists: claims for the good ones, errors for
// the others, invalid_token for the rest. Its token names are long and
// odd so that a test can tell they were never echoed.
type stub map[string]result

type result struct {
	c   *claims
	err error
}

func (s stub) Verify(ctx context.Context, token string) (*claims, error) {
	r, ok := s[token]
	if !ok {
		return nil, fmt.Errorf("%w: not a stub token", oidc.ErrMalformed)
	}
	return r.c, r.err
}

const (
	tokReader   = "tok-reader-Q7zX.payload.sig"
	tokAdmin    = "tok-admin-W3vY.payload.sig"
	tokExpired  = "tok-expired-K9pL.payload.sig"
	tokDown     = "tok-down-R2mN.payload.sig"
	tokNil      = "tok-nil-B5cD.payload.sig"
	tokOdd      = "tok-odd-H8fG.payload.sig"
	tokCanceled = "tok-canceled-J4sT.payload.sig"
	tokClient   = "tok-client-V6uE.payload.sig"
	tokUnknown  = "tok-unknown-P1aZ.payload.sig"
)

var stubVerifier = stub{
	tokReader:   {c: &claims{Subject: "reader", Scopes: []string{"orders/read"}, Groups: []string{"users"}}},
	tokAdmin:    {c: &claims{Subject: "admin", Scopes: []string{"openid"}, Groups: []string{"admin", "users"}}},
	tokExpired:  {err: &oidc.ValidationError{Claim: "exp", Found: "1700000000", Err: oidc.ErrExpired}},
	tokDown:     {err: fmt.Errorf("%w: fetch https://idp.example/jwks: 500", jwks.ErrKeysUnavailable)},
	tokNil:      {},
	tokOdd:      {err: errors.New("the revocation list says " + tokOdd)},
	tokCanceled: {err: context.Canceled},
	tokClient:   {err: &oidc.ValidationError{Claim: "client_id", Found: `"someone-else"`, Err: errors.New("cognitojwt: invalid client")}},
}

// echo answers 200 with the subject of the request's claims, or
// "anonymous".
func echo(w http.ResponseWriter, r *http.Request) {
	c, ok := httpauth.ClaimsFrom[*claims](r.Context())
	if !ok {
		io.WriteString(w, "anonymous")
		return
	}
	io.WriteString(w, c.Subject)
}

func newAuth(t testing.TB, opts *httpauth.Options) *httpauth.Auth[*claims] {
	t.Helper()
	a, err := httpauth.New(stubVerifier, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// routes is the test API: one route per kind of requirement.
func routes(a *httpauth.Auth[*claims]) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /public", echo)
	mux.Handle("GET /me", a.Require()(http.HandlerFunc(echo)))
	mux.Handle("GET /orders", a.Require(httpauth.Scope("orders/read", "orders/admin"))(http.HandlerFunc(echo)))
	mux.Handle("GET /all", a.Require(httpauth.AllScopes("orders/read", "openid"))(http.HandlerFunc(echo)))
	mux.Handle("GET /admin", a.Require(httpauth.Group("admin"))(http.HandlerFunc(echo)))
	mux.Handle("GET /both", a.Require(httpauth.Scope("orders/read"), httpauth.AllGroups("users", "staff"))(http.HandlerFunc(echo)))
	mux.Handle("GET /tenants/{tenant}", a.Require(httpauth.Check(func(r *http.Request, c *claims) bool {
		return r.PathValue("tenant") == c.Subject
	}))(http.HandlerFunc(echo)))
	mux.Handle("GET /feed", a.Optional()(http.HandlerFunc(echo)))
	return mux
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, path string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(body)}
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// Every status and header of RFC 6750 §3, on the wire.
func TestResponses(t *testing.T) {
	srv := httptest.NewServer(routes(newAuth(t, nil)))
	defer srv.Close()

	const (
		bare      = `Bearer realm="api"`
		badReq    = `Bearer realm="api", error="invalid_request", error_description="the request does not carry a well-formed bearer token"`
		twoTokens = `Bearer realm="api", error="invalid_request", error_description="the request carries more than one access token"`
		invalid   = `Bearer realm="api", error="invalid_token", error_description="the access token is invalid"`
		malformed = `Bearer realm="api", error="invalid_token", error_description="the access token is not a well-formed JWT"`
		expired   = `Bearer realm="api", error="invalid_token", error_description="the access token expired"`
		tooLarge  = `Bearer realm="api", error="invalid_token", error_description="the access token is too large"`
		client    = `Bearer realm="api", error="invalid_token", error_description="the access token was issued to another client or audience"`
		noScope   = `Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders/read orders/admin"`
		noGroup   = `Bearer realm="api", error="insufficient_scope", error_description="the user is not in a required group"`
		forbidden = `Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant access to this resource"`
	)
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		status int
		reason httpauth.Reason
		www    string // WWW-Authenticate; "" means absent
		body   string // the handler's body, on 200
	}{
		{"public", "/public", nil, 200, "", "", "anonymous"},
		{"valid", "/me", bearer(tokReader), 200, "", "", "reader"},
		{"scheme lower case", "/me", http.Header{"Authorization": {"bearer " + tokReader}}, 200, "", "", "reader"},
		{"scheme upper case", "/me", http.Header{"Authorization": {"BEARER " + tokReader}}, 200, "", "", "reader"},
		{"several spaces", "/me", http.Header{"Authorization": {"Bearer   " + tokReader}}, 200, "", "", "reader"},

		{"no token", "/me", nil, 401, httpauth.ReasonMissingToken, bare, ""},
		{"basic scheme", "/me", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, 401, httpauth.ReasonMissingToken, bare, ""},
		{"token in query, not enabled", "/me?access_token=" + tokReader, nil, 401, httpauth.ReasonMissingToken, bare, ""},

		{"empty authorization", "/me", http.Header{"Authorization": {""}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"bearer alone", "/me", http.Header{"Authorization": {"Bearer"}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"bearer and spaces", "/me", http.Header{"Authorization": {"Bearer   "}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"two tokens", "/me", http.Header{"Authorization": {"Bearer " + tokReader + " " + tokAdmin}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"auth-params", "/me", http.Header{"Authorization": {`Bearer realm="x", token="` + tokReader + `"`}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"trailing comma", "/me", http.Header{"Authorization": {"Bearer " + tokReader + ","}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"tab", "/me", http.Header{"Authorization": {"Bearer\t" + tokReader}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"not b64token", "/me", http.Header{"Authorization": {`Bearer a"b<script>`}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"padding inside", "/me", http.Header{"Authorization": {"Bearer ab=cd"}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"two authorization fields", "/me", http.Header{"Authorization": {"Bearer " + tokReader, "Bearer " + tokReader}}, 400, httpauth.ReasonMultipleTokens, twoTokens, ""},
		{"bearer and basic fields", "/me", http.Header{"Authorization": {"Bearer " + tokReader, "Basic dXNlcjpwYXNz"}}, 400, httpauth.ReasonMultipleTokens, twoTokens, ""},

		{"too large", "/me", bearer(strings.Repeat("a", httpauth.DefaultMaxTokenSize+1)), 401, httpauth.ReasonTokenTooLarge, tooLarge, ""},
		{"at the size limit", "/me", bearer(strings.Repeat("a", httpauth.DefaultMaxTokenSize)), 401, httpauth.ReasonMalformedToken, malformed, ""},
		{"unknown token", "/me", bearer(tokUnknown), 401, httpauth.ReasonMalformedToken, malformed, ""},
		{"expired", "/me", bearer(tokExpired), 401, httpauth.ReasonExpired, expired, ""},
		{"other client", "/me", bearer(tokClient), 401, httpauth.ReasonInvalidAudience, client, ""},
		{"verifier error of its own", "/me", bearer(tokOdd), 401, httpauth.ReasonInvalidToken, invalid, ""},
		{"nil claims, nil error", "/me", bearer(tokNil), 401, httpauth.ReasonInvalidToken, invalid, ""},

		{"scope any-of", "/orders", bearer(tokReader), 200, "", "", "reader"},
		{"scope missing", "/orders", bearer(tokAdmin), 403, httpauth.ReasonMissingScope, noScope, ""},
		{"all scopes, one missing", "/all", bearer(tokReader), 403, httpauth.ReasonMissingScope,
			`Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders/read openid"`, ""},
		{"group", "/admin", bearer(tokAdmin), 200, "", "", "admin"},
		{"group missing", "/admin", bearer(tokReader), 403, httpauth.ReasonMissingGroup, noGroup, ""},
		{"scope and all groups", "/both", bearer(tokReader), 403, httpauth.ReasonMissingGroup,
			`Bearer realm="api", error="insufficient_scope", error_description="the user is not in a required group", scope="orders/read"`, ""},
		{"check", "/tenants/reader", bearer(tokReader), 200, "", "", "reader"},
		{"check refuses", "/tenants/admin", bearer(tokReader), 403, httpauth.ReasonForbidden, forbidden, ""},
		{"check after verification", "/tenants/admin", bearer(tokExpired), 401, httpauth.ReasonExpired, expired, ""},

		{"keys unavailable", "/me", bearer(tokDown), 503, httpauth.ReasonKeysUnavailable, "", ""},
		{"canceled", "/me", bearer(tokCanceled), 503, httpauth.ReasonInterrupted, "", ""},

		{"optional, no token", "/feed", nil, 200, "", "", "anonymous"},
		{"optional, valid", "/feed", bearer(tokAdmin), 200, "", "", "admin"},
		{"optional, bad token", "/feed", bearer(tokExpired), 401, httpauth.ReasonExpired, expired, ""},
		{"optional, malformed", "/feed", http.Header{"Authorization": {"Bearer"}}, 400, httpauth.ReasonMalformedRequest, badReq, ""},
		{"optional, basic", "/feed", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, 200, "", "", "anonymous"},
		{"optional, keys unavailable", "/feed", bearer(tokDown), 503, httpauth.ReasonKeysUnavailable, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, srv, tc.path, tc.header)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.status, res.body)
			}
			if got := res.header.Values("WWW-Authenticate"); tc.www == "" && len(got) != 0 || tc.www != "" && !slices.Equal(got, []string{tc.www}) {
				t.Errorf("WWW-Authenticate %q\nwant %q", got, tc.www)
			}
			if tc.status == 200 {
				if res.body != tc.body {
					t.Errorf("body %q, want %q", res.body, tc.body)
				}
				if cc := res.header.Get("Cache-Control"); cc != "" {
					t.Errorf("Cache-Control %q on a success", cc)
				}
				return
			}
			checkRefusal(t, res, tc.status, tc.reason)
			if tc.status == 503 {
				if got := res.header.Get("Retry-After"); got != "5" {
					t.Errorf("Retry-After %q, want 5", got)
				}
			} else if got := res.header.Get("Retry-After"); got != "" {
				t.Errorf("Retry-After %q on a %d", got, tc.status)
			}
		})
	}
}

// checkRefusal checks what every refusal has: no-store, a problem+json
// body with the fixed text of its reason, and nothing of the request.
func checkRefusal(t *testing.T, res response, status int, reason httpauth.Reason) {
	t.Helper()
	if got := res.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	if got := res.header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type %q", got)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(res.body), &p); err != nil {
		t.Fatalf("body %q: %v", res.body, err)
	}
	want := map[string]any{
		"type":   "about:blank",
		"title":  http.StatusText(status),
		"status": float64(status),
		"detail": reason.Description(),
		"reason": string(reason),
	}
	if code := reason.Code(); code != "" {
		want["error"] = code
	}
	if s, ok := p["scope"]; ok {
		want["scope"] = s
	}
	if fmt.Sprint(p) != fmt.Sprint(want) {
		t.Errorf("body %v\nwant %v", p, want)
	}
	// Never the token, nor anything else the client sent.
	all := res.body
	for k, v := range res.header {
		all += k + ": " + strings.Join(v, ", ") + "\n"
	}
	for tok := range stubVerifier {
		if strings.Contains(all, strings.Split(tok, ".")[0]) {
			t.Errorf("response echoes token %q:\n%s", tok, all)
		}
	}
	for _, s := range []string{"<script>", "someone-else", "revocation", "idp.example", "dXNlcjpwYXNz"} {
		if strings.Contains(all, s) {
			t.Errorf("response echoes %q:\n%s", s, all)
		}
	}
}

// Every configured source, the order they are read in, and the refusal of
// a token sent two ways.
func TestSources(t *testing.T) {
	a := newAuth(t, &httpauth.Options{Sources: []httpauth.Source{
		httpauth.Bearer(),
		httpauth.Header("accesstoken"),
		httpauth.Cookie("id_token"),
		httpauth.ALBAccessToken(),
		httpauth.Query(""),
	}})
	srv := httptest.NewServer(routes(a))
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		status int
		reason httpauth.Reason
	}{
		{"bearer", "/me", bearer(tokReader), 200, ""},
		{"named header", "/me", http.Header{"Accesstoken": {tokReader}}, 200, ""},
		{"named header, any case", "/me", http.Header{"ACCESSTOKEN": {tokReader}}, 200, ""},
		{"cookie", "/me", http.Header{"Cookie": {"theme=dark; id_token=" + tokReader}}, 200, ""},
		{"quoted cookie", "/me", http.Header{"Cookie": {`id_token="` + tokReader + `"`}}, 200, ""},
		{"alb", "/me", http.Header{"X-Amzn-Oidc-Accesstoken": {tokReader}}, 200, ""},
		{"query", "/me?access_token=" + tokReader, nil, 200, ""},
		{"none", "/me", http.Header{"Cookie": {"theme=dark"}}, 401, httpauth.ReasonMissingToken},

		{"bearer and cookie", "/me", http.Header{"Authorization": {"Bearer " + tokReader}, "Cookie": {"id_token=" + tokReader}}, 400, httpauth.ReasonMultipleTokens},
		{"header and query", "/me?access_token=" + tokReader, http.Header{"Accesstoken": {tokReader}}, 400, httpauth.ReasonMultipleTokens},
		{"two cookies", "/me", http.Header{"Cookie": {"id_token=" + tokReader + "; id_token=" + tokAdmin}}, 400, httpauth.ReasonMultipleTokens},
		{"two query parameters", "/me?access_token=" + tokReader + "&access_token=" + tokReader, nil, 400, httpauth.ReasonMultipleTokens},
		{"two named headers", "/me", http.Header{"Accesstoken": {tokReader, tokReader}}, 400, httpauth.ReasonMultipleTokens},
		{"scheme in named header", "/me", http.Header{"Accesstoken": {"Bearer " + tokReader}}, 400, httpauth.ReasonMalformedRequest},
		{"bad cookie", "/me", http.Header{"Cookie": {"id_token=a,b"}}, 400, httpauth.ReasonMalformedRequest},
		{"bad query", "/me?access_token=a%zz", nil, 400, httpauth.ReasonMalformedRequest},
		{"basic and cookie", "/me", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}, "Cookie": {"id_token=" + tokReader}}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, srv, tc.path, tc.header)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.status, res.body)
			}
			if tc.status != 200 {
				checkRefusal(t, res, tc.status, tc.reason)
			}
			// RFC 6750 §2.3: a success with a query token is private.
			if cc := res.header.Get("Cache-Control"); tc.status == 200 && strings.Contains(tc.path, "access_token") != (cc == "private") {
				t.Errorf("Cache-Control %q", cc)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	var events []httpauth.Event
	var mu sync.Mutex
	var logs bytes.Buffer
	a := newAuth(t, &httpauth.Options{
		Realm:        `orders "v2" \ api`,
		MaxTokenSize: 64,
		RetryAfter:   1500 * time.Millisecond,
		Logger:       slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Observe: func(r *http.Request, e httpauth.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		},
	})
	srv := httptest.NewServer(routes(a))
	defer srv.Close()

	res := do(t, srv, "/me", nil)
	if got, want := res.header.Get("WWW-Authenticate"), `Bearer realm="orders \"v2\" \\ api"`; got != want {
		t.Errorf("WWW-Authenticate %s, want %s", got, want)
	}
	if res := do(t, srv, "/me", bearer(strings.Repeat("a", 65))); res.status != 401 || !strings.Contains(res.body, "token_too_large") {
		t.Errorf("65-byte token: %d %s", res.status, res.body)
	}
	if res := do(t, srv, "/me", bearer(tokDown)); res.status != 503 || res.header.Get("Retry-After") != "2" {
		t.Errorf("503: Retry-After %q", res.header.Get("Retry-After"))
	}
	do(t, srv, "/orders", bearer(tokAdmin))
	do(t, srv, "/orders", bearer(tokReader))
	do(t, srv, "/feed", nil)

	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s %d %s", e.Reason, e.Status, e.Source))
		if e.Duration < 0 {
			t.Errorf("negative duration %v", e.Duration)
		}
	}
	want := []string{
		"missing_token 401 ",
		"token_too_large 401 bearer",
		"keys_unavailable 503 bearer",
		"missing_scope 403 bearer",
		"ok 0 bearer",
		"anonymous 0 ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n%q\nwant\n%q", got, want)
	}

	// One line per refusal, with the reason and the route, never a token;
	// the verifier's error only for the outage.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d log lines:\n%s", len(lines), logs.String())
	}
	for i, want := range []string{
		`"level":"DEBUG","msg":"httpauth: request refused","status":401,"reason":"missing_token","route":"GET /me"}`,
		`"level":"INFO","msg":"httpauth: request refused","status":401,"reason":"token_too_large","source":"bearer","route":"GET /me"}`,
		`"level":"WARN","msg":"httpauth: request refused","status":503,"reason":"keys_unavailable","source":"bearer","route":"GET /me","error":"jwks: keys unavailable: fetch https://idp.example/jwks: 500"}`,
		`"level":"INFO","msg":"httpauth: request refused","status":403,"reason":"missing_scope","source":"bearer","route":"GET /orders"}`,
	} {
		if !strings.HasSuffix(lines[i], want) {
			t.Errorf("log line %d:\n%s\nwant suffix\n%s", i, lines[i], want)
		}
	}
	if strings.Contains(logs.String(), "tok-") || strings.Contains(logs.String(), "aaaa") {
		t.Errorf("logs hold a token:\n%s", logs.String())
	}
}

// The error handler replaces the body; the headers are already set.
func TestErrorHandler(t *testing.T) {
	var got *httpauth.Error
	a := newAuth(t, &httpauth.Options{
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, e *httpauth.Error) {
			got = e
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("Cache-Control not set before the error handler")
			}
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(e.Status)
			fmt.Fprintf(w, "%s (%s)\n", e.Reason.Description(), e.Code())
		},
	})
	srv := httptest.NewServer(routes(a))
	defer srv.Close()

	res := do(t, srv, "/orders", bearer(tokAdmin))
	if res.status != 403 || res.body != "the access token lacks a required scope (insufficient_scope)\n" {
		t.Errorf("%d %q", res.status, res.body)
	}
	if !strings.Contains(res.header.Get("WWW-Authenticate"), `scope="orders/read orders/admin"`) {
		t.Errorf("WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
	}
	if got.Status != 403 || got.Reason != httpauth.ReasonMissingScope || got.Source != httpauth.Bearer() ||
		!slices.Equal(got.Scope, []string{"orders/read", "orders/admin"}) || got.Err != nil {
		t.Errorf("Error = %+v", got)
	}

	do(t, srv, "/me", bearer(tokExpired))
	if !errors.Is(got, oidc.ErrExpired) || got.Reason != httpauth.ReasonExpired {
		t.Errorf("Error = %v, want one that wraps ErrExpired", got)
	}
	if s := got.Error(); !strings.HasPrefix(s, "httpauth: 401 expired: oidc: token expired") {
		t.Errorf("Error() = %q", s)
	}
	do(t, srv, "/me", bearer(tokDown))
	if got.RetryAfter != 5*time.Second || !errors.Is(got, jwks.ErrKeysUnavailable) {
		t.Errorf("Error = %+v", got)
	}
}

// A HEAD request gets the headers of a refusal and no body.
func TestHead(t *testing.T) {
	srv := httptest.NewServer(routes(newAuth(t, nil)))
	defer srv.Close()
	res, err := srv.Client().Head(srv.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("HEAD: %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
}

func TestNewRefuses(t *testing.T) {
	var nilStub *ptrStub
	if _, err := httpauth.New[*claims](nil, nil); err == nil {
		t.Error("nil verifier accepted")
	}
	if _, err := httpauth.New(nilStub, nil); err == nil {
		t.Error("nil *ptrStub accepted")
	}
	for _, o := range []httpauth.Options{
		{Realm: "a\r\nSet-Cookie: x=1"},
		{Realm: "réalm"},
		{Sources: []httpauth.Source{}},
		{Sources: []httpauth.Source{{}}},
		{Sources: []httpauth.Source{httpauth.Bearer(), httpauth.Bearer()}},
		{Sources: []httpauth.Source{httpauth.Cookie("a"), httpauth.Cookie("a")}},
		{Sources: []httpauth.Source{httpauth.Header("Authorization")}},
		{Sources: []httpauth.Source{httpauth.Header("cookie")}},
		{Sources: []httpauth.Source{httpauth.Header("bad header")}},
		{Sources: []httpauth.Source{httpauth.Header("")}},
		{Sources: []httpauth.Source{httpauth.Cookie("a;b")}},
		{Sources: []httpauth.Source{httpauth.Query("a&b")}},
		{MaxTokenSize: -1},
		{RetryAfter: -time.Second},
	} {
		if _, err := httpauth.New(stubVerifier, &o); err == nil {
			t.Errorf("New accepted %+v", o)
		}
	}
}

type ptrStub struct{}

func (*ptrStub) Verify(context.Context, string) (*claims, error) { return nil, nil }

// stringVerifier's claims can answer no requirement.
type stringVerifier struct{}

func (stringVerifier) Verify(context.Context, string) (string, error) { return "sub", nil }

// A requirement that cannot be applied is a panic at set-up, never an
// open route.
func TestRequirePanics(t *testing.T) {
	a := newAuth(t, nil)
	s, err := httpauth.New(stringVerifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"zero requirement":    func() { a.Require(httpauth.Requirement{}) },
		"no scopes":           func() { a.Require(httpauth.Scope()) },
		"empty scope":         func() { a.Require(httpauth.Scope("")) },
		"scope with space":    func() { a.Require(httpauth.Scope("a b")) },
		"scope with quote":    func() { a.Require(httpauth.AllScopes(`a"b`)) },
		"no groups":           func() { a.Require(httpauth.Group()) },
		"empty group":         func() { a.Require(httpauth.AllGroups("admin", "")) },
		"token use on stub":   func() { a.Require(httpauth.TokenUse("access")) },
		"nil check":           func() { a.Require(httpauth.Check[*claims](nil)) },
		"check of other type": func() { a.Require(httpauth.Check(func(*http.Request, *oidc.Claims) bool { return true })) },
		"scope on strings":    func() { s.Require(httpauth.Scope("a")) },
		"group on strings":    func() { s.Require(httpauth.Group("a")) },
		"nil handler":         func() { a.Require()(nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	// And what can be applied is accepted.
	s.Require(httpauth.Check(func(_ *http.Request, c string) bool { return c == "sub" }))
}

func TestClaimsFrom(t *testing.T) {
	a := newAuth(t, nil)
	var fromAuth, fromOther bool
	h := a.Require()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c *claims
		c, fromAuth = a.Claims(r)
		_, fromOther = httpauth.ClaimsFrom[*oidc.Claims](r.Context())
		if c.Subject != "reader" {
			t.Errorf("claims %+v", c)
		}
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tokReader)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !fromAuth || fromOther {
		t.Errorf("Claims: %v, ClaimsFrom[*oidc.Claims]: %v", fromAuth, fromOther)
	}
	if _, ok := a.Claims(r); ok {
		t.Error("claims on a request that did not pass the middleware")
	}
}

func TestReasons(t *testing.T) {
	for _, r := range []httpauth.Reason{
		httpauth.ReasonMissingToken, httpauth.ReasonMultipleTokens, httpauth.ReasonMalformedRequest,
		httpauth.ReasonTokenTooLarge, httpauth.ReasonMalformedToken, httpauth.ReasonUnsupportedAlgorithm,
		httpauth.ReasonInvalidSignature, httpauth.ReasonUnknownKey, httpauth.ReasonInvalidIssuer,
		httpauth.ReasonInvalidAudience, httpauth.ReasonInvalidTokenUse, httpauth.ReasonExpired,
		httpauth.ReasonNotYetValid, httpauth.ReasonInvalidClaims, httpauth.ReasonCheckFailed,
		httpauth.ReasonInvalidToken, httpauth.ReasonMissingScope, httpauth.ReasonMissingGroup,
		httpauth.ReasonForbidden, httpauth.ReasonKeysUnavailable, httpauth.ReasonInterrupted,
		httpauth.ReasonRevoked, httpauth.ReasonRevocationUnavailable,
	} {
		d := r.Description()
		if r.Status() == 0 || d == "" {
			t.Errorf("%s: status %d, description %q", r, r.Status(), d)
		}
		// error_description is NQSCHAR: no quote, no backslash (RFC 6750 §3).
		for i := 0; i < len(d); i++ {
			if c := d[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Errorf("%s: description %q has %q", r, d, c)
			}
		}
		want := map[int]string{400: "invalid_request", 401: "invalid_token", 403: "insufficient_scope", 503: ""}[r.Status()]
		if r == httpauth.ReasonMissingToken {
			want = ""
		}
		if r.Code() != want {
			t.Errorf("%s: code %q, want %q", r, r.Code(), want)
		}
	}
	if httpauth.ReasonOK.Status() != 0 || httpauth.ReasonAnonymous.Code() != "" {
		t.Error("admitting reasons have a response")
	}
}
