#!/usr/bin/env bash
# End-to-end comparison on loopback, measured from outside by wrk: the
# gateway (cognitojwt proxy) against a bare httputil.ReverseProxy and
# oauth2-proxy (--skip-jwt-bearer-tokens), httpauth in process against a
# no-auth handler, and httpauth against go-jwt-middleware on Cognito ID
# tokens (its validator requires an aud, which access tokens lack; see
# internal/jwtmw), each with one repeated token and with tokens
# that are all new to the verifier (TOKENS distinct tokens in rotation,
# cache_size CACHE < TOKENS, so that every request misses the cache).
# wrk runs on core 0, every server on core 1 (taskset). ROUNDS rounds, each
# running every case once for DURATION, so that load from other work hits
# all of them alike; compare the ratios within a run.
#
# Needs wrk (Debian package wrk) and taskset; oauth2-proxy is built from
# the Go module proxy unless OAUTH2_PROXY names a binary (or is "none"),
# and skipped when that fails. Output: a table (requests/s, p50, p99 per case and round)
# on stdout and the raw wrk output in $OUT.
#
#   ./e2e.sh                     # 3 rounds of 10 s
#   ROUNDS=1 DURATION=1s ./e2e.sh   # smoke
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
TOKENS=${TOKENS:-3000}
CACHE=${CACHE:-1000}
CONNS=${CONNS:-8}
OUT=${OUT:-e2e.txt.tmp}
command -v wrk >/dev/null || { echo "e2e: wrk is missing (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cognitojwt-e2e.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/helper" ./e2e
(cd .. && go build -o "$work/cognitojwt" ./cmd/cognitojwt)
o2p=${OAUTH2_PROXY:-}
if [ "$o2p" = none ]; then
  o2p=
elif [ -z "$o2p" ]; then
  if GOBIN="$work" go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6 >"$work/o2p-build.log" 2>&1; then
    o2p="$work/oauth2-proxy"
  else
    echo "e2e: oauth2-proxy did not build; skipped (see the log in $work)" >&2
  fi
fi

taskset -c 1 "$work/helper" -dir "$work" -tokens "$TOKENS" -cache-size "$CACHE" >"$work/helper.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do grep -qs ready "$work/helper.log" && break; sleep 1; done
grep -q ready "$work/helper.log" || { cat "$work/helper.log"; exit 1; }
taskset -c 1 "$work/cognitojwt" proxy --config "$work/gateway.yaml" --log-level warn >"$work/gateway.log" 2>&1 &
pids+=($!)
cases="bare:18082 gateway:18080 httpauth:18083/auth noauth:18083/open"
# The ID-token cases (tokens from idtokens.txt): httpauth over cognitojwt
# with TokenUse IDToken, go-jwt-middleware, and the no-auth handler again
# with the same (larger) tokens.
cases="$cases httpauth-id:18083/auth-id go-jwt-middleware:18083/go-jwt-middleware noauth-id:18083/open"
tokfile() { case $1 in *-id|go-jwt-middleware) echo "$work/idtokens.txt" ;; *) echo "$work/tokens.txt" ;; esac; }
if [ -n "$o2p" ]; then
  iss=$(awk '/ issuer:/ {print $2}' "$work/gateway.yaml")
  cid=$(sed -n 's/.*client_ids: \[\(.*\)\]/\1/p' "$work/gateway.yaml")
  taskset -c 1 "$o2p" --provider=oidc --oidc-issuer-url="$iss" --client-id="$cid" --client-secret=unused \
    --cookie-secret=0123456789abcdef0123456789abcdef --email-domain='*' --upstream=http://127.0.0.1:18081 \
    --http-address=127.0.0.1:18084 --skip-jwt-bearer-tokens --oidc-audience-claim=client_id \
    --oidc-email-claim=sub --insecure-oidc-allow-unverified-email --request-logging=false \
    --standard-logging=false >"$work/o2p.log" 2>&1 &
  pids+=($!)
  cases="$cases oauth2-proxy:18084"
fi
# Every server must accept a valid token (once it has its keys: up to
# 60 s) and refuse a bad one before anything is measured.
access=$(head -n 1 "$work/tokens.txt")
for c in $cases; do
  name=${c%%:*}; url=http://127.0.0.1:${c#*:}
  tok=$(head -n 1 "$(tokfile "$name")")
  for _ in $(seq 120); do
    ok=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$url" || true)
    [ "$ok" = 200 ] && break
    sleep 0.5
  done
  bad=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${tok}x" "$url")
  case $name in bare|noauth*) want_bad=200 ;; *) want_bad=40x ;; esac
  if [ "$ok" != 200 ] || { [ "$want_bad" = 40x ] && [[ $bad != 40? ]]; }; then
    echo "e2e: $name answers $ok to a valid token and $bad to a bad one" >&2; exit 1
  fi
  # An ID-token verifier must refuse a valid access token of the same
  # pool and client (token_use access, and no aud).
  if [ "$(tokfile "$name")" != "$work/tokens.txt" ] && [ "${name#noauth}" = "$name" ]; then
    wrong=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $access" "$url")
    [[ $wrong = 40? ]] || { echo "e2e: $name answers $wrong to an access token" >&2; exit 1; }
  fi
done

: >"$OUT"
printf '%-6s %-18s %-9s %12s %9s %9s\n' round case tokens 'requests/s' p50 p99
for r in $(seq "$ROUNDS"); do
  for c in $cases; do
    name=${c%%:*}; url=http://127.0.0.1:${c#*:}
    for distinct in 1 "$TOKENS"; do
      if [ "$distinct" != 1 ] && { [ "$name" = bare ] || [ "${name#noauth}" != "$name" ]; }; then continue; fi
      res=$(TOKENS=$(tokfile "$name") DISTINCT=$distinct taskset -c 0 wrk -t1 -c"$CONNS" -d"$DURATION" \
        --latency -s e2e/rotate.lua "$url")
      echo "## round $r $name distinct=$distinct" >>"$OUT"; echo "$res" >>"$OUT"
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$res")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$res")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$res")
      label=repeated; [ "$distinct" = 1 ] || label=distinct
      printf '%-6s %-18s %-9s %12s %9s %9s\n' "$r" "$name" "$label" "$rps" "$p50" "$p99"
    done
  done
done
