package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/internal/resp"
	"github.com/cognitojwt/cognitojwt/internal/revsync"
	"github.com/cognitojwt/cognitojwt/revocation"
)

// storeEnv names the store URL when --store is not given, so that a
// password need not appear in the process list.
const storeEnv = "COGNITOJWT_REVOCATION_STORE"

const revokeSynopsis = `revoke --store redis://HOST:PORT/DB (--jti ID | --origin-jti ID | --sub SUB | --username NAME) [--before RFC3339]
       cognitojwt revoke --store redis://HOST:PORT/DB --list`

// cmdRevoke runs "cognitojwt revoke" and returns the exit code.
func cmdRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := revoke(ctx, args, stdout, stderr)
	var se resp.ServerError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, new(*usageErr)):
		fmt.Fprintf(stderr, "cognitojwt: %v\n", err)
		return exitUsage
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "cognitojwt: the store refused: %v\n", err)
		return exitInvalid
	default:
		fmt.Fprintf(stderr, "cognitojwt: store unavailable: %v\n", err)
		return exitUnavailable
	}
}

func revoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("revoke", revokeSynopsis, `Records a revocation in the Redis store that gateways and the library's
revocation/redis store read; every instance refuses the matching tokens
within a second (see docs/REVOCATION.md). --jti revokes one token,
--origin-jti every token of one sign-in, --sub and --username every token
of the user issued at or before --before (default now). --list prints the
live entries. The store URL may come from $`+storeEnv+`.`, stderr)
	store := fs.String("store", "", "the revocation store, redis://[user:password@]host:port/db or rediss:// (default $"+storeEnv+")")
	jti := fs.String("jti", "", "revoke the token with this jti")
	origin := fs.String("origin-jti", "", "revoke every token with this origin_jti (one sign-in and its refreshes)")
	sub := fs.String("sub", "", "revoke every token of this sub issued at or before --before")
	username := fs.String("username", "", "revoke every token of this Cognito username issued at or before --before")
	before := fs.String("before", "", "with --sub or --username: the cut-off, RFC 3339 (default now)")
	list := fs.Bool("list", false, "print the live entries instead: kind, value, time, expiry")
	lifetime := fs.Duration("max-lifetime", revocation.DefaultMaxLifetime, "the longest a token of the issuer is valid; the entry is kept this long plus "+revocation.DefaultMargin.String())
	prefix := fs.String("prefix", revsync.DefaultPrefix, "the Redis names' prefix, as the gateway's revocation.prefix")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the store")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("revoke takes no arguments, got %q", fs.Arg(0))
	}
	if *store == "" {
		*store = os.Getenv(storeEnv)
	}
	if *store == "" {
		return usageError("--store is required (or $%s)", storeEnv)
	}
	opts, err := resp.ParseURL(*store)
	if err != nil {
		return usageError("--store: %v", err)
	}
	if *prefix == "" {
		return usageError("--prefix is empty")
	}
	if *lifetime <= 0 {
		return usageError("--max-lifetime must be positive")
	}

	var e revocation.Entry
	n := 0
	for _, sel := range []struct {
		kind revocation.Kind
		v    string
	}{{revocation.JTI, *jti}, {revocation.OriginJTI, *origin}, {revocation.Subject, *sub}, {revocation.Username, *username}} {
		if sel.v != "" {
			e.Kind, e.Value = sel.kind, sel.v
			n++
		}
	}
	switch {
	case *list && (n > 0 || *before != ""):
		return usageError("--list takes no --jti, --origin-jti, --sub, --username or --before")
	case !*list && n != 1:
		return usageError("name exactly one of --jti, --origin-jti, --sub, --username (or --list)")
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	cl := resp.New(opts)
	defer cl.Close()
	if *list {
		return listEntries(ctx, cl, *prefix, stdout)
	}

	now := time.Now()
	e.At = now
	if *before != "" {
		if e.Kind != revocation.Subject && e.Kind != revocation.Username {
			return usageError("--before applies to --sub and --username only: a jti names tokens, not a time")
		}
		t, err := time.Parse(time.RFC3339Nano, *before)
		if err != nil {
			return usageError("--before %.40q is not an RFC 3339 time such as 2026-12-01T10:00:00Z", *before)
		}
		if t.After(now.Add(time.Minute)) {
			return usageError("--before is in the future: a revocation covers tokens already issued; disable the user to keep them out")
		}
		e.At = t
	}
	if err := e.Validate(); err != nil {
		return usageError("%v", err)
	}
	e.Expires = e.At.Add(*lifetime + revocation.DefaultMargin)
	if !e.Expires.After(now) {
		return usageError("--before is older than --max-lifetime: no token it names can still be valid")
	}
	args2, err := revsync.WriteArgs(*prefix, e, now)
	if err != nil {
		return usageError("%v", err)
	}
	if err := cl.Eval(ctx, revsync.WriteScript, []string{revsync.SetKey(*prefix)}, args2); err != nil {
		return err
	}
	what := "the token"
	switch e.Kind {
	case revocation.OriginJTI:
		what = "every token of the sign-in"
	case revocation.Subject, revocation.Username:
		what = "every token issued at or before " + e.At.UTC().Format(time.RFC3339Nano) + " to"
	}
	fmt.Fprintf(stdout, "revoked %s with %s %s, until %s\n", what, e.Kind, e.Value, e.Expires.UTC().Format(time.RFC3339))
	return nil
}

// listEntries prints the live entries, one a line, sorted:
// kind, value, time and expiry (RFC 3339, UTC), separated by tabs.
func listEntries(ctx context.Context, cl *resp.Client, prefix string, w io.Writer) error {
	members, err := cl.Load(ctx, revsync.SetKey(prefix), revsync.LoadMin(time.Now()))
	if err != nil {
		return err
	}
	lines := make([]string, 0, len(members))
	for _, m := range members {
		var e revocation.Entry
		if err := e.UnmarshalText([]byte(m)); err != nil {
			return fmt.Errorf("unreadable entry in the store: %v", err)
		}
		lines = append(lines, fmt.Sprintf("%s\t%s\t%s\t%s", e.Kind, e.Value, e.At.UTC().Format(time.RFC3339Nano), e.Expires.UTC().Format(time.RFC3339)))
	}
	slices.Sort(lines)
	_, err = io.WriteString(w, strings.Join(lines, "\n")+strings.Repeat("\n", min(1, len(lines))))
	return err
}
