package cognitotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTokenEndpoint(t *testing.T) {
	iss := newIssuer(t)
	iss.ClientSecret = "s3cret"
	set := fetchSet(t, iss)
	tests := []struct {
		name        string
		form        url.Values
		user, pass  string // HTTP Basic when user != ""
		contentType string // default form
		status      int
		errCode     string
		scope       string // granted, when 200
	}{
		{"basic auth, all scopes", url.Values{"grant_type": {"client_credentials"}}, iss.ClientID, "s3cret", "", 200, "", "test-api/read test-api/write"},
		{"form auth, one scope", url.Values{"grant_type": {"client_credentials"}, "client_id": {iss.ClientID}, "client_secret": {"s3cret"}, "scope": {"test-api/write"}}, "", "", "", 200, "", "test-api/write"},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, iss.ClientID, "nope", "", 400, "invalid_client", ""},
		{"no secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {iss.ClientID}}, "", "", "", 400, "invalid_client", ""},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}}, "other", "s3cret", "", 400, "invalid_client", ""},
		{"no grant", url.Values{}, iss.ClientID, "s3cret", "", 400, "invalid_request", ""},
		{"password grant", url.Values{"grant_type": {"password"}}, iss.ClientID, "s3cret", "", 400, "unsupported_grant_type", ""},
		{"scope not granted", url.Values{"grant_type": {"client_credentials"}, "scope": {"test-api/read test-api/admin"}}, iss.ClientID, "s3cret", "", 400, "invalid_scope", ""},
		{"scopes split by TAB", url.Values{"grant_type": {"client_credentials"}, "scope": {"test-api/read\ttest-api/write"}}, iss.ClientID, "s3cret", "", 400, "invalid_scope", ""},
		{"scopes split by NBSP", url.Values{"grant_type": {"client_credentials"}, "scope": {"test-api/read\u00a0test-api/write"}}, iss.ClientID, "s3cret", "", 400, "invalid_scope", ""},
		{"scopes split by two spaces", url.Values{"grant_type": {"client_credentials"}, "scope": {" test-api/read  test-api/write "}}, iss.ClientID, "s3cret", "", 200, "", "test-api/read test-api/write"},
		{"openid scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, iss.ClientID, "s3cret", "", 400, "invalid_scope", ""},
		{"JSON body", url.Values{"grant_type": {"client_credentials"}}, iss.ClientID, "s3cret", "application/json", 400, "invalid_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", iss.TokenURL(), strings.NewReader(tt.form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			ct := tt.contentType
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ct)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var out struct {
				AccessToken string `json:"access_token"`
				ExpiresIn   int    `json:"expires_in"`
				TokenType   string `json:"token_type"`
				Error       string `json:"error"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if tt.status != 200 {
				if out.Error != tt.errCode || out.AccessToken != "" {
					t.Fatalf("body %s, want error %q", body, tt.errCode)
				}
				return
			}
			if out.TokenType != "Bearer" || out.ExpiresIn != 3600 || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("response %s, Cache-Control %q", body, resp.Header.Get("Cache-Control"))
			}
			tok := mustVerify(t, set, out.AccessToken)
			if got := str(t, tok, "scope"); got != tt.scope {
				t.Errorf("scope %q, want %q", got, tt.scope)
			}
			if tok.Claims.Subject != iss.ClientID || str(t, tok, "client_id") != iss.ClientID || tok.Claims.Issuer != iss.IssuerURL() {
				t.Errorf("claims %s", tok.Claims.Raw())
			}
			if _, ok := tok.Claims.Get("username"); ok {
				t.Error("M2M token has a username")
			}
		})
	}
}

func TestTokenEndpointWithoutSecret(t *testing.T) {
	iss := newIssuer(t)
	for _, secret := range []string{"", "anything"} {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {iss.ClientID}, "client_secret": {secret}}
		resp, err := http.PostForm(iss.TokenURL(), form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("secret %q: status %d, want 200 (ClientSecret is empty)", secret, resp.StatusCode)
		}
	}
	big := url.Values{"grant_type": {"client_credentials"}, "client_id": {iss.ClientID}, "pad": {strings.Repeat("x", 70<<10)}}
	resp, err := http.PostForm(iss.TokenURL(), big)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("oversized form: status %d, want 400", resp.StatusCode)
	}
}
