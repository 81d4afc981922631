#!/usr/bin/env bash
# jws/internal/rsapub has one kernel per architecture. go test above ran
# this machine's (amd64: the ADX and the MULQ one); here run the others:
# the portable Go code on 386, run natively (the build every architecture
# without assembly gets, and the purego tag's, here with a 32-bit
# big.Word as well), and the arm64 assembly under qemu-user
# (.ci/install.d/30-qemu.sh). -short skips the two largest keys of the
# crypto/rsa comparison, which take minutes under emulation. (A separate
# -tags purego run on amd64 would rebuild the standard library's crypto
# for the same code.)
set -euo pipefail
cd "$(dirname "$0")/../.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

GOARCH=386 go test -count=1 -short ./jws/...
GOARCH=arm64 go test -c -o "$out/rsapub.arm64.test" ./jws/internal/rsapub
(cd jws/internal/rsapub && qemu-aarch64 "$out/rsapub.arm64.test" -test.count=1 -test.short)
echo "rsa-kernels: 386 (portable Go) and arm64 (qemu) pass"
