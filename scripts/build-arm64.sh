#!/bin/sh
# build-arm64.sh [--cache DIR] [--deb] [BUILD_DIR]: static linux/arm64 xarch-hook, xarch and
# xarch-runtime in BUILD_DIR/bin (default build-arm64), cross-compiled here with
# g++-aarch64-linux-gnu from the same CMakeLists.txt (cmake/aarch64-linux-gnu.cmake). The arm64
# libseccomp, spdlog, fmt, nlohmann-json and toml++ come from Debian's arm64 .debs (scripts/fetch-debs.sh,
# a private apt state: no multiarch, the machine's apt configuration untouched), unpacked into
# BUILD_DIR/sysroot. The .debs are cached in DIR (default BUILD_DIR/cache); a second run makes
# no network call and rebuilds only what changed. Optimised as the default build (-O2; -O3
# trips a false -Wrestrict in g++ 12's std::string) but without debug information: quicker to
# compile, and the programs are smaller. --deb: also the arm64 package, with the same contents as
# the amd64 one (prefix /usr: programs, hooks.d files, snippets, man page, postrm), made by CPack
# as BUILD_DIR/xarch_VERSION_arm64.deb; its path is the last line printed.
set -eu
usage() { echo "usage: build-arm64.sh [--cache DIR] [--deb] [BUILD_DIR]" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=
DEB=
while [ $# -gt 0 ]; do
    case $1 in
        --cache) [ $# -ge 2 ] || usage; CACHE=$2; shift 2 ;;
        --deb) DEB=1; shift ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -le 1 ] || usage
BUILD=${1:-$SRC/build-arm64}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
CACHE=${CACHE:-$BUILD/cache}
command -v aarch64-linux-gnu-g++ >/dev/null ||
    { echo "build-arm64.sh: aarch64-linux-gnu-g++ not found: apt-get install g++-aarch64-linux-gnu" >&2; exit 1; }

# libspdlog1.10 and libfmt9: their CMake package files name the shared libraries, which
# must exist even though xarch uses both header-only.
debs=$("$SRC/scripts/fetch-debs.sh" --cache "$CACHE" arm64 \
    libseccomp-dev libseccomp2 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 nlohmann-json3-dev libtomlplusplus-dev)
# The sysroot is rebuilt whenever the set of .debs changes (a new point release).
SYSROOT=$BUILD/sysroot
stamp=$(echo "$debs" | sed 's|.*/||' | sort | tr '\n' ' ')
if [ "$(cat "$SYSROOT/.debs" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$SYSROOT"; mkdir -p "$SYSROOT"
    for d in $debs; do dpkg-deb -x "$d" "$SYSROOT"; done
    echo "$stamp" > "$SYSROOT/.debs"
fi

cmake -S "$SRC" -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$SRC/cmake/aarch64-linux-gnu.cmake" \
    -DXARCH_ARM64_SYSROOT="$SYSROOT" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DXARCH_TESTS=OFF -DXARCH_STATIC=ON -DXARCH_WERROR=ON \
    -DCMAKE_RUNTIME_OUTPUT_DIRECTORY="$BUILD/bin" -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$BUILD" -j"${XARCH_JOBS:-$(nproc)}" --target xarch-hook xarch xarch-runtime check_layers
# Checked with binutils (part of the cross compiler): AArch64, and no program interpreter.
for p in xarch-hook xarch xarch-runtime; do
    f=$BUILD/bin/$p
    if ! aarch64-linux-gnu-readelf -h "$f" | grep -q 'Machine:.*AArch64' ||
       aarch64-linux-gnu-readelf -l "$f" | grep -q 'INTERP'; then
        echo "build-arm64.sh: $f is not a static arm64 program" >&2
        exit 1
    fi
done
echo "build-arm64.sh: static linux/arm64 programs in $BUILD/bin"
if [ -n "$DEB" ]; then
    cmake --build "$BUILD" -j"${XARCH_JOBS:-$(nproc)}"
    rm -f "$BUILD"/xarch_*_arm64.deb
    (cd "$BUILD" && cpack -G DEB >"$BUILD/cpack.log" 2>&1) || { cat "$BUILD/cpack.log" >&2; echo "build-arm64.sh: cpack failed" >&2; exit 1; }
    deb=$(ls "$BUILD"/xarch_*_arm64.deb 2>/dev/null) || { echo "build-arm64.sh: cpack made no arm64 package" >&2; exit 1; }
    echo "$deb"
fi
