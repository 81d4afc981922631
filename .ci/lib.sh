# Helpers for .ci/run and the scripts in .ci/install.d. Sourced, not run.

# apt_install PKG...: installs Debian packages that are not installed yet,
# running apt-get update at most once per CI run.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "${COGNITOJWT_APT_UPDATED:-}" ]; then
    apt-get update -qq
    export COGNITOJWT_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
