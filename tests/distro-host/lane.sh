#!/bin/sh
# lane.sh [--build DIR] CASE...: the distro-host lane (README, "Debian 13 with systemd"). It makes
# the .deb of this build twice (its own version, and a higher one for the upgrade case), a
# Debian 13 (trixie) amd64 machine with systemd and the engines users run (image.sh), rootfs
# tarballs of trixie's arm64 busybox and cowsay (and an amd64 busybox), OCI layouts of those and
# a pause image with the CRI API compiled for tests/cri/cri.py, boots the machine once under qemu-system-x86_64
# (TCG: this machine's /dev/kvm cannot boot a stock kernel) with those on a second disk, runs
# every CASE inside (guest.sh; the reboot cases reboot it) and judges each from the console
# (tests/arm64-host/verdict.py).
#   lane.sh --verdict CASE     prints one case's result of the last run; exit 0 if it passed.
# DIR is the build directory (default build; configured with -DCMAKE_INSTALL_PREFIX=/usr, as a
# .deb needs); everything goes below it, in
#   DIR/distro-host-cache  the guest image and its .debs (image.sh), the arm64 and unstable
#                          .debs (scripts/fetch-debs.sh, private apt states)
#   DIR/distro-host        the packages, the payload and run disks, console.log, results
# The machine's binfmt_misc, engines and apt configuration are not touched; the guest has no
# network. Exit status: 0 every case passed (with XARCH_LANE_CASE_TESTS=1: every case has a
# result, for ctest's per-case tests to judge), 1 otherwise, 77 a tool is missing.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$SRC/tests/distro-host
BUILD=$SRC/build
VERDICT=
while [ $# -gt 0 ]; do
    case $1 in
        --build) BUILD=$2; shift 2 ;;
        --verdict) VERDICT=$2; shift 2 ;;
        -*) echo "usage: lane.sh [--build DIR] [--verdict CASE | CASE...]" >&2; exit 2 ;;
        *) break ;;
    esac
done
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
WORK=$BUILD/distro-host
CACHE=$BUILD/distro-host-cache

if [ -n "$VERDICT" ]; then
    exec python3 "$SRC/tests/arm64-host/verdict.py" --case "$VERDICT" "$WORK"
fi
[ $# -gt 0 ] || { echo "lane.sh: no cases given" >&2; exit 2; }

mkdir -p "$WORK" "$CACHE"
rm -f "$WORK/skipped"
skip() { echo "SKIP: $*"; echo "$*" >"$WORK/skipped"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap --mode=root)"
for tool in qemu-system-x86_64:qemu-system-x86 mmdebstrap:mmdebstrap mkfs.ext4:e2fsprogs cpack:cmake python3:python3 \
            protoc:protobuf-compiler cc:gcc; do
    command -v "${tool%%:*}" >/dev/null || skip "${tool%%:*} not found (apt-get install ${tool#*:}; scripts/install-deps.sh)"
done
grep -q '^CMAKE_INSTALL_PREFIX:PATH=/usr$' "$BUILD/CMakeCache.txt" 2>/dev/null ||
    skip "the build's prefix is not /usr (scripts/test.sh configures -DCMAKE_INSTALL_PREFIX=/usr, as a .deb needs)"

exec 8>>"$WORK/lock"
flock 8   # one lane per build directory at a time
rm -rf "$WORK/results" "$WORK/console.log" "$WORK/cases"

now() { date +%s.%N; }
T0=$(now); TS=$T0
step() {
    t=$(now)
    [ -z "${STEP:-}" ] || awk -v a="$TS" -v b="$t" -v s="$STEP" 'BEGIN { printf "lane: %-30s %6.1f s\n", s, b - a }'
    TS=$t; STEP=${1:-}
}

P=$WORK/payload
rm -rf "$P"; mkdir -p "$P/debs/sid" "$P/img"
step "packages (cpack)"
cpack -G DEB -B "$WORK/pkg" --config "$BUILD/CPackConfig.cmake" >"$WORK/cpack.log" 2>&1 ||
    { cat "$WORK/cpack.log"; echo "lane: cpack failed" >&2; exit 1; }
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILD/CPackConfig.cmake")
cp "$WORK"/pkg/xarch_"$version"_*.deb "$P/debs/"
# The same contents under a higher version, for an upgrade while a container runs.
cpack -G DEB -B "$WORK/pkg-upgrade" --config "$BUILD/CPackConfig.cmake" -D CPACK_DEBIAN_PACKAGE_VERSION="$version+upgrade" \
    >>"$WORK/cpack.log" 2>&1 || { cat "$WORK/cpack.log"; echo "lane: cpack (upgrade) failed" >&2; exit 1; }
cp "$WORK"/pkg-upgrade/xarch_*.deb "$P/debs/xarch-upgrade.deb"

step "guest image (cached)"
IMAGE=$("$HERE/image.sh" "$CACHE") || { echo "lane: cannot build the guest image" >&2; exit 1; }

step "downloads (cached)"
fetch() {
    "$SRC/scripts/fetch-debs.sh" --cache "$CACHE" "$@" 2>>"$WORK/download.log" ||
        { tail -n 20 "$WORK/download.log" >&2; echo "lane: cannot download $*" >&2; return 1; }
}
: >"$WORK/download.log"
COW=$(fetch --suite trixie arm64 busybox-static cowsay perl-base perl-modules-5.40 libc6 libcrypt1 libtext-charwidth-perl)
NATIVE=$(fetch --suite trixie amd64 busybox-static)
# The CRI API (as tests/cri/cri.sh compiles it) for the guest's CRI client.
CRI_API=$(fetch --suite trixie amd64 golang-github-kubernetes-cri-api-dev)
# containerd 2 from unstable, with what it needs there that trixie lacks (nothing, as measured).
cp $(fetch --suite sid amd64 containerd) "$P/debs/sid/"

step "images"
T=$WORK/img-tmp
rm -rf "$T"; mkdir -p "$T"
deb() { echo "$COW" | grep "/$1_"; }
# The busybox image, laid out as test-bundles/make-bundle.sh does.
R=$T/bb; mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc"; chmod 1777 "$R/tmp"
dpkg-deb -x "$(deb busybox-static)" "$T/x"
cp "$T/x/usr/bin/busybox" "$R/bin/busybox"
for a in sh uname echo cat ls true false sleep env test grep wc mkdir rm id; do ln -s busybox "$R/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"; printf 'root:x:0:\n' >"$R/etc/group"
tar -C "$R" --owner=0 --group=0 -cf "$P/img/arm64-busybox.tar" .
# The same of amd64, the native image.
rm -rf "$T/x" "$R/bin/busybox"
dpkg-deb -x "$NATIVE" "$T/x"
cp "$T/x/usr/bin/busybox" "$R/bin/busybox"
tar -C "$R" --owner=0 --group=0 -cf "$P/img/amd64-busybox.tar" .
# OCI image layouts for ctr import into the CRI's namespace: those two and the pause image.
mkdir -p "$T/pause" "$P/cri"
cc -O2 -static -o "$T/pause/pause" "$SRC/tests/tools/pause.c"
python3 "$SRC/tests/tools/oci_image.py" --cmd /pause "$T/pause" "$P/img/pause.oci" localhost/xarch-pause:1 amd64
for a in arm64 amd64; do
    rm -rf "$T/r"; mkdir -p "$T/r"; tar -C "$T/r" -xf "$P/img/$a-busybox.tar"
    python3 "$SRC/tests/tools/oci_image.py" "$T/r" "$P/img/$a-busybox.oci" "localhost/$a-busybox:1" "$a"
done
dpkg-deb --fsys-tarfile "$CRI_API" | tar -xO ./usr/share/gocode/src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto |
    grep -v -e 'gogoproto/gogo.proto' -e 'option (gogoproto' >"$P/cri/api.proto"
(cd "$P/cri" && protoc --python_out=. api.proto) || { echo "lane: protoc cannot compile the CRI API" >&2; exit 1; }
cp "$SRC/tests/cri/cri.py" "$P/cri/"
# The whalesay: cowsay (a #!/usr/bin/perl script), perl and libc of arm64; no shell. trixie is
# merged-/usr.
R=$T/cow; mkdir -p "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc" "$R/usr/lib" "$R/usr/bin"; chmod 1777 "$R/tmp"
ln -s usr/lib "$R/lib"; ln -s usr/bin "$R/bin"
for p in cowsay perl-base perl-modules-5.40 libc6 libcrypt1 libtext-charwidth-perl; do dpkg-deb -x "$(deb "$p")" "$R"; done
rm -rf "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/locale" "$R/usr/lib/aarch64-linux-gnu/gconv"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"; printf 'root:x:0:\n' >"$R/etc/group"
tar -C "$R" --owner=0 --group=0 -cf "$P/img/arm64-cowsay.tar" .
rm -rf "$T"

step "disks"
cp "$HERE/guest.sh" "$P/guest.sh"
printf '%s\n' "$@" >"$P/plan"
rm -f "$WORK/payload.img" "$WORK/run.img"
mkfs.ext4 -q -F -L payload -d "$P" "$WORK/payload.img" 512M
cp --sparse=always "$IMAGE/base.img" "$WORK/run.img"

step "boot and run $# cases"
# No -no-reboot: the reboot cases reboot the guest; qemu exits when it powers off at the end.
timeout "${XARCH_DISTRO_TIMEOUT:-2100}" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64 -smp 2 -m 4096 \
    -nographic -nic none -kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0" \
    -drive "file=$WORK/run.img,format=raw,if=virtio,cache=unsafe" \
    -drive "file=$WORK/payload.img,format=raw,if=virtio,readonly=on" \
    </dev/null >"$WORK/console.log" 2>&1 || echo "lane: qemu-system-x86_64 exited $?"
step
awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "lane: %-30s %6.1f s\n", "total", b - a }'
rm -f "$WORK/run.img" "$WORK/payload.img"   # rebuilt every run from the caches

python3 "$SRC/tests/arm64-host/verdict.py" --title "distro-host lane (Debian 13, systemd)" "$WORK" "$@"
