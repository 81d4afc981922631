// Package e2e holds the end-to-end tests of the auth gateway: the
// cognitojwt binary, built once per test binary, runs as a process
// ("cognitojwt proxy --config FILE") in front of a real upstream on
// loopback, trusting a local Cognito issuer (cognitotest), and, when nginx
// is installed, behind nginx's auth_request.
//
// It has no code of its own, only tests:
//
//   - e2e_test.go: the binary, the issuer and the upstream; statuses and
//     challenges, identity headers that clients cannot spoof, the
//     forward-auth endpoint, paths that upstreams resolve differently,
//     strip_token, upstream failures (502, 504), the admin endpoints,
//     streaming bodies, graceful shutdown on SIGTERM, and the command's
//     exit statuses (--check, --dev);
//   - nginx_test.go: nginx auth_request to the forward-auth endpoint
//     (skipped without nginx, except under CI=true, where it fails);
//   - upstreams_test.go: real upstreams that read requests differently
//     from http.ServeMux — Express 4 with method-override, and an embedded
//     Tomcat 10.1 — behind the gateway and behind nginx, each request
//     judged by the handler the application ran (skipped without node,
//     javac and Debian's Tomcat jars, except under CI=true);
//   - load_test.go: SIGHUP reloads under load, and a bounded load run
//     that reports requests per second and latency percentiles;
//   - bench_test.go: BenchmarkGatewayOverhead, the cost of the gateway per
//     request against calling the upstream directly (docs/GATEWAY.md has
//     the figures).
//
// Every process is started on 127.0.0.1 and killed when its test ends.
//
//	go test -race -count=1 ./internal/gateway/e2e/
//	go test -short ./internal/gateway/e2e/          # a 3 s load run instead of 20 s
//	go test -run 'TestLoad$' -v ./internal/gateway/e2e/ -e2e.load=60s -e2e.workers=16
//	go test -run '^$' -bench GatewayOverhead -benchtime 2s -count 5 ./internal/gateway/e2e/
package e2e
