# Caddy for the forward_auth end-to-end test (internal/gateway/e2e
# TestCaddyForwardAuth), built from the Go module proxy at a pinned
# version into $(go env GOPATH)/bin; nothing to do when that version is
# already there.
#
# The build costs about 2 min 40 s of CPU from a cold module cache (about
# 250 modules), so it runs in the background while the other installs
# (apt, npm, staticcheck) wait on the network; .ci/run waits for it before
# the tests. COGNITOJWT_CADDY=1 (set here for CI) makes the test fail,
# instead of skip, when caddy is missing. COGNITOJWT_CADDY=0 skips the
# build and the test, for a quick local run of .ci/run.
CADDY_VERSION=v2.11.9
export COGNITOJWT_CADDY=${COGNITOJWT_CADDY:-1}
if [ "$COGNITOJWT_CADDY" = 1 ]; then
  caddy_bin="$(go env GOPATH)/bin/caddy"
  if ! { [ -x "$caddy_bin" ] && go version -m "$caddy_bin" | grep -Eq "^\s+mod\s+github.com/caddyserver/caddy/v2\s+${CADDY_VERSION}\s"; }; then
    (
      start=$(date +%s)
      GOFLAGS=-mod=mod go install "github.com/caddyserver/caddy/v2/cmd/caddy@${CADDY_VERSION}" >/tmp/caddy-build.$$.log 2>&1 \
        || { cat /tmp/caddy-build.$$.log; exit 1; }
      echo "== caddy ${CADDY_VERSION} built in $(( $(date +%s) - start ))s"
    ) &
    background_installs+=($!)
  fi
fi
