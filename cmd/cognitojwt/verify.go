package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/oidc"
)

// cmdVerify verifies one token against a Cognito pool or any issuer and
// prints its claims as JSON.
func cmdVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", "verify (--user-pool-id POOL | --issuer URL) [flags] [token|-]", `Verify one token (the argument, or one line on stdin; a "Bearer " prefix is
removed) against a Cognito user pool or any OpenID Connect issuer, and print
its claims as JSON. Exit 0 valid, 1 refused, 2 bad flags, 3 keys unavailable.`, stderr)
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
		leeway    = fs.Duration("leeway", cognitojwt.DefaultLeeway, "clock skew allowed on exp, nbf, iat; 0 for none")
		insecure  = fs.Bool("allow-insecure-http", false, "allow plain-http issuer and JWKS URLs on hosts other than loopback")
		timeout   = fs.Duration("timeout", 10*time.Second, "how long to wait for keys")
		asJSON    = fs.Bool("json", false, `print one JSON object on stdout, valid or not: {"valid":true,"claims":{…}} or {"valid":false,"unavailable":false,"error":"…"}`)
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

	if *leeway < 0 {
		return usageError("--leeway %v: want a duration of 0 or more", *leeway)
	}
	// The library reads a zero Leeway as its default; here 0 means what
	// it says, and the library spells "none" as a negative value.
	libLeeway := *leeway
	if libLeeway == 0 {
		libLeeway = -1
	}
	if *tokenUse != "access" && *tokenUse != "id" && *tokenUse != "any" {
		return usageError("--token-use %q: want access, id or any", *tokenUse)
	}
	if len(clients) == 0 && !*anyClient && *pool != "" {
		return usageError("give --client-id (the app client ids to accept), or --any-client")
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
			Leeway:            libLeeway,
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
			return configError(err)
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
			Leeway:            libLeeway,
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
			return configError(err)
		}
		verify = func(ctx context.Context, t string) (any, error) { return v.Verify(ctx, t) }
	default:
		return usageError("give --user-pool-id (Cognito) or --issuer (any OIDC issuer)")
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	claims, err := verify(ctx, token)
	if err != nil {
		unavailable := errors.Is(err, cognitojwt.ErrKeysUnavailable)
		if *asJSON {
			if err := writeJSON(stdout, verifyResult{Valid: false, Unavailable: unavailable, Error: err.Error()}); err != nil {
				return err
			}
		}
		if unavailable {
			return &unavailableErr{fmt.Errorf("cannot verify: %w", err)}
		}
		return fmt.Errorf("invalid token: %w", err)
	}
	raw := claims.(interface{ Raw() []byte }).Raw()
	if *asJSON {
		return writeJSON(stdout, verifyResult{Valid: true, Claims: raw})
	}
	return printJSON(stdout, raw)
}

// verifyResult is what verify --json prints: one line, for scripts.
type verifyResult struct {
	Valid       bool            `json:"valid"`
	Unavailable bool            `json:"unavailable,omitempty"`
	Error       string          `json:"error,omitempty"`
	Claims      json.RawMessage `json:"claims,omitempty"`
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	out, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// fieldFlags names, for each configuration field of the verifiers, the
// flag that sets it: a CLI user never sees a Go field name.
var fieldFlags = strings.NewReplacer(
	"AllowAnyClient", "--any-client",
	"AllowAnyAudience", "--any-client",
	"AllowInsecureHTTP", "--allow-insecure-http",
	"ClientIDs", "--client-id",
	"UserPoolID", "--user-pool-id",
	"TokenUse", "--token-use",
	"AccessToken, IDToken or AnyTokenUse", "access, id or any",
	"JWKSURL", "--jwks-url",
	"Audiences", "--audience",
	"Issuer", "--issuer",
	"Leeway", "--leeway",
	"Groups", "--group",
	"Scopes", "--scope",
)

// configError reports a verifier's configuration error as a usage error
// in the CLI's words: without the library's package prefix (main adds
// its own) and with flags in place of field names.
func configError(err error) error {
	msg := err.Error()
	for _, p := range []string{"cognitojwt: ", "oidc: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return usageError("%s", fieldFlags.Replace(msg))
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
