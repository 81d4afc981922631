package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// cmdVerify verifies one token against a Cognito pool or any issuer and
// prints its claims as JSON.
func cmdVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", "verify [flags] [token|-]", stderr)
	var (
		pool      = fs.String("user-pool-id", "", "Cognito user pool id, such as us-east-1_AbCdEfGhI")
		tokenUse  = fs.String("token-use", "access", "Cognito token use: access, id or any")
		clients   listFlag
		anyClient = fs.Bool("any-client", false, "accept every app client of the pool (or every audience of the issuer)")
		groups    listFlag
		scopes    listFlag
		issuer    = fs.String("issuer", "", "issuer URL: with --user-pool-id, overrides the derived one (emulators); alone, verifies any OIDC issuer")
		audiences listFlag
		jwksURL   = fs.String("jwks-url", "", "where the keys are (default: derived from the pool, or OIDC discovery)")
		leeway    = fs.Duration("leeway", 0, "clock skew allowed on exp, nbf, iat (default 5s)")
		insecure  = fs.Bool("allow-insecure-http", false, "allow plain-http issuer and JWKS URLs on hosts other than loopback")
		timeout   = fs.Duration("timeout", 10*time.Second, "how long to wait for keys")
	)
	fs.Var(&clients, "client-id", "accepted app client id (repeatable, or comma-separated)")
	fs.Var(&groups, "group", "required group, any-of (repeatable)")
	fs.Var(&scopes, "scope", "required scope, any-of (repeatable)")
	fs.Var(&audiences, "audience", "accepted audience for --issuer without --user-pool-id (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	token, err := tokenArg(fs, stdin)
	if err != nil {
		return err
	}

	var verify func(context.Context, string) (any, error)
	switch {
	case *pool != "":
		if len(audiences) > 0 {
			return usageError("--audience is for --issuer without --user-pool-id; use --client-id for a pool")
		}
		cfg := cognitojwt.Config{
			UserPoolID:        *pool,
			TokenUse:          cognitojwt.TokenUse(*tokenUse),
			ClientIDs:         clients,
			AllowAnyClient:    *anyClient,
			Issuer:            *issuer,
			JWKSURL:           *jwksURL,
			Leeway:            *leeway,
			AllowInsecureHTTP: *insecure,
			CacheSize:         -1,
		}
		if len(groups) > 0 {
			cfg.Groups = groups
		}
		if len(scopes) > 0 {
			cfg.Scopes = scopes
		}
		v, err := cognitojwt.New(cfg)
		if err != nil {
			return usageError("%v", err)
		}
		verify = func(ctx context.Context, t string) (any, error) { return v.Verify(ctx, t) }
	case *issuer != "":
		if len(clients) > 0 {
			return usageError("--client-id is for --user-pool-id; use --audience for an issuer")
		}
		cfg := oidc.Config{
			Issuer:            *issuer,
			Audiences:         audiences,
			AllowAnyAudience:  *anyClient,
			JWKSURL:           *jwksURL,
			Leeway:            *leeway,
			AllowInsecureHTTP: *insecure,
			CacheSize:         -1,
		}
		if len(groups) > 0 {
			cfg.Groups = groups
		}
		if len(scopes) > 0 {
			cfg.Scopes = scopes
		}
		v, err := oidc.New(cfg)
		if err != nil {
			return usageError("%v", err)
		}
		verify = func(ctx context.Context, t string) (any, error) { return v.Verify(ctx, t) }
	default:
		return usageError("give --user-pool-id (Cognito) or --issuer (any OIDC issuer)")
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	claims, err := verify(ctx, token)
	if err != nil {
		if errors.Is(err, cognitojwt.ErrKeysUnavailable) {
			return fmt.Errorf("cannot verify: %w", err)
		}
		return fmt.Errorf("invalid token: %w", err)
	}
	raw := claims.(interface{ Raw() []byte }).Raw()
	return printJSON(stdout, raw)
}

// printJSON writes raw JSON indented, with a newline.
func printJSON(w io.Writer, raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}
