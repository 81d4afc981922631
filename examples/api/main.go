// Command api is a small API protected by Amazon Cognito access tokens,
// with net/http alone: the Go port of the Express (cognito-express,
// aws-jwt-verify) and DaloyJS guides. Its routes:
//
//	GET  /health           public
//	GET  /api/public       public
//	GET  /api/me           any valid access token: who you are
//	GET  /api/orders       scope orders/read
//	POST /api/orders       scope orders/write
//	GET  /api/admin/stats  group admin
//
// With -dev it starts a local Cognito-compatible issuer in the process
// (package cognitotest), trusts it instead of a real user pool, and prints
// tokens and curl commands to try:
//
//	go run ./examples/api -dev
//
// Without -dev it trusts a real user pool, named by the environment:
//
//	COGNITO_USER_POOL_ID  the pool, such as us-east-1_AbCdEfGhI (required)
//	COGNITO_CLIENT_ID     the app client id; several, comma-separated (required)
//
// Give the pool a resource server "orders" with the custom scopes "read"
// and "write", and a group "admin". -addr sets the listening address
// (default localhost:8080).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

// What the routes require: the scopes of the "orders" resource server and
// the admin group.
const (
	ScopeRead  = "orders/read"
	ScopeWrite = "orders/write"
	GroupAdmin = "admin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	if code := exitCode(err); code != 0 {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(code)
	}
}

// exitCode is 0 for success and for -h (the usage was asked for and
// printed), 1 for any other error.
func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// run serves until ctx is done. It writes what to try to stdout and logs
// to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dev := fs.Bool("dev", false, "trust a local Cognito issuer started in-process, and print tokens to try")
	addr := fs.String("addr", "localhost:8080", "listen on this address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	var (
		cfg cognitojwt.Config
		iss *cognitotest.Issuer
	)
	if *dev {
		iss = cognitotest.NewUnstartedIssuer()
		iss.Scopes = []string{ScopeRead, ScopeWrite} // what the token endpoint grants
		if err := iss.Start(); err != nil {
			return err
		}
		defer iss.Close()
		cfg = cognitojwt.Config{
			UserPoolID: iss.PoolID,
			Issuer:     iss.IssuerURL(), // the local issuer, not Cognito's
			JWKSURL:    iss.JWKSURL(),
			ClientIDs:  []string{iss.ClientID},
		}
	} else {
		pool, clients := getenv("COGNITO_USER_POOL_ID"), getenv("COGNITO_CLIENT_ID")
		if pool == "" || clients == "" {
			return errors.New("set COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID, or run with -dev")
		}
		cfg = cognitojwt.Config{UserPoolID: pool, ClientIDs: strings.Split(clients, ",")}
	}
	cfg.TokenUse = cognitojwt.AccessToken // an API takes access tokens, not ID tokens
	v, err := cognitojwt.New(cfg)
	if err != nil {
		return err
	}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if err := v.Hydrate(hctx); err != nil {
		logger.Warn("keys not fetched yet; requests will fetch them", "error", err)
	}
	cancel()

	auth, err := httpauth.New(v, &httpauth.Options{Realm: "orders-api", Logger: logger})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	srv := &http.Server{
		Handler:           newAPI(auth).routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if *dev {
		if err := printDev(stdout, iss, base); err != nil {
			ln.Close()
			return err
		}
	} else {
		fmt.Fprintf(stdout, "listening on %s, trusting user pool %s\n", base, cfg.UserPoolID)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// devTTL is the lifetime of the printed tokens: a working day (Cognito
// allows five minutes to one day).
const devTTL = 8 * time.Hour

// printDev mints a user token and an admin token and prints what to try.
func printDev(w io.Writer, iss *cognitotest.Issuer, base string) error {
	user, err := iss.MintAccess(cognitotest.TokenOptions{Username: "alice", Scopes: []string{"openid", ScopeRead}, TTL: devTTL})
	if err != nil {
		return err
	}
	admin, err := iss.MintAccess(cognitotest.TokenOptions{Username: "root", Groups: []string{GroupAdmin}, Scopes: []string{ScopeRead, ScopeWrite}, TTL: devTTL})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, `cognitojwt example API, dev mode
  local Cognito issuer: %[1]s (a test issuer: never trust it in production)
  listening on %[2]s

Tokens, valid for %[3]d hours, and what to try (paste as is into bash, zsh or fish):

# alice: scopes openid %[6]s
export TOKEN='%[4]s'
# root: group %[8]s, scopes %[6]s %[7]s
export ADMIN_TOKEN='%[5]s'
# 200, a public route
curl -i %[2]s/api/public
# 401, no token
curl -i %[2]s/api/me
# 200, who alice is
curl -i -H "Authorization: Bearer $TOKEN" %[2]s/api/me
# 200, alice has scope %[6]s
curl -i -H "Authorization: Bearer $TOKEN" %[2]s/api/orders
# 403, alice is not in group %[8]s
curl -i -H "Authorization: Bearer $TOKEN" %[2]s/api/admin/stats
# 200, root is in group %[8]s
curl -i -H "Authorization: Bearer $ADMIN_TOKEN" %[2]s/api/admin/stats
# 201, root has scope %[7]s
curl -i -H "Authorization: Bearer $ADMIN_TOKEN" -d '{"item":"coffee","quantity":2}' %[2]s/api/orders
# a machine-to-machine token, client credentials, from the local token endpoint
curl -s -d grant_type=client_credentials -d client_id=%[9]s %[10]s
`, iss.IssuerURL(), base, int(devTTL.Hours()), user, admin, ScopeRead, ScopeWrite, GroupAdmin, iss.ClientID, iss.TokenURL())
	return err
}
