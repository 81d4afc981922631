# npm packages of the interop tests (conformance/interop): cognito-local,
# oidc-provider and aws-jwt-verify, at the versions package-lock.json pins.
# npm ci installs exactly the lock file into the git-ignored node_modules;
# it is skipped when node_modules already holds this lock file's install.
# No install scripts run: none of these packages needs one.
command -v node >/dev/null || apt_install nodejs
command -v npm >/dev/null || apt_install npm
(
  cd conformance/interop
  stamp=node_modules/.cognitojwt-lock.sha256
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
)
