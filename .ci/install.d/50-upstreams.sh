# Real upstreams for the gateway's end-to-end tests
# (internal/gateway/e2e/upstreams_test.go): an Express 4 application
# (node, npm, and the packages pinned in its package-lock.json) and an
# embedded Tomcat 10.1 servlet the test compiles with javac against
# Debian's jars.
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
command -v java >/dev/null && command -v javac >/dev/null || apt_install default-jdk-headless
apt_install libtomcat10-embed-java libjakarta-annotation-api-java
# npm ci installs exactly the lock file, into the git-ignored node_modules.
(cd internal/gateway/e2e/testdata/express && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
