package gateway

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt/jws"
)

const baseDoc = "upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c]}]\n"

// TestConfigRefuses has one row per shape that would drop, weaken or
// silently change a rule, or fail only at start, reload or run time. Each
// error must name the YAML key and its line, never a Go name.
func TestConfigRefuses(t *testing.T) {
	route := func(s string) string { return baseDoc + "routes:\n  - " + s + "\n" }
	tests := []struct{ name, doc, want string }{
		{"empty groups", route(`{pattern: "/admin/", groups: []}`), "line 4: routes[0].groups: empty list"},
		{"blank group", route(`{pattern: "/admin/", groups: [""]}`), "routes[0].groups[0]"},
		{"padded group", route(`{pattern: "/admin/", groups: [" admin"]}`), "routes[0].groups[0]"},
		{"group with a control character", route("{pattern: \"/admin/\", groups: [\"ad\\tmin\"]}"), "routes[0].groups[0]"},
		{"empty scopes", route(`{pattern: "/a/", scopes: []}`), "routes[0].scopes: empty list"},
		{"scope with a space", route(`{pattern: "/a/", scopes: ["a b"]}`), "routes[0].scopes[0]"},
		{"scope with a no-break space", route("{pattern: \"/a/\", scopes: [\"a\u00a0b\"]}"), "routes[0].scopes[0]"},
		{"scope with a tab", route("{pattern: \"/a/\", scopes: [\"a\\tb\"]}"), "routes[0].scopes[0]"},
		{"blank scope", route(`{pattern: "/a/", scopes: [""]}`), "routes[0].scopes[0]"},
		{"all_groups without groups", route(`{pattern: "/a/", all_groups: true}`), "routes[0].all_groups"},
		{"all_scopes without scopes", route(`{pattern: "/a/", all_scopes: true}`), "routes[0].all_scopes"},
		{"unknown method", route(`{pattern: "GETT /admin/"}`), `unknown method "GETT"`},
		{"lower-case method", route(`{pattern: "get /admin/"}`), `unknown method "get"`},
		{"unclosed wildcard", route(`{pattern: "/{x"}`), "routes[0].pattern"},
		{"space in pattern", route(`{pattern: "/a b"}`), "routes[0].pattern"},
		{"catch-all conflicts with the default", route(`{pattern: "/{path...}"}`), "default route"},
		{"conflicting patterns", baseDoc + "routes: [{pattern: \"/a/\"}, {pattern: \"/a/\"}]\n", "routes[1].pattern"},
		{"patterns that differ in case", baseDoc + "routes: [{pattern: \"/a/\"}, {pattern: \"/A/\", groups: [x]}]\n", "letter case"},
		{"upper-case host", route(`{pattern: "Admin.example.com/"}`), "lower case"},
		{"host with a port", route(`{pattern: "admin.example.com:8080/"}`), "port"},
		{"pattern without a path", route(`{pattern: "GET"}`), "routes[0].pattern"},
		{"empty pattern", route(`{groups: [a]}`), "routes[0].pattern: required"},
		{"anonymous with groups", route(`{pattern: "/a/", anonymous: true, groups: [x]}`), "routes[0].anonymous"},
		{"anonymous with scopes", route(`{pattern: "/a/", anonymous: true, scopes: [x]}`), "routes[0].anonymous"},
		{"anonymous with token_use", route(`{pattern: "/a/", anonymous: true, token_use: id}`), "routes[0].anonymous"},
		{"anonymous with all_groups", route(`{pattern: "/a/", anonymous: true, all_groups: true}`), "routes[0].anonymous"},
		{"bad token_use", route(`{pattern: "/a/", token_use: refresh}`), "routes[0].token_use"},
		{"empty routes", baseDoc + "routes: []\n", "routes: empty list"},
		{"forward_auth_path / with upstream", baseDoc + "forward_auth_path: /\n", "forward_auth_path"},
		{"forward_auth_path wildcard", baseDoc + "forward_auth_path: \"/{x\"\n", "forward_auth_path"},
		{"forward_auth_path with a space", baseDoc + "forward_auth_path: \"/a b\"\n", "forward_auth_path"},
		{"forward_auth_path relative", baseDoc + "forward_auth_path: _auth\n", "forward_auth_path"},
		{"realm with a control character", baseDoc + "realm: \"a\\u0001b\"\n", "line 3: realm"},
		{"realm non-ASCII", baseDoc + "realm: \"réalm\"\n", "realm"},
		{"invalid claims_header", baseDoc + "claims_header: \"X Auth\"\n", "claims_header"},
		{"claims_header with a colon", baseDoc + "claims_header: \"X-Auth:\"\n", "claims_header"},
		{"claims_header is Authorization", baseDoc + "claims_header: Authorization\n", "claims_header"},
		{"claims_header mapped twice", baseDoc + "claims_header: X-A\nheaders: {sub: X-A}\n", "claims_header"},
		{"invalid header name", baseDoc + "headers: {sub: \"X Sub\"}\n", "headers.sub"},
		{"header with a newline", baseDoc + "headers: {sub: \"X-Sub\\n\"}\n", "headers.sub"},
		{"header carrying Authorization", baseDoc + "headers: {sub: Authorization}\n", "Authorization"},
		{"header carrying a method override", baseDoc + "headers: {sub: X-HTTP-Method-Override}\n", "headers.sub"},
		{"two claims one header", baseDoc + "headers: {sub: X-A, username: x_a}\n", "X-A"},
		{"unknown key", baseDoc + "grups: [x]\n", `line 3: unknown key "grups"`},
		{"wrong type", baseDoc + "routes: {pattern: /}\n", "want a list of routes"},
		{"bad duration", baseDoc + "timeouts: {upstream: soon}\n", "duration"},
		{"unknown algorithm", "upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c], algorithms: [HS256]}]\n", "pools[0].algorithms[0]"},
		{"empty algorithms", "upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c], algorithms: []}]\n", "pools[0].algorithms: empty list"},
		{"blank client id", "upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [\"\"]}]\n", "pools[0].client_ids[0]"},
		{"pool without clients", "upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X}]\n", "client_ids"},
		{"issuer without audiences", "upstream: http://127.0.0.1:1\nissuers: [{issuer: \"https://i.example\"}]\n", "audiences"},
		{"empty sources", baseDoc + "sources: []\n", "sources: empty list"},
		{"bad source", baseDoc + "sources: [bogus]\n", "sources[0]"},
		{"header source with a bad name", baseDoc + "sources: [\"header:X Token\"]\n", "sources[0]"},
		{"unknown custom method", baseDoc + "custom_methods: [propfind]\n", "custom_methods[0]"},
		{"bad method override header", baseDoc + "method_override_headers: [\"X Y\"]\n", "method_override_headers[0]"},
		{"bad header_encoding", baseDoc + "header_encoding: json\n", "header_encoding"},
		{"negative limit", baseDoc + "limits: {max_in_flight: -5}\n", "limits.max_in_flight"},
		{"upstream with credentials", "upstream: http://u:p@127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c]}]\n", "upstream"},
		{"empty document", "", "empty"},
		{"not a mapping", "[1, 2]\n", "mapping"},
	}
	goName := regexp.MustCompile(`\b(RouteConfig|PoolConfig|Config\.|ClientIDs|Audiences|UserPoolID|gateway\.|\.go:)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %q", err, tt.want)
			}
			if goName.MatchString(err.Error()) {
				t.Errorf("error names Go code: %v", err)
			}
		})
	}
}

// TestConfigAccepts is the control: the shapes beside the refused ones.
func TestConfigAccepts(t *testing.T) {
	for _, doc := range []string{
		baseDoc,
		baseDoc + "routes:\n  - {pattern: \"/admin/\", groups: [admin], all_groups: true}\n  - {pattern: \"GET /a/{id}\", scopes: [orders/read, \"x:y\"]}\n",
		baseDoc + "routes: [{pattern: \"/a/{path...}\"}, {pattern: \"/\", anonymous: true}]\n",
		baseDoc + "routes: [{pattern: \"admin.example.com/\"}, {pattern: \"PROPFIND /dav/\"}]\ncustom_methods: [PROPFIND]\n",
		baseDoc + "routes: [{pattern: \"/a/\"}, {pattern: \"/A/\"}]\ncase_sensitive: true\n",
		baseDoc + "forward_auth_path: /_auth\nrealm: my-api\nclaims_header: X-Auth-Claims\nheaders: {sub: X-Auth-Sub}\n",
		"forward_auth_path: /\npools: [{user_pool_id: us-east-1_X, client_ids: [c]}]\n",
		baseDoc + "method_override_headers: []\nheader_encoding: comma\nlimits: {max_in_flight: -1, max_connections: 10, min_body_rate: -1}\n",
		"upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c], algorithms: [RS256, ES256], leeway: 0s}]\n",
	} {
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("refused:\n%s\n%v", doc, err)
		}
	}
}

// TestLeeway: absent is the library default, an explicit 0s is none (the
// library's negative Leeway), anything else as written.
func TestLeeway(t *testing.T) {
	pool := func(extra string) PoolConfig {
		cfg, err := Parse([]byte("upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c]" + extra + "}]\nissuers: [{issuer: \"https://i.example\", allow_any_audience: true" + extra + "}]\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := cfg.Issuers[0].oidc().Leeway, cfg.Pools[0].cognito().Leeway; got != want {
			t.Errorf("issuer leeway %v, pool %v", got, want)
		}
		return cfg.Pools[0]
	}
	for _, tc := range []struct {
		extra string
		want  time.Duration
	}{{"", 0}, {", leeway: 0s", -1}, {", leeway: 2s", 2 * time.Second}} {
		if got := pool(tc.extra).cognito().Leeway; got != tc.want {
			t.Errorf("%q: Leeway %v, want %v", tc.extra, got, tc.want)
		}
	}
}

func TestAlgorithmsKey(t *testing.T) {
	cfg, err := Parse([]byte("upstream: http://127.0.0.1:1\npools: [{user_pool_id: us-east-1_X, client_ids: [c], algorithms: [RS256, ES256]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Pools[0].cognito().Algorithms; len(got) != 2 || got[1] != jws.ES256 {
		t.Errorf("Algorithms %v", got)
	}
	if cfg, _ := Parse([]byte(baseDoc)); cfg.Pools[0].cognito().Algorithms != nil {
		t.Error("absent algorithms must leave the library default")
	}
}

// FuzzLoadConfig: the parser never panics, and a configuration it accepts
// builds a gateway (without network: nothing is fetched at build).
func FuzzLoadConfig(f *testing.F) {
	for _, s := range []string{
		baseDoc,
		baseDoc + "routes: [{pattern: \"/{path...}\"}]\n",
		baseDoc + "forward_auth_path: /_auth\nroutes: [{pattern: \"GET admin.example.com/a/{id}\", groups: [a]}, {pattern: \"/\", anonymous: true}]\n",
		baseDoc + "headers: {sub: X-Sub, \"cognito:groups\": X-G}\nclaims_header: X-C\nheader_encoding: comma\n",
		"forward_auth_path: /\npools: [{user_pool_id: us-east-1_X, client_ids: [c], leeway: 0s, algorithms: [ES256]}]\n",
		baseDoc + "realm: \"a\\u0001\"\n",
		baseDoc + "routes: [{pattern: \"/a/\"}, {pattern: \"/A/\"}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4<<10 {
			return
		}
		cfg, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := New(cfg, nil); err != nil {
			t.Fatalf("accepted, then failed to build: %v\n%s", err, data)
		}
	})
}
