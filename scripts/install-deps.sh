#!/bin/sh
# Installs what building and testing xarch needs, from Debian's archive; does nothing
# (and needs no network) when everything is already there. The last line is the arm64 host
# lane (tests/arm64-host): the cross compiler, the emulated machine, its disk and initramfs;
# libpipeline1 runs Debian's update-binfmts, which cli.binfmt_support unpacks without installing it.
set -eu
packages="cmake g++ make pkg-config python3 nlohmann-json3-dev libspdlog-dev libfmt-dev libseccomp-dev catch2 uidmap libtomlplusplus-dev
          clang libclang-rt-14-dev
          qemu-user-static runc crun podman busybox-static docker.io containerd
          g++-aarch64-linux-gnu qemu-system-arm e2fsprogs cpio
          lintian libpipeline1 python3-yaml"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
echo "installing:$missing"
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to install:$missing" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
