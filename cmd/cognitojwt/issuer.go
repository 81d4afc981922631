package main

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
)

// cmdIssuer serves a local Cognito-compatible issuer, or with "mint" as
// its first argument mints a token with that issuer's keys.
func cmdIssuer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "mint" {
		return cmdMint(args[1:], stdout, stderr)
	}
	fs := newFlagSet("issuer", "issuer [flags]   (or: issuer mint [flags])", `Serve a local Cognito-compatible issuer for development: JWKS, OpenID
discovery and a client_credentials token endpoint (M2M tokens). With --keys
its signing keys live in a directory, so they survive restarts and
"cognitojwt issuer mint --keys DIR" can mint user tokens it will vouch for.
Never trust this issuer in production.`, stderr)
	var (
		addr      = fs.String("addr", "127.0.0.1:9229", "address to listen on")
		poolID    = fs.String("pool-id", cognitotest.DefaultPoolID, "user pool id, <region>_<id>")
		clientID  = fs.String("client-id", cognitotest.DefaultClientID, "app client id")
		secret    = fs.String("client-secret", "", "app client secret for the token endpoint (default: any)")
		keysDir   = fs.String("keys", "", "directory holding the signing keys, so they survive restarts (created with a new key when empty)")
		publicURL = fs.String("url", "", "URL clients reach this server at (default http://<addr>)")
	)
	var scopes listFlag
	fs.Var(&scopes, "scope", "custom scope the client may get in M2M tokens (repeatable; default test-api/read,test-api/write)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("unexpected arguments: %q", fs.Args())
	}
	iss, err := newIssuer(*poolID, *clientID, *keysDir)
	if err != nil {
		return err
	}
	iss.ClientSecret = *secret
	if len(scopes) > 0 {
		iss.Scopes = scopes
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	iss.URL = strings.TrimSuffix(*publicURL, "/")
	if iss.URL == "" {
		iss.URL = "http://" + ln.Addr().String()
	}
	h, err := iss.Handler()
	if err != nil {
		ln.Close()
		return usageError("%v", err)
	}
	fmt.Fprintf(stdout, "cognitotest issuer for pool %s, client %s\n", iss.PoolID, iss.ClientID)
	fmt.Fprintf(stdout, "  issuer:    %s\n  jwks:      %s\n  discovery: %s\n  token:     %s (client_credentials)\n",
		iss.IssuerURL(), iss.JWKSURL(), iss.DiscoveryURL(), iss.TokenURL())
	printIssuerHelp(stdout, iss, *keysDir)
	return serve(ctx, ln, h, stderr)
}

// printIssuerHelp prints the paste-safe commands that get a token from
// this issuer: an M2M token from its token endpoint always, and user
// tokens with "issuer mint" when its keys are in a directory (an issuer
// without --keys holds its key in memory only, so nothing else can sign
// for it: the banner says how to change that instead).
func printIssuerHelp(w io.Writer, iss *cognitotest.Issuer, keysDir string) {
	fmt.Fprintf(w, "\nGet tokens (paste as is into bash, zsh or fish):\n")
	fmt.Fprintf(w, "  # an M2M access token, client credentials\n")
	fmt.Fprintf(w, "  curl -s -d grant_type=client_credentials -d client_id=%s %s\n", shellQuote(iss.ClientID), shellQuote(iss.TokenURL()))
	if keysDir == "" {
		fmt.Fprintf(w, "  # user tokens need the key on disk: restart with --keys DIR, then run\n")
		fmt.Fprintf(w, "  # cognitojwt issuer mint --keys DIR --url %s --pool-id %s --client-id %s --username alice\n", iss.URL, iss.PoolID, iss.ClientID)
		return
	}
	fmt.Fprintf(w, "  # a user access token, add --token-use id for an ID token\n")
	fmt.Fprintf(w, "  cognitojwt issuer mint --keys %s --url %s --pool-id %s --client-id %s --username alice\n",
		shellQuote(keysDir), shellQuote(iss.URL), shellQuote(iss.PoolID), shellQuote(iss.ClientID))
}

// newIssuer returns an unstarted issuer whose keys come from dir (a new
// key is generated and saved when dir has none), or a fresh key when dir
// is empty.
func newIssuer(poolID, clientID, dir string) (*cognitotest.Issuer, error) {
	iss := cognitotest.NewUnstartedIssuer()
	iss.PoolID, iss.ClientID = poolID, clientID
	if dir == "" {
		return iss, nil
	}
	signers, err := cognitotest.LoadKeys(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k, err := cognitotest.GenerateKey()
		if err != nil {
			return nil, err
		}
		signers = []crypto.Signer{k}
		if err := cognitotest.SaveKeys(dir, signers); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	iss.Signers = signers
	return iss, nil
}

// serve runs h on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler, stderr io.Writer) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// cmdMint mints one token with the keys of an issuer started with --keys.
func cmdMint(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("issuer mint", "issuer mint --keys DIR [flags]", `Mint one token, signed with the key in DIR, that a running
"cognitojwt issuer --keys DIR" vouches for (its JWKS publishes that key), and
print it on stdout. When no issuer at --url publishes the key, a warning on
stderr says so: verifiers fetching keys from --url would refuse the token.`, stderr)
	var (
		keysDir  = fs.String("keys", "", "the issuer's key directory (required; the issuer must be started with the same --keys)")
		url      = fs.String("url", "http://127.0.0.1:9229", "the issuer server's URL")
		poolID   = fs.String("pool-id", cognitotest.DefaultPoolID, "user pool id")
		clientID = fs.String("client-id", cognitotest.DefaultClientID, "app client id")
		use      = fs.String("token-use", "access", "access, id or m2m")
		username = fs.String("username", "", "user name (default testuser)")
		ttl      = fs.Duration("ttl", 0, "lifetime (default 1h)")
		expired  = fs.Bool("expired", false, "mint an already expired token")
	)
	var scopes, groups, claims listFlag
	fs.Var(&scopes, "scope", "scope (repeatable)")
	fs.Var(&groups, "group", "cognito:groups entry (repeatable)")
	fs.Func("claim", "extra claim name=value; value is JSON when it parses, else a string (repeatable)", func(s string) error {
		claims = append(claims, s)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *keysDir == "" {
		return usageError("--keys is required: start the issuer with \"cognitojwt issuer --keys DIR\" and pass the same DIR here " +
			"(an issuer started without --keys keeps its key in memory; it hands out M2M tokens at its token endpoint, see its banner)")
	}
	signers, err := cognitotest.LoadKeys(*keysDir)
	if err != nil {
		return usageError("loading keys: %v", err)
	}
	iss := cognitotest.NewUnstartedIssuer()
	iss.URL, iss.PoolID, iss.ClientID, iss.Signers = strings.TrimSuffix(*url, "/"), *poolID, *clientID, signers
	opts := cognitotest.TokenOptions{Username: *username, Groups: groups, Scopes: scopes, TTL: *ttl, Expired: *expired}
	if len(claims) > 0 {
		opts.Claims = map[string]any{}
		for _, c := range claims {
			name, value, ok := strings.Cut(c, "=")
			if !ok || name == "" {
				return usageError("--claim %q: want name=value", c)
			}
			var v any = value
			if json.Valid([]byte(value)) {
				v = json.RawMessage(value)
			}
			opts.Claims[name] = v
		}
	}
	if *use != "m2m" {
		// A stable sub per user and pool, as the running issuer and
		// Cognito keep one: tokens minted in separate runs name the same
		// user the same way.
		name := *username
		if name == "" {
			name = cognitotest.DefaultUsername
		}
		opts.Subject = stableUUID(*poolID + "\x00" + name)
	}
	var token string
	switch *use {
	case "access":
		token, err = iss.MintAccess(opts)
	case "id":
		token, err = iss.MintID(opts)
	case "m2m":
		token, err = iss.MintM2M(opts)
	default:
		return usageError("--token-use %q: want access, id or m2m", *use)
	}
	if err != nil {
		return usageError("%v", err)
	}
	if _, err := fmt.Fprintln(stdout, token); err != nil {
		return err
	}
	warnUnpublished(iss, stderr)
	return nil
}

// warnUnpublished warns when the issuer at iss.URL does not answer, or
// does not publish the key the token was signed with: the token is fine,
// but a verifier that fetches keys from there will refuse it.
func warnUnpublished(iss *cognitotest.Issuer, stderr io.Writer) {
	if _, err := iss.Handler(); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iss.JWKSURL(), nil)
	if err != nil {
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "cognitojwt: warning: no issuer answers at %s; start \"cognitojwt issuer --keys DIR\" with this --keys so verifiers can fetch the key\n", iss.URL)
		return
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set) != nil {
		fmt.Fprintf(stderr, "cognitojwt: warning: %s did not serve a key set (status %d)\n", iss.JWKSURL(), resp.StatusCode)
		return
	}
	for _, k := range set.Keys {
		for _, mine := range iss.KeyIDs() {
			if k.Kid == mine {
				return
			}
		}
	}
	fmt.Fprintf(stderr, "cognitojwt: warning: the issuer at %s does not publish the key in --keys: it was started with other --keys (or none), so verifiers will refuse this token\n", iss.URL)
}

// stableUUID formats the first 16 bytes of SHA-256(s) as a version 4,
// variant 1 UUID: the shape Cognito's sub has, derived deterministically.
func stableUUID(s string) string {
	h := sha256.Sum256([]byte(s))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
