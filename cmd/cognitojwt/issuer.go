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
	fs := newFlagSet("issuer", "issuer [flags]   (or: issuer mint [flags])", stderr)
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
	if *keysDir != "" {
		fmt.Fprintf(stdout, "mint a token: cognitojwt issuer mint --keys %s --url %s --pool-id %s\n", *keysDir, iss.URL, iss.PoolID)
	}
	return serve(ctx, ln, h, stderr)
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
	fs := newFlagSet("issuer mint", "issuer mint [flags]", stderr)
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
		return usageError("--keys is required: the directory the issuer was started with")
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
	_, err = fmt.Fprintln(stdout, token)
	return err
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
