#!/bin/sh
# build-image.sh [--build-dir DIR] [--cache DIR] [--emulators "T..."] [--output oci-archive:FILE] [TAG]:
# the xarch node image for Kubernetes (packaging/kubernetes/xarch.yaml), built with podman FROM
# scratch, with nothing from a registry:
#   /xarch/bin/        xarch, xarch-hook, xarch-runtime: the static-pie programs of DIR (default
#                      build; configured and built here if they are missing), stripped
#   /xarch/qemu/       qemu-T-static for each T of --emulators, from Debian's qemu-user-static: a
#                      node need not have them, and the F registrations open them from the image
#   /xarch/node.sh     the node agent (packaging/image/node.sh), /xarch/config.json its settings
#   /bin/busybox       from Debian's busybox-static, for node.sh's shell and tools
# The .debs come through scripts/fetch-debs.sh (cache DIR, default BUILD_DIR/image-cache).
# TAG defaults to localhost/xarch:VERSION. Every file and the image's creation time are dated
# 1970-01-01 (--timestamp 0), so the same inputs give the same image ID. With --output, the
# image is also written as an OCI archive (for CI, or `ctr images import` on a node).
# PODMAN, if set, is the podman command line to use (tests give it private storage).
set -eu
usage() {
    echo "usage: build-image.sh [--build-dir DIR] [--cache DIR] [--emulators \"T...\"] [--output oci-archive:FILE] [TAG]" >&2
    exit 2
}
die() { echo "build-image.sh: $*" >&2; exit 1; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
CACHE=
OUTPUT=
# The platforms images are published for (amd64, 386, arm64, arm/v5-v7, ppc64le, s390x, riscv64,
# mips64le, loong64); the host's own is left out below. About 11 MB each.
EMULATORS="x86_64 i386 aarch64 arm ppc64le s390x riscv64 mips64el loongarch64"
while [ $# -gt 0 ]; do
    case $1 in
        --build-dir) [ $# -ge 2 ] || usage; BUILD=$2; shift 2 ;;
        --cache) [ $# -ge 2 ] || usage; CACHE=$2; shift 2 ;;
        --emulators) [ $# -ge 2 ] || usage; EMULATORS=$2; shift 2 ;;
        --output)
            [ $# -ge 2 ] || usage
            case $2 in oci-archive:?*) OUTPUT=${2#oci-archive:} ;; *) usage ;; esac
            shift 2 ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -le 1 ] || usage
PODMAN=${PODMAN:-podman}
command -v podman >/dev/null || die "podman not found: apt-get install podman"
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
CACHE=${CACHE:-$BUILD/image-cache}

programs="$BUILD/cli/xarch $BUILD/hook/xarch-hook $BUILD/shim/xarch-runtime"
missing=
for p in $programs; do [ -x "$p" ] || missing=1; done
if [ -n "$missing" ]; then
    [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$SRC" -B "$BUILD" -DXARCH_WERROR=ON >&2
    cmake --build "$BUILD" -j"$(nproc)" --target xarch xarch-hook xarch-runtime >&2
fi
# The image has no loader and no libraries: a dynamic (e.g. sanitized) build cannot run in it.
for p in $programs; do
    if LC_ALL=C readelf -l "$p" | grep -q 'Requesting program interpreter'; then
        die "$p is dynamically linked; build with -DXARCH_STATIC=ON and without XARCH_SANITIZE"
    fi
done
VERSION=$("$BUILD/cli/xarch" --version | sed -n 's/^xarch //p')
[ -n "$VERSION" ] || die "cannot read the version of $BUILD/cli/xarch"
TAG=${1:-localhost/xarch:$VERSION}

ARCH=$(dpkg --print-architecture)
host_target=$(uname -m)
debs=$("$SRC/scripts/fetch-debs.sh" --cache "$CACHE" "$ARCH" busybox-static qemu-user-static)
busybox_deb=$(echo "$debs" | sed -n 1p)
qemu_deb=$(echo "$debs" | sed -n 2p)

CTX=$(mktemp -d "${TMPDIR:-/tmp}/xarch-image.XXXXXX")
trap 'rm -rf "$CTX"' EXIT
trap 'exit 130' INT TERM
R=$CTX/rootfs
mkdir -p "$R/bin" "$R/tmp" "$R/xarch/bin" "$R/xarch/qemu" "$CTX/debs"
chmod 1777 "$R/tmp"
dpkg-deb --fsys-tarfile "$busybox_deb" | tar -x -C "$CTX/debs" ./bin/busybox
install -m 0755 "$CTX/debs/bin/busybox" "$R/bin/busybox"
# node.sh's commands, plus a shell for `kubectl exec`.
for applet in sh cat chmod cmp cp echo grep ln ls mkdir mount mv nsenter readlink rm rmdir sed sha256sum sleep test touch tr; do
    ln -s busybox "$R/bin/$applet"
done
wanted="" included=""
for t in $EMULATORS; do
    case $t in *[!a-z0-9_]*|'') die "bad emulator name '$t'" ;; esac
    [ "$t" != "$host_target" ] || continue
    wanted="$wanted ./usr/bin/qemu-$t-static"
    included="${included:+$included,}$t"
done
if [ -n "$wanted" ]; then
    # shellcheck disable=SC2086
    dpkg-deb --fsys-tarfile "$qemu_deb" | tar -x -C "$CTX/debs" $wanted ||
        die "not every emulator of '$EMULATORS' is in $qemu_deb"
    for f in $wanted; do install -m 0755 "$CTX/debs/$f" "$R/xarch/qemu/"; done
fi
# Without their debug information (about 110 MB of the three).
for p in $programs; do
    strip -o "$R/xarch/bin/${p##*/}" "$p"
    chmod 0755 "$R/xarch/bin/${p##*/}"
done
install -m 0755 "$SRC/packaging/image/node.sh" "$R/xarch/node.sh"
install -m 0644 "$SRC/packaging/image/config.json" "$R/xarch/config.json"
cp "$SRC/packaging/image/Containerfile" "$CTX/Containerfile"

$PODMAN build --quiet --timestamp 0 --arch "$ARCH" --os linux -f "$CTX/Containerfile" -t "$TAG" \
    --label org.opencontainers.image.title=xarch --label org.opencontainers.image.version="$VERSION" \
    --label io.xarch.emulators="$included" "$CTX" >/dev/null
if [ -n "$OUTPUT" ]; then
    rm -f "$OUTPUT"
    $PODMAN save --quiet --format oci-archive -o "$OUTPUT" "$TAG"
fi
echo "$TAG"
