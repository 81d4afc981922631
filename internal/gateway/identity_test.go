package gateway

import (
	"net/http"
	"testing"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

func TestEncodeList(t *testing.T) {
	for _, tc := range []struct {
		enc  string
		list []string
		want string // "" = not forwarded
	}{
		{"structured", []string{"ops", "admin"}, `"ops", "admin"`},
		{"structured", []string{"ops,admin"}, `"ops,admin"`},
		{"structured", []string{`a"b\c`}, `"a\"b\\c"`},
		{"structured", []string{"a b", ""}, `"a b", ""`},
		{"structured", []string{"ops", "ädmin"}, ""},
		{"structured", []string{"a\x7fb"}, ""},
		{"comma", []string{"ops", "admin"}, "ops,admin"},
		{"comma", []string{"ops,admin"}, ""},
		{"comma", []string{"ops", " admin"}, ""},
		{"comma", []string{"ops", ""}, ""},
	} {
		got, err := encodeList(tc.list, tc.enc)
		if (err != nil) != (tc.want == "") || got != tc.want && err == nil {
			t.Errorf("%s %q = %q, %v; want %q", tc.enc, tc.list, got, err, tc.want)
		}
	}
}

// TestIdentityHeadersUnambiguous: a user in the group "ops,admin" and a
// user in "ops" and "admin" reach the upstream with different headers, in
// both modes; with header_encoding comma, the first is not forwarded.
func TestIdentityHeadersUnambiguous(t *testing.T) {
	for _, tc := range []struct {
		enc, extra    string
		one, two, odd string // X-Auth-Groups for [ops,admin], [ops admin], [ops ädmin]
	}{
		{"structured", "", `"ops,admin"`, `"ops", "admin"`, ""},
		{"comma", "header_encoding: comma\n", "", "ops,admin", "ops,ädmin"},
	} {
		t.Run(tc.enc, func(t *testing.T) {
			iss := cognitotest.NewIssuer(t, testKey())
			up := newUpstream(t)
			gw := newGateway(t, testConfig(t, iss, up.URL, tc.extra))
			for _, row := range []struct {
				groups []string
				want   string
			}{{[]string{"ops,admin"}, tc.one}, {[]string{"ops", "admin"}, tc.two}, {[]string{"ops", "ädmin"}, tc.odd}} {
				hdr := map[string]string{"Authorization": "Bearer " + iss.AccessToken(cognitotest.TokenOptions{Groups: row.groups}), "X-Auth-Groups": "spoofed"}
				if resp, _ := get(t, gw.URL+"/api/x", hdr); resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				h, _ := up.seen()
				if got := h.Values("X-Auth-Groups"); row.want == "" && got != nil || row.want != "" && (len(got) != 1 || got[0] != row.want) {
					t.Errorf("proxy, groups %q: X-Auth-Groups %q, want %q", row.groups, got, row.want)
				}
				hdr["X-Original-Method"], hdr["X-Original-URI"] = "GET", "/api/x"
				resp, _ := get(t, gw.URL+"/_auth", hdr)
				if got := resp.Header.Values("X-Auth-Groups"); resp.StatusCode != http.StatusOK || row.want == "" && got != nil || row.want != "" && (len(got) != 1 || got[0] != row.want) {
					t.Errorf("forward-auth, groups %q: %d X-Auth-Groups %q, want %q", row.groups, resp.StatusCode, got, row.want)
				}
			}
		})
	}
}
