#!/bin/sh
# install-deps.sh [--quickstart] [--missing]: installs from Debian's archive what building and
# testing xarch needs; does nothing (and needs no network) when everything is already there.
#   --quickstart  only what scripts/quickstart.sh needs: the build, and runc and qemu-user-static
#                 for its demo
#   --missing     print the packages that would be installed (one line, maybe empty), install none
# The test suite also needs: clang for the sanitized and fuzz builds; the engines; the arm64 host
# lane's cross compiler, emulated machine, disk and initramfs tools (tests/arm64-host); the
# distro-host lane's emulated x86 machine and mmdebstrap for its Debian 13 guest (tests/distro-host);
# libpipeline1, which runs Debian's update-binfmts that cli.binfmt_support unpacks without
# installing it; the CRI tests' client (tests/cri): python3-grpcio, python3-protobuf and protoc.
set -eu
build="cmake g++ make pkg-config python3 nlohmann-json3-dev libspdlog-dev libfmt-dev libseccomp-dev libtomlplusplus-dev"
demo="qemu-user-static runc"
tests="catch2 uidmap clang libclang-rt-14-dev crun podman busybox-static docker.io containerd
       g++-aarch64-linux-gnu qemu-system-arm e2fsprogs cpio lintian libpipeline1 python3-yaml
       qemu-system-x86 mmdebstrap python3-grpcio python3-protobuf protobuf-compiler"
packages="$build $demo $tests"
print_only=
while [ $# -gt 0 ]; do
    case $1 in
        --quickstart) packages="$build $demo"; shift ;;
        --missing) print_only=1; shift ;;
        *) echo "usage: install-deps.sh [--quickstart] [--missing]" >&2; exit 2 ;;
    esac
done
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$print_only" ]; then echo "${missing# }"; exit 0; fi
[ -n "$missing" ] || exit 0
echo "installing:$missing"
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to install:$missing" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
