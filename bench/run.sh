#!/bin/sh
# Runs the benchmarks as README.md reports them: ROUNDS interleaved rounds
# of one sample per benchmark, so that every library is measured within
# seconds of the others in each round and load from other work on the
# machine hits all of them alike; then benchstat, libraries side by side
# (-col /lib), ratios against lib=floor (the first column: the signature alone).
# Output: $OUT (raw benchmark lines; bench.txt.tmp here by default, which
# git ignores: a shared /tmp path can be overwritten by another run on the
# same machine) and RESULTS.txt (benchstat).
set -eu
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-10}
BENCHTIME=${BENCHTIME:-500ms}
OUT=${OUT:-bench.txt.tmp}
BIN=$(mktemp "${TMPDIR:-/tmp}/cognitojwt-bench.XXXXXX")
trap 'rm -f "$BIN"' EXIT
# aws-jwt-verify (lib=aws-jwt-verify-sync) needs Node and the pinned
# package; without them that row is skipped.
if command -v npm >/dev/null && [ ! -d node/node_modules/aws-jwt-verify ]; then
	(cd node && npm ci --no-audit --no-fund) || echo "run.sh: npm ci failed; aws-jwt-verify skipped" >&2
fi
go test -c -o "$BIN" .
: >"$OUT"
i=1
while [ "$i" -le "$ROUNDS" ]; do
	"$BIN" -test.run='^$' -test.bench=. -test.benchmem \
		-test.benchtime="$BENCHTIME" -test.count=1 | tee -a "$OUT"
	i=$((i + 1))
done
BENCHSTAT="go run golang.org/x/perf/cmd/benchstat@latest"
{
	echo "\$ benchstat -col /lib $OUT"
	$BENCHSTAT -col /lib "$OUT"
	echo
	echo "\$ benchstat $OUT"
	$BENCHSTAT "$OUT"
} | tee RESULTS.txt
