package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/internal/gateway"
)

// cmdProxy runs the auth gateway from a configuration file, or with --dev
// from a built-in configuration with its own issuer and demo upstream.
func cmdProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("proxy", "proxy --config FILE [--check] | --dev [flags]", `Run the auth gateway: a reverse proxy that verifies tokens per route before
the upstream sees a request, and a forward-auth endpoint for nginx, Traefik,
Caddy and Envoy (docs/GATEWAY.md). --config reads a YAML file (reread on
SIGHUP); --dev needs none: it runs an embedded dev issuer and a demo upstream
and prints tokens and curl commands to paste.`, stderr)
	var (
		configPath = fs.String("config", "", "gateway configuration file (YAML); reread on SIGHUP")
		dev        = fs.Bool("dev", false, "no configuration: run an embedded dev issuer and a demo upstream that echoes the identity headers")
		addr       = fs.String("addr", "127.0.0.1:8080", "with --dev: the gateway's address")
		adminAddr  = fs.String("admin-addr", "127.0.0.1:9090", "with --dev: the admin address (/healthz, /readyz, /metrics); \"off\" to disable")
		check      = fs.Bool("check", false, "validate the configuration file and exit")
		logLevel   = fs.String("log-level", "info", "debug, info, warn or error")
		logFormat  = fs.String("log-format", "text", "text (key=value, durations such as 1.5s) or json (one object per line)")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageError("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	log, err := gateway.NewLogger(stderr, *logFormat, level)
	if err != nil {
		return usageError("--log-format %q: want text or json", *logFormat)
	}

	switch {
	case *dev && *configPath != "":
		return usageError("--dev and --config are exclusive")
	case *dev:
		err := runDev(ctx, *addr, *adminAddr, stdout, log)
		if errors.Is(err, syscall.EADDRINUSE) {
			return usageError("%v: another program (another proxy --dev?) has the port; pick free ones with --addr 127.0.0.1:8081 --admin-addr 127.0.0.1:9091 (or --admin-addr off)", err)
		}
		return err
	case *configPath == "":
		return usageError("give --config FILE, or --dev for a local demo")
	}
	cfg, err := gateway.Load(*configPath)
	if err != nil {
		return usageError("%v", err)
	}
	if *check && fs.NArg() > 0 {
		return usageError("unexpected arguments: %q", fs.Args())
	}
	if *check {
		fmt.Fprintf(stdout, "%s: configuration is valid\n", *configPath)
		return nil
	}
	return gateway.Run(ctx, cfg, gateway.RunOptions{ConfigPath: *configPath, Logger: log})
}

// runDev starts a local issuer and a demo upstream on loopback, then the
// gateway in front of the upstream, and prints ready curl commands.
func runDev(ctx context.Context, addr, adminAddr string, stdout io.Writer, log *slog.Logger) error {
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		return err
	}
	defer iss.Close()

	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	upstream := &http.Server{Handler: http.HandlerFunc(echoIdentity), ReadHeaderTimeout: 5 * time.Second}
	go upstream.Serve(upLn)
	defer upstream.Close()

	cfg, err := gateway.Parse([]byte(fmt.Sprintf(`
listen: %q
admin_listen: %q
upstream: "http://%s"
forward_auth_path: /_auth
pools:
  - user_pool_id: %s
    issuer: %s
    token_use: any
    client_ids: [%s]
routes:
  - pattern: "/public/"
    anonymous: true
  - pattern: "/admin/"
    groups: [admin]
  - pattern: "/orders/"
    scopes: [test-api/read]
default: authenticate
headers:
  sub: X-Auth-Sub
  username: X-Auth-Username
  cognito:username: X-Auth-Cognito-Username
  cognito:groups: X-Auth-Groups
  scope: X-Auth-Scope
  token_use: X-Auth-Token-Use
  client_id: X-Auth-Client-Id
`, addr, adminAddr, upLn.Addr(), iss.PoolID, iss.IssuerURL(), iss.ClientID)))
	if err != nil {
		return err
	}
	user, err := iss.MintAccess(cognitotest.TokenOptions{Username: "alice", TTL: 12 * time.Hour})
	if err != nil {
		return err
	}
	adminToken, err := iss.MintAccess(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}, TTL: 12 * time.Hour})
	if err != nil {
		return err
	}
	return gateway.Run(ctx, cfg, gateway.RunOptions{Logger: log, Ready: func(main, adminAddr net.Addr) {
		base, admin := "http://"+main.String(), "admin off"
		if adminAddr != nil {
			admin = "admin (/healthz, /readyz, /metrics) on http://" + adminAddr.String()
		}
		fmt.Fprintf(stdout, "cognitojwt gateway (dev) on %s, in front of a demo upstream that echoes identity headers\n", base)
		fmt.Fprintf(stdout, "dev issuer %s, pool %s, client %s; %s\n\n", iss.IssuerURL(), iss.PoolID, iss.ClientID, admin)
		fmt.Fprintf(stdout, "Try it (tokens valid for 12 hours; paste the lines as they are into bash, zsh or fish):\n\n")
		for _, l := range devCommands(base, user, adminToken, iss.ClientID, iss.TokenURL()) {
			fmt.Fprintln(stdout, l)
		}
	}})
}

// devCommands are the lines the --dev banner prints for pasting: every
// comment on its own line (zsh without interactive_comments, its default,
// would pass a trailing "# …" to curl as arguments) and in plain words (that
// zsh runs a comment line as the command "#": it must not glob), every
// header in double quotes (unquoted, zsh and fish would glob a "*"), no "?"
// in URLs, and "export NAME=value", which bash, zsh and fish all read. The e2e test
// runs them in bash and zsh -f and checks each status the comments promise.
func devCommands(base, user, admin, clientID, tokenURL string) []string {
	return []string{
		"export TOKEN=" + shellQuote(user),
		"export ADMIN_TOKEN=" + shellQuote(admin),
		"# 200 with the identity headers the gateway forwarded",
		`curl -i -H "Authorization: Bearer $TOKEN" ` + base + "/hello",
		"# 401 without a token, with WWW-Authenticate: Bearer",
		"curl -i " + base + "/hello",
		"# 403 insufficient_scope, alice is not in group admin",
		`curl -i -H "Authorization: Bearer $TOKEN" ` + base + "/admin/",
		"# 200, root is in group admin",
		`curl -i -H "Authorization: Bearer $ADMIN_TOKEN" ` + base + "/admin/",
		"# 200 without a token, an anonymous route",
		"curl -i " + base + "/public/",
		"# an M2M token, client credentials, from the dev issuer",
		"curl -s -d grant_type=client_credentials -d client_id=" + shellQuote(clientID) + " " + shellQuote(tokenURL),
	}
}

// echoIdentity is the demo upstream: it answers with the identity headers
// the gateway set, as JSON.
func echoIdentity(w http.ResponseWriter, r *http.Request) {
	got := map[string]string{}
	var names []string
	for name := range r.Header {
		if strings.HasPrefix(name, "X-Auth-") || strings.HasPrefix(name, "X-Forwarded-") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		got[n] = r.Header.Get(n)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "method": r.Method, "identity_headers": got, "authorization_forwarded": r.Header.Get("Authorization") != ""})
}
