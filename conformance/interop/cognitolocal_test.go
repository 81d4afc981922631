//go:build unix

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// emulator is a running cognito-local with its own data directory.
type emulator struct {
	URL string // http://127.0.0.1:<port>
}

// startEmulator runs cognito-local on a free loopback port. It reads its
// port and host from PORT and HOST, derives its issuer domain from them
// (http://HOST:PORT), and keeps its pools under .cognito/ in its working
// directory, here a fresh temporary one.
func startEmulator(t *testing.T) *emulator {
	t.Helper()
	mods, node := nodeModules(t, "cognito-local")
	e := &emulator{}
	startServer(t, func() (*exec.Cmd, string) {
		port := freePort(t)
		cmd := exec.Command(node, filepath.Join(mods, "cognito-local", "lib", "bin", "start.js"))
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "HOST=127.0.0.1")
		e.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
		return cmd, e.URL + "/health"
	})
	return e
}

// call sends one request of Cognito's AWS JSON 1.1 API and decodes the
// answer into out (when not nil).
func (e *emulator) call(t *testing.T, op string, in, out any) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", op, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s: %v: %s", op, err, data)
		}
	}
}

func (e *emulator) createPool(t *testing.T, name string) string {
	var out struct{ UserPool struct{ Id string } }
	e.call(t, "CreateUserPool", map[string]any{"PoolName": name}, &out)
	if out.UserPool.Id == "" {
		t.Fatal("CreateUserPool returned no pool id")
	}
	return out.UserPool.Id
}

func (e *emulator) createClient(t *testing.T, pool, name string) string {
	var out struct{ UserPoolClient struct{ ClientId string } }
	e.call(t, "CreateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientName": name}, &out)
	if out.UserPoolClient.ClientId == "" {
		t.Fatal("CreateUserPoolClient returned no client id")
	}
	return out.UserPoolClient.ClientId
}

const emulatorPassword = "Interop-Passw0rd!"

// createUser makes a confirmed user with a permanent password and returns
// its user name: the emulator, like Cognito in a pool whose username
// attribute is email, gives the user a generated (UUID) name and keeps
// the email as an alias to sign in with.
func (e *emulator) createUser(t *testing.T, pool, email string) string {
	var out struct{ User struct{ Username string } }
	e.call(t, "AdminCreateUser", map[string]any{
		"UserPoolId":     pool,
		"Username":       email,
		"MessageAction":  "SUPPRESS",
		"UserAttributes": []map[string]string{{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}},
	}, &out)
	if out.User.Username == "" {
		t.Fatal("AdminCreateUser returned no user name")
	}
	e.call(t, "AdminSetUserPassword", map[string]any{"UserPoolId": pool, "Username": email, "Password": emulatorPassword, "Permanent": true}, nil)
	return out.User.Username
}

func (e *emulator) addToGroup(t *testing.T, pool, user, group string) {
	e.call(t, "AdminAddUserToGroup", map[string]any{"UserPoolId": pool, "Username": user, "GroupName": group}, nil)
}

type tokens struct{ Access, ID, Refresh string }

// signIn runs InitiateAuth with USER_PASSWORD_AUTH.
func (e *emulator) signIn(t *testing.T, client, user string) tokens {
	var out struct {
		AuthenticationResult struct{ AccessToken, IdToken, RefreshToken string }
	}
	e.call(t, "InitiateAuth", map[string]any{
		"AuthFlow":       "USER_PASSWORD_AUTH",
		"ClientId":       client,
		"AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": emulatorPassword},
	}, &out)
	r := out.AuthenticationResult
	if r.AccessToken == "" || r.IdToken == "" || r.RefreshToken == "" {
		t.Fatalf("InitiateAuth returned %+v", r)
	}
	return tokens{r.AccessToken, r.IdToken, r.RefreshToken}
}

// emulatorWorld is what TestCognitoLocal builds in the emulator: pool A
// with clients A1 and A2, alice (group admins) and bob (no group); pool B
// with client B1 and carol.
type emulatorWorld struct {
	e                  *emulator
	poolA, poolB       string
	issA, issB         string
	a1, a2, b1         string
	alice, aliceA2     tokens // alice through A1 and A2
	bob, carol         tokens
	aliceUser, bobUser string // user names (generated) of alice and bob
}

func buildWorld(t *testing.T) *emulatorWorld {
	e := startEmulator(t)
	w := &emulatorWorld{e: e}
	w.poolA = e.createPool(t, "interop-a")
	w.poolB = e.createPool(t, "interop-b")
	// cognito-local names its issuer <IssuerDomain>/<pool id>, and
	// IssuerDomain is http://HOST:PORT: the pool id is the last segment.
	w.issA, w.issB = e.URL+"/"+w.poolA, e.URL+"/"+w.poolB
	w.a1 = e.createClient(t, w.poolA, "a1")
	w.a2 = e.createClient(t, w.poolA, "a2")
	w.b1 = e.createClient(t, w.poolB, "b1")
	w.aliceUser = e.createUser(t, w.poolA, "alice@example.com")
	w.bobUser = e.createUser(t, w.poolA, "bob@example.com")
	e.createUser(t, w.poolB, "carol@example.com")
	e.call(t, "CreateGroup", map[string]any{"UserPoolId": w.poolA, "GroupName": "admins"}, nil)
	e.addToGroup(t, w.poolA, "alice@example.com", "admins")
	w.alice = e.signIn(t, w.a1, "alice@example.com")
	w.aliceA2 = e.signIn(t, w.a2, "alice@example.com")
	w.bob = e.signIn(t, w.a1, "bob@example.com")
	w.carol = e.signIn(t, w.b1, "carol@example.com")
	return w
}

// TestCognitoLocal verifies real tokens of the cognito-local emulator
// with the library, the cognitojwt verify command and the gateway, and
// checks each refusal beside the legitimate token it differs from.
func TestCognitoLocal(t *testing.T) {
	w := buildWorld(t)
	t.Run("library", func(t *testing.T) { testEmulatorLibrary(t, w) })
	t.Run("verify command", func(t *testing.T) { testEmulatorCommand(t, w) })
	t.Run("gateway", func(t *testing.T) { testEmulatorGateway(t, w) })
	t.Run("oidc discovery", func(t *testing.T) { testEmulatorDiscovery(t, w) })
}

// testEmulatorDiscovery shows why the emulator needs the Cognito verifier
// with an Issuer override rather than OIDC discovery: its discovery
// document names http://localhost:9229/<pool> as issuer and key URL,
// whatever port and host it runs on, so discovery fails closed; with
// JWKSURL given, package oidc verifies the same token.
func testEmulatorDiscovery(t *testing.T, w *emulatorWorld) {
	ctx := context.Background()
	v, err := oidc.New(oidc.Config{Issuer: w.issA, AllowAnyAudience: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, w.alice.Access); !errors.Is(err, oidc.ErrKeysUnavailable) {
		t.Fatalf("through discovery: %v, want ErrKeysUnavailable (the document names another issuer)", err)
	}
	v, err = oidc.New(oidc.Config{Issuer: w.issA, AllowAnyAudience: true, JWKSURL: w.issA + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, w.alice.Access); err != nil {
		t.Fatalf("with JWKSURL: %v", err)
	}
}

func testEmulatorLibrary(t *testing.T, w *emulatorWorld) {
	ctx := context.Background()
	later := func() time.Time { return time.Now().Add(25 * time.Hour) } // the emulator's tokens last 24 h
	access := cognitojwt.Config{UserPoolID: w.poolA, Issuer: w.issA, TokenUse: cognitojwt.AccessToken, ClientIDs: []string{w.a1}}
	withGroup := access
	withGroup.Groups = []string{"admins"}
	id := access
	id.TokenUse = cognitojwt.IDToken
	// Both pools' clients are listed: only iss tells pool B's tokens apart,
	// since the emulator signs every pool with one key.
	bothClients := access
	bothClients.ClientIDs = []string{w.a1, w.b1}
	expired := access
	expired.Now = later
	poolB := cognitojwt.Config{UserPoolID: w.poolB, Issuer: w.issB, TokenUse: cognitojwt.AccessToken, ClientIDs: []string{w.b1}}

	tests := []struct {
		name  string
		cfg   []cognitojwt.Config
		token string
		want  error // nil: accepted
	}{
		{"access token", []cognitojwt.Config{access}, w.alice.Access, nil},
		{"access token with its group", []cognitojwt.Config{withGroup}, w.alice.Access, nil},
		{"ID token", []cognitojwt.Config{id}, w.alice.ID, nil},
		{"ID token where an access token is required", []cognitojwt.Config{access}, w.alice.ID, cognitojwt.ErrInvalidTokenUse},
		{"access token where an ID token is required", []cognitojwt.Config{id}, w.alice.Access, cognitojwt.ErrInvalidTokenUse},
		{"access token of another client", []cognitojwt.Config{access}, w.aliceA2.Access, cognitojwt.ErrInvalidClient},
		{"ID token of another client", []cognitojwt.Config{id}, w.aliceA2.ID, cognitojwt.ErrInvalidClient},
		{"pool B's token, same key, client listed", []cognitojwt.Config{bothClients}, w.carol.Access, cognitojwt.ErrInvalidIssuer},
		{"pool B's token with pool B trusted too", []cognitojwt.Config{bothClients, poolB}, w.carol.Access, nil},
		{"pool A's token with pool B trusted too", []cognitojwt.Config{bothClients, poolB}, w.alice.Access, nil},
		{"missing group", []cognitojwt.Config{withGroup}, w.bob.Access, cognitojwt.ErrMissingGroup},
		{"no group required", []cognitojwt.Config{access}, w.bob.Access, nil},
		{"expired (clock 25 h on)", []cognitojwt.Config{expired}, w.alice.Access, cognitojwt.ErrExpired},
		// The emulator's refresh token is a JWS with no kid and no
		// token_use (Cognito's are opaque JWE): no key is named.
		{"refresh token as access token", []cognitojwt.Config{access}, w.alice.Refresh, cognitojwt.ErrKeyNotFound},
		{"refresh token as any token", []cognitojwt.Config{{UserPoolID: w.poolA, Issuer: w.issA, TokenUse: cognitojwt.AnyTokenUse, AllowAnyClient: true}}, w.alice.Refresh, cognitojwt.ErrKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := cognitojwt.NewMulti(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Verify(ctx, tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Subject == "" || c.Username == "" {
					t.Errorf("claims %+v: want sub and username", c)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}

	// The typed claims of the emulator's tokens.
	v, err := cognitojwt.New(withGroup)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(ctx, w.alice.Access)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != w.issA || c.ClientID != w.a1 || c.TokenUse != cognitojwt.AccessToken || c.Username != w.aliceUser ||
		!c.InGroup("admins") || !c.HasScope("aws.cognito.signin.user.admin") || c.JTI == "" || c.EventID == "" || c.ExpiresAt.IsZero() {
		t.Errorf("access token claims: %+v", c)
	}
	vid, err := cognitojwt.New(id)
	if err != nil {
		t.Fatal(err)
	}
	c, err = vid.Verify(ctx, w.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	var email struct {
		Email string `json:"email"`
	}
	if err := c.Decode(&email); err != nil {
		t.Fatal(err)
	}
	if c.TokenUse != cognitojwt.IDToken || !slices.Equal(c.Audience, []string{w.a1}) || c.Username != w.aliceUser || email.Email != "alice@example.com" {
		t.Errorf("ID token claims: %+v, email %q", c, email.Email)
	}
}

func testEmulatorCommand(t *testing.T, w *emulatorWorld) {
	base := []string{"verify", "--user-pool-id", w.poolA, "--issuer", w.issA, "--client-id", w.a1}
	tests := []struct {
		name  string
		args  []string
		token string
		code  int
		want  string // in stdout (accepted) or stderr (refused)
	}{
		{"access token", []string{"--token-use", "access", "--group", "admins"}, w.alice.Access, 0, `"username": "` + w.aliceUser + `"`},
		{"ID token", []string{"--token-use", "id"}, w.alice.ID, 0, `"cognito:username": "` + w.aliceUser + `"`},
		{"ID token as access", []string{"--token-use", "access"}, w.alice.ID, 1, "token_use"},
		{"another client", []string{"--token-use", "access"}, w.aliceA2.Access, 1, "client"},
		{"pool B's token", []string{"--token-use", "access", "--client-id", w.b1}, w.carol.Access, 1, "iss"},
		{"missing group", []string{"--token-use", "access", "--group", "admins"}, w.bob.Access, 1, "group"},
		{"refresh token", []string{"--token-use", "any"}, w.alice.Refresh, 1, "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The token on stdin ("-") keeps it out of the process list.
			stdout, stderr, code := runCommand(t, tt.token, append(append(slices.Clone(base), tt.args...), "-")...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			out := stdout
			if code != 0 {
				out = stderr
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tt.want, stdout, stderr)
			}
		})
	}
}

func testEmulatorGateway(t *testing.T, w *emulatorWorld) {
	upstream := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(rw, "user=%s", r.Header.Get("X-Auth-User"))
	}))
	t.Cleanup(upstream.Close)
	var listen string
	startServer(t, func() (*exec.Cmd, string) {
		var admin string
		listen, admin = fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
		cfg := fmt.Sprintf(`listen: %q
admin_listen: %q
upstream: %q
pools:
  - user_pool_id: %q
    issuer: %q
    client_ids: [%q]
    token_use: access
routes:
  - pattern: /admin/
    groups: [admins]
  - pattern: /
default: deny
headers:
  username: X-Auth-User
`, listen, admin, upstream.URL, w.poolA, w.issA, w.a1)
		path := filepath.Join(t.TempDir(), "gateway.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command(cognitojwtBin(t), "proxy", "--config", path), "http://" + admin + "/readyz"
	})

	tests := []struct {
		name, path, token string
		code              int
		body              string
	}{
		{"alice, admin route", "/admin/x", w.alice.Access, 200, "user=" + w.aliceUser},
		{"bob, open route", "/hello", w.bob.Access, 200, "user=" + w.bobUser},
		{"bob, admin route", "/admin/x", w.bob.Access, 403, ""},
		{"no token", "/hello", "", 401, ""},
		{"ID token", "/hello", w.alice.ID, 401, ""},
		{"another client", "/hello", w.aliceA2.Access, 401, ""},
		{"pool B's token", "/hello", w.carol.Access, 401, ""},
		{"refresh token", "/hello", w.alice.Refresh, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://"+listen+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || (tt.body != "" && string(body) != tt.body) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, tt.code, tt.body)
			}
		})
	}
}
