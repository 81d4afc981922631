#!/usr/bin/env bash
# The container build, without Docker: run the Dockerfile's own static
# build line, prove the binary has no dynamic dependencies (no program
# interpreter, no NEEDED libraries), and prove it serves: proxy --dev
# becomes ready on /readyz, a printed token gets 200 and no token 401.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT
fail() { echo "static-binary: $*" >&2; [ -f "$out/log" ] && cat "$out/log" >&2; exit 1; }

line=$(grep -E '^RUN CGO_ENABLED=0 .* go build .*-o /out/cognitojwt ' Dockerfile) || fail "no static build line in Dockerfile"
build=${line#RUN }
build=${build//\/out\/cognitojwt/$out/cognitojwt}
echo "+ $build"
start=$(date +%s)
eval "$build"
bin=$out/cognitojwt
echo "built in $(( $(date +%s) - start ))s, $(stat -c %s "$bin") bytes"

readelf -lW "$bin" | grep -q INTERP && fail "the binary asks for a program interpreter (dynamically linked)"
readelf -dW "$bin" 2>/dev/null | grep -q NEEDED && fail "the binary needs shared libraries: $(readelf -dW "$bin" | grep NEEDED)"
if command -v file >/dev/null; then
  file "$bin" | grep -q 'statically linked' || fail "file(1) does not call it static: $(file "$bin")"
fi
ldd "$bin" >"$out/ldd" 2>&1 || true
grep -Eq 'not a dynamic executable|statically linked' "$out/ldd" || fail "ldd lists dependencies: $(cat "$out/ldd")"
"$bin" version

"$bin" proxy --dev --addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 >"$out/banner" 2>"$out/log" &
pid=$!
for _ in $(seq 150); do grep -q client_credentials "$out/banner" && break; sleep 0.1; done
grep -q client_credentials "$out/banner" || fail "no banner"
base=$(sed -n 's/^cognitojwt gateway (dev) on \(http:\/\/[0-9.:]*\),.*/\1/p' "$out/banner")
admin=$(grep -o 'on http://[0-9.:]*$' "$out/banner" | tail -n 1 | sed 's/^on //')
token=$(sed -n 's/^export TOKEN=//p' "$out/banner")
[ -n "$base" ] && [ -n "$admin" ] && [ -n "$token" ] || fail "banner not understood: $(cat "$out/banner")"
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$admin/readyz")" = 200 ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$admin/readyz")" = 200 ] || fail "/readyz never 200"
curl -fsS -H "Authorization: Bearer $token" "$base/hello" | grep -q '"X-Auth-Username":"alice"' || fail "the printed token did not get through"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/hello")" = 401 ] || fail "no token was not 401"
kill -TERM "$pid"
wait "$pid" || fail "proxy --dev did not exit cleanly on SIGTERM"
pid=
echo "static binary: no INTERP, no NEEDED; serves --dev (readyz 200, token 200, no token 401)"
