package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/internal/gateway"
)

// cmdProxy runs the auth gateway from a configuration file, or with --dev
// from a built-in configuration with its own issuer and demo upstream.
func cmdProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("proxy", "proxy --config FILE | --dev [flags]", stderr)
	var (
		configPath = fs.String("config", "", "gateway configuration file (YAML); reread on SIGHUP")
		dev        = fs.Bool("dev", false, "no configuration: run an embedded dev issuer and a demo upstream that echoes the identity headers")
		addr       = fs.String("addr", "127.0.0.1:8080", "with --dev: the gateway's address")
		adminAddr  = fs.String("admin-addr", "127.0.0.1:9090", "with --dev: the admin address (/healthz, /readyz, /metrics); \"off\" to disable")
		check      = fs.Bool("check", false, "validate the configuration file and exit")
		logLevel   = fs.String("log-level", "info", "debug, info, warn or error")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageError("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	switch {
	case *dev && *configPath != "":
		return usageError("--dev and --config are exclusive")
	case *dev:
		return runDev(ctx, *addr, *adminAddr, stdout, log)
	case *configPath == "":
		return usageError("give --config FILE, or --dev for a local demo")
	}
	cfg, err := gateway.Load(*configPath)
	if err != nil {
		return usageError("%v", err)
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
	admin, err := iss.MintAccess(cognitotest.TokenOptions{Username: "root", Groups: []string{"admin"}, TTL: 12 * time.Hour})
	if err != nil {
		return err
	}
	return gateway.Run(ctx, cfg, gateway.RunOptions{Logger: log, Ready: func(main, adminAddr net.Addr) {
		base, adminBase := "http://"+main.String(), "off"
		if adminAddr != nil {
			adminBase = "http://" + adminAddr.String()
		}
		fmt.Fprintf(stdout, `cognitojwt gateway (dev) on %[1]s, in front of a demo upstream that echoes identity headers
dev issuer %[2]s, pool %[3]s, client %[4]s; admin on %[5]s

Try it (tokens valid for 12 hours):
  TOKEN=%[6]s
  ADMIN_TOKEN=%[7]s
  curl -i -H "Authorization: Bearer $TOKEN" %[1]s/hello          # 200 with X-Auth-* identity headers
  curl -i %[1]s/hello                                           # 401 with WWW-Authenticate: Bearer
  curl -i -H "Authorization: Bearer $TOKEN" %[1]s/admin/         # 403 insufficient_scope: alice is not in group admin
  curl -i -H "Authorization: Bearer $ADMIN_TOKEN" %[1]s/admin/   # 200
  curl -i %[1]s/public/                                         # anonymous route
  curl -s -d grant_type=client_credentials -d client_id=%[4]s %[8]s   # an M2M token
`, base, iss.IssuerURL(), iss.PoolID, iss.ClientID, adminBase, user, admin, iss.TokenURL())
	}})
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
