package cognitojwt

import (
	"strings"
	"testing"

	"github.com/cognitojwt/cognitojwt/jws"
)

func TestIssuers(t *testing.T) {
	tests := []struct {
		pool, classic, multi string
	}{
		{"us-east-1_AbCdEfGhI", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI", "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"},
		{"eu-central-2_x1", "https://cognito-idp.eu-central-2.amazonaws.com/eu-central-2_x1", "https://issuer-cognito-idp.eu-central-2.amazonaws.com/eu-central-2_x1"},
		{"us-gov-west-1_Z9", "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_Z9", "https://issuer-cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_Z9"},
		{"cn-north-1_Abc", "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_Abc", "https://issuer-cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_Abc"},
	}
	for _, tt := range tests {
		classic, multi, err := Issuers(tt.pool)
		if err != nil || classic != tt.classic || multi != tt.multi {
			t.Errorf("Issuers(%q) = %q, %q, %v", tt.pool, classic, multi, err)
		}
	}
	for _, bad := range []string{"", "us-east-1", "us-east-1_", "_abc", "us-east-1_ab/c", "us-east-1_abc/../x", "US-EAST-1_abc", "us-east-1_abc ", "evil.com/x_abc", "us-east-1_abc?x=1", "us_east_1_abc"} {
		if _, _, err := Issuers(bad); err == nil {
			t.Errorf("Issuers(%q) accepted", bad)
		}
	}
}

func TestNewConfigErrors(t *testing.T) {
	good := Config{UserPoolID: "us-east-1_AbCdEfGhI", TokenUse: AccessToken, ClientIDs: []string{"client"}}
	if _, err := New(good); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"bad pool id", func(c *Config) { c.UserPoolID = "nope" }, "pool id"},
		{"no pool id", func(c *Config) { c.UserPoolID = "" }, "pool id"},
		{"no pool id with issuer", func(c *Config) { c.UserPoolID, c.Issuer = "", "http://localhost:9229/local_abc" }, "pool id"},
		{"issuer names another pool", func(c *Config) { c.Issuer = "http://localhost:9229/us-east-1_Other" }, "does not name"},
		{"issuer names the pool mid-path", func(c *Config) { c.Issuer = "http://localhost:9229/us-east-1_AbCdEfGhI/x" }, "does not name"},
		{"issuer names a longer pool", func(c *Config) { c.Issuer = "http://localhost:9229/xus-east-1_AbCdEfGhI" }, "does not name"},
		{"issuer with query", func(c *Config) { c.Issuer = "http://localhost:9229/us-east-1_AbCdEfGhI?x=1" }, "does not name"},
		{"issuer without path", func(c *Config) { c.Issuer = "http://localhost:9229" }, "does not name"},
		{"scope with a space", func(c *Config) { c.Scopes = []string{"a b"} }, "scope-token"},
		{"scope with a tab", func(c *Config) { c.Scopes = []string{"a\tb"} }, "scope-token"},
		{"scope with NBSP", func(c *Config) { c.Scopes = []string{"a\u00a0b"} }, "scope-token"},
		{"no token use", func(c *Config) { c.TokenUse = "" }, "TokenUse"},
		{"bad token use", func(c *Config) { c.TokenUse = "refresh" }, "TokenUse"},
		{"no clients", func(c *Config) { c.ClientIDs = nil }, "ClientIDs"},
		{"empty client", func(c *Config) { c.ClientIDs = []string{""} }, "client"},
		{"empty groups", func(c *Config) { c.Groups = []string{} }, "Groups"},
		{"empty scopes", func(c *Config) { c.Scopes = []string{} }, "Scopes"},
		{"empty group name", func(c *Config) { c.Groups = []string{""} }, "group"},
		{"scopes on ID tokens", func(c *Config) { c.TokenUse, c.Scopes = IDToken, []string{"a"} }, "ID tokens"},
		{"http issuer", func(c *Config) { c.Issuer = "http://cognito.example/pool" }, "https"},
		{"relative JWKS URL", func(c *Config) { c.JWKSURL = "/jwks.json" }, "absolute"},
		{"unsupported algorithm", func(c *Config) { c.Algorithms = []jws.Algorithm{"HS256"} }, "algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			v, err := New(cfg)
			if err == nil || v != nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	ok := []func(*Config){
		func(c *Config) { c.ClientIDs, c.AllowAnyClient = nil, true },
		func(c *Config) { c.Issuer, c.UserPoolID = "http://127.0.0.1:9229/local_pool", "local_pool" },
		func(c *Config) { c.Issuer = "http://localhost:4566/us-east-1_AbCdEfGhI" },
		func(c *Config) {
			c.Issuer, c.UserPoolID, c.AllowInsecureHTTP = "http://cognito-local:9229/us-east-1_x", "us-east-1_x", true
		},
		func(c *Config) { c.Issuer = "http://localhost:9229/us-east-1_AbCdEfGhI/" }, // a trailing slash is trimmed
		func(c *Config) { c.TokenUse = AnyTokenUse },
	}
	for i, edit := range ok {
		cfg := good
		edit(&cfg)
		if _, err := New(cfg); err != nil {
			t.Errorf("case %d refused: %v", i, err)
		}
	}
	if _, err := NewMulti(nil); err == nil {
		t.Error("NewMulti(nil) accepted")
	}
}
