// Command e2e is the fixture of bench/e2e.sh: a local Cognito issuer, N
// minted access tokens and N ID tokens, an upstream, a bare
// httputil.ReverseProxy to it, and on one in-process server a no-auth
// handler (/open), httpauth over cognitojwt for access tokens (/auth),
// httpauth over cognitojwt for ID tokens (/auth-id) and go-jwt-middleware
// for the same ID tokens (/go-jwt-middleware, set up by bench/internal/jwtmw,
// which says why ID tokens), all on loopback. It writes the tokens
// (tokens.txt, idtokens.txt) and a gateway configuration into -dir, prints
// "ready" and serves until killed. Nothing here is measured; the
// load generator measures the servers from outside.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/bench/internal/jwtmw"
	"github.com/cognitojwt/cognitojwt/cognitotest"
	"github.com/cognitojwt/cognitojwt/httpauth"
)

func main() {
	var (
		dir      = flag.String("dir", "", "directory for tokens.txt and gateway.yaml")
		n        = flag.Int("tokens", 2000, "distinct access tokens, and as many ID tokens, to mint")
		upAddr   = flag.String("upstream", "127.0.0.1:18081", "upstream listen address")
		bareAddr = flag.String("bare", "127.0.0.1:18082", "bare reverse proxy listen address")
		authAddr = flag.String("httpauth", "127.0.0.1:18083", "httpauth handler (/auth) and no-auth handler (/open)")
		gwAddr   = flag.String("gateway", "127.0.0.1:18080", "address the gateway config listens on")
		gwAdmin  = flag.String("gateway-admin", "127.0.0.1:19090", "the gateway's admin address")
		cache    = flag.Int("cache-size", 0, "the gateway's and httpauth's cache_size")
		nID      = flag.Int("id-tokens", -1, "distinct ID tokens to mint; -1 means as many as -tokens")
	)
	flag.Parse()
	if *dir == "" {
		log.Fatal("e2e: -dir is required")
	}
	iss := cognitotest.NewUnstartedIssuer()
	if err := iss.Start(); err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	if *nID < 0 {
		*nID = *n
	}
	access := mintAll(*n, func(i int) (string, error) {
		return iss.MintAccess(cognitotest.TokenOptions{
			Username: fmt.Sprintf("user-%d", i), Groups: []string{"admin", "ops"},
			Scopes: []string{"openid", "orders/read"}, TTL: 12 * time.Hour,
		})
	})
	if err := os.WriteFile(filepath.Join(*dir, "tokens.txt"), access, 0o600); err != nil {
		log.Fatal(err)
	}
	ids := mintAll(*nID, func(i int) (string, error) {
		return iss.MintID(cognitotest.TokenOptions{
			Username: fmt.Sprintf("user-%d", i), Groups: []string{"admin", "ops"}, TTL: 12 * time.Hour,
		})
	})
	if err := os.WriteFile(filepath.Join(*dir, "idtokens.txt"), ids, 0o600); err != nil {
		log.Fatal(err)
	}
	gw := fmt.Sprintf(`listen: %q
admin_listen: %q
upstream: "http://%s"
pools:
  - user_pool_id: %s
    issuer: %s
    jwks_url: %s
    client_ids: [%s]
default: authenticate
headers:
  sub: X-Auth-Sub
cache_size: %d
pprof: true
`, *gwAddr, *gwAdmin, *upAddr, iss.PoolID, iss.IssuerURL(), iss.JWKSURL(), iss.ClientID, *cache)
	if err := os.WriteFile(filepath.Join(*dir, "gateway.yaml"), []byte(gw), 0o600); err != nil {
		log.Fatal(err)
	}

	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello\n")) })
	serve(*upAddr, hello)
	up, _ := url.Parse("http://" + *upAddr)
	bare := httputil.NewSingleHostReverseProxy(up)
	bare.Transport = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	serve(*bareAddr, bare)

	cfg := iss.Config(cognitojwt.AccessToken)
	cfg.CacheSize = *cache
	v, err := cognitojwt.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New[*cognitojwt.Claims](v, nil)
	if err != nil {
		log.Fatal(err)
	}
	idCfg := iss.Config(cognitojwt.IDToken)
	idCfg.CacheSize = *cache
	idV, err := cognitojwt.New(idCfg)
	if err != nil {
		log.Fatal(err)
	}
	idAuth, err := httpauth.New[*cognitojwt.Claims](idV, nil)
	if err != nil {
		log.Fatal(err)
	}
	// go-jwt-middleware has no verified-token cache: it verifies the
	// signature of every request, repeated token or not.
	mw, err := jwtmw.Middleware(iss.IssuerURL(), iss.JWKSURL(), iss.ClientID)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth", auth.Require()(hello))
	mux.Handle("/auth-id", idAuth.Require()(hello))
	mux.Handle("/go-jwt-middleware", mw(hello))
	mux.Handle("/open", hello)
	serve(*authAddr, mux)
	fmt.Println("ready")
	select {}
}

// mintAll mints n tokens on every core (RSA signing is most of a run
// with a million tokens) and returns them one per line, in order.
func mintAll(n int, mint func(i int) (string, error)) []byte {
	toks := make([]string, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				tok, err := mint(i)
				if err != nil {
					log.Fatal(err)
				}
				toks[i] = tok
			}
		})
	}
	wg.Wait()
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t + "\n")
	}
	return []byte(b.String())
}

func serve(addr string, h http.Handler) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	go (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}
