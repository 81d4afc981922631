# wrk and curl for bench/'s end-to-end smoke (TestE2ESmoke runs e2e.sh).
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
