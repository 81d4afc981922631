# qemu-user runs the arm64 build of jws/internal/rsapub (its assembly
# kernel) on this amd64 machine: .ci/stages.d/40-rsa-kernels.sh.
command -v qemu-aarch64 >/dev/null || apt_install qemu-user
