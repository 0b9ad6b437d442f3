#!/bin/sh
# package.sh BUILD_DIR: the arm64 .deb that the arm64 lane's cross build made
# (scripts/build-arm64.sh --deb, in BUILD_DIR/build-arm64) is the amd64 package's twin: the same
# paths, modes and owners, the same maintainer scripts, the same control fields but Architecture
# (and Installed-Size), its programs static AArch64 ELF; lintian reports no errors, as for the
# amd64 one. The amd64 package is made here by cpack from BUILD_DIR.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
BUILD=$(cd "$1" && pwd)
for tool in cpack lintian aarch64-linux-gnu-readelf; do command -v $tool >/dev/null || skip "$tool is not installed"; done
grep -q '^CMAKE_INSTALL_PREFIX:PATH=/usr$' "$BUILD/CMakeCache.txt" ||
    skip "the build's prefix is not /usr (scripts/test.sh configures -DCMAKE_INSTALL_PREFIX=/usr, as a .deb needs)"
arm=$(ls "$BUILD"/build-arm64/xarch_*_arm64.deb 2>/dev/null) || fail "no arm64 package in $BUILD/build-arm64 (arm64-host.lane makes it)"
WORK=$(mktemp -d /tmp/xarch-arm64-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cpack -G DEB -B "$WORK/pkg" --config "$BUILD/CPackConfig.cmake" >"$WORK/cpack.log" 2>&1 || { cat "$WORK/cpack.log"; fail "cpack failed"; }
amd=$(ls "$WORK"/pkg/xarch_*_amd64.deb)

[ "$(dpkg-deb -f "$arm" Architecture)" = arm64 ] || fail "Architecture: $(dpkg-deb -f "$arm" Architecture)"
control() { dpkg-deb -f "$1" | grep -v -e '^Architecture:' -e '^Installed-Size:'; }
control "$amd" >"$WORK/control.amd64"; control "$arm" >"$WORK/control.arm64"
diff "$WORK/control.amd64" "$WORK/control.arm64" || fail "the control fields differ"
# Paths, modes and owners (sizes differ: other machine code).
listing() { dpkg-deb -c "$1" | awk '{ print $1, $2, $6, $7, $8 }' | sort; }
listing "$amd" >"$WORK/files.amd64"; listing "$arm" >"$WORK/files.arm64"
diff "$WORK/files.amd64" "$WORK/files.arm64" || fail "the packages hold different files"
for d in amd64 arm64; do mkdir -p "$WORK/ctl.$d"; done
dpkg-deb -e "$amd" "$WORK/ctl.amd64"; dpkg-deb -e "$arm" "$WORK/ctl.arm64"
for f in postrm; do cmp "$WORK/ctl.amd64/$f" "$WORK/ctl.arm64/$f" || fail "the $f scripts differ"; done
mkdir -p "$WORK/root"
dpkg-deb -x "$arm" "$WORK/root"
for p in usr/bin/xarch usr/bin/xarch-hook usr/bin/xarch-runtime; do
    aarch64-linux-gnu-readelf -h "$WORK/root/$p" | grep -q 'Machine:.*AArch64' || fail "$p is not AArch64"
    ! aarch64-linux-gnu-readelf -l "$WORK/root/$p" | grep -q INTERP || fail "$p is not static"
done
lintian --fail-on error --tag-display-limit 0 "$arm" >"$WORK/lintian.log" 2>&1 || { cat "$WORK/lintian.log"; fail "lintian reports errors"; }
echo "PASS: $(basename "$arm"): $(wc -l <"$WORK/files.arm64") paths as in $(basename "$amd"), control and postrm alike, static AArch64 programs; lintian: $(grep -c '^W:' "$WORK/lintian.log") warnings, no errors"
