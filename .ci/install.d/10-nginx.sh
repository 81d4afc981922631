# nginx for the gateway's auth_request end-to-end tests. Debian starts the
# service on install; the tests start their own nginx, so stop it.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  apt_install nginx-light || apt_install nginx
  { service nginx stop || /usr/sbin/nginx -s quit; } >/dev/null 2>&1 || true
fi
