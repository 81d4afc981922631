# redis-server for the revocation tests (internal/resp, internal/revsync,
# revocation/redis, the gateway's two-instance test). Debian starts the
# service on install; the tests start their own, so stop it.
if ! command -v redis-server >/dev/null && [ ! -x /usr/bin/redis-server ]; then
  apt_install redis-server
  { service redis-server stop; } >/dev/null 2>&1 || true
fi
