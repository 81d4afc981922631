# Every benchmark, once (-benchtime 1x), in every module, so that none
# rots: a benchmark that no longer builds or fails its own checks fails
# CI. No figure from this run means anything; docs/BENCHMARKS.md says how
# the published ones are measured. Bounded: each module gets 10 minutes.
set -euo pipefail
mapfile -t modules < <(find . -name go.mod -not -path '*/testdata/*' -not -path '*/node_modules/*' -printf '%h\n' | sort)
for m in "${modules[@]}"; do
  (
    cd "$m"
    pkgs=()
    for dir in $(go list -f '{{.Dir}}' ./...); do
      if grep -qs '^func Benchmark' "$dir"/*_test.go; then
        pkgs+=("$dir")
      fi
    done
    [ "${#pkgs[@]}" -gt 0 ] || exit 0
    echo "-- benchmarks once in $m: ${#pkgs[@]} packages"
    timeout 600 go test -count=1 -run '^$' -bench . -benchtime 1x "${pkgs[@]}"
  )
done
