#!/bin/sh
# lane.sh [--build DIR] CASE...: the arm64 host lane. On this (amd64) machine it cross-builds
# xarch for arm64 and its .deb (scripts/build-arm64.sh --deb), makes an arm64 Debian host from Debian's own
# packages (kernel, busybox, runc, crun, qemu-user-static) with the test bundles, boots it
# once under qemu-system-aarch64 (TCG, -cpu cortex-a72 -smp 2), runs every CASE inside
# (cases.sh) and decides each case from the console (verdict.py).
#   lane.sh --verdict CASE     prints one case's result of the last run; exit 0 if it passed.
# DIR is the amd64 build directory (default build): everything goes below it, in
#   DIR/arm64-host-cache  downloaded .debs (private apt state, scripts/fetch-debs.sh)
#   DIR/build-arm64       the cross build
#   DIR/arm64-host        unpacked packages, the guest's rootfs and disk, console.log, results
# The machine's binfmt_misc, runtimes and apt configuration are not touched; the guest has
# no network. Exit status: 0 every case passed (with XARCH_LANE_CASE_TESTS=1: every case has
# a result, for ctest's per-case tests to judge), 1 otherwise, 77 a tool is missing.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$SRC/tests/arm64-host
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
WORK=$BUILD/arm64-host
CACHE=$BUILD/arm64-host-cache
CROSS=$BUILD/build-arm64

if [ -n "$VERDICT" ]; then
    exec python3 "$HERE/verdict.py" --case "$VERDICT" "$WORK"
fi
[ $# -gt 0 ] || { echo "lane.sh: no cases given" >&2; exit 2; }

mkdir -p "$WORK"
rm -f "$WORK/skipped"
# The per-case tests report the lane's SKIP as theirs.
skip() { echo "SKIP: $*"; echo "$*" >"$WORK/skipped"; exit 77; }
for tool in qemu-system-aarch64:qemu-system-arm aarch64-linux-gnu-g++:g++-aarch64-linux-gnu \
            mkfs.ext4:e2fsprogs cpio:cpio runc:runc python3:python3; do
    command -v "${tool%%:*}" >/dev/null || skip "${tool%%:*} not found (apt-get install ${tool#*:}; scripts/install-deps.sh)"
done

exec 8>>"$WORK/lock"
flock 8   # one lane per build directory at a time
rm -f "$WORK/results" "$WORK/console.log"

now() { date +%s.%N; }
T0=$(now); TS=$T0
step() {
    t=$(now)
    [ -z "${STEP:-}" ] || awk -v a="$TS" -v b="$t" -v s="$STEP" 'BEGIN { printf "lane: %-28s %6.1f s\n", s, b - a }'
    TS=$t; STEP=${1:-}
}

step "cross-build (build-arm64.sh --deb)"
# The arm64 package too (arm64-host.package checks it on this machine).
XARCH_JOBS=${XARCH_JOBS:-2} "$SRC/scripts/build-arm64.sh" --cache "$CACHE" --deb "$CROSS" >"$WORK/cross-build.log" 2>&1 ||
    { cat "$WORK/cross-build.log"; echo "lane: the cross-build failed" >&2; exit 1; }

step "download (cached)"
: >"$WORK/download.log"
fetch() {
    "$SRC/scripts/fetch-debs.sh" --cache "$CACHE" "$@" 2>>"$WORK/download.log" ||
        { cat "$WORK/download.log" >&2; echo "lane: cannot download $*" >&2; return 1; }
}
ARM64_LIBS="libc6 libseccomp2 libcap2 libsystemd0 libyajl2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1"
# linux-image-arm64 only names the current kernel package.
meta=$(fetch arm64 linux-image-arm64)
KPKG=$(dpkg-deb -f "$meta" Depends | sed -n 's/^\(linux-image-[0-9][^ ,]*-arm64\).*/\1/p')
[ -n "$KPKG" ] || { echo "lane: cannot tell the kernel package from $meta" >&2; exit 1; }
KV=${KPKG#linux-image-}
# shellcheck disable=SC2086
ARM64_DEBS=$(fetch arm64 "$KPKG" busybox-static runc crun qemu-user-static $ARM64_LIBS)
AMD64_DEBS=$(fetch amd64 cowsay perl-base perl-modules-5.36 libc6 libcrypt1 libtext-charwidth-perl)

step "unpack (cached)"
# unpack DEB [MEMBER...]: DEB's files (or only MEMBERs) in $WORK/x/<name of DEB>, once.
X=$WORK/x
unpacked() {
    d=$X/$(basename "$1" .deb)
    if [ ! -d "$d" ]; then
        rm -rf "$d.tmp"; mkdir -p "$d.tmp"
        f=$1; shift
        dpkg-deb --fsys-tarfile "$f" | tar -x -C "$d.tmp" "$@"
        mv "$d.tmp" "$d"
    fi
    echo "$d"
}
deb_of() { echo "$ARM64_DEBS" | grep "/$1_"; }
MODULES="fs/binfmt_misc fs/overlayfs/overlay lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4
         drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci
         drivers/block/virtio_blk"
# shellcheck disable=SC2046
KERNEL=$(unpacked "$(deb_of "$KPKG")" ./boot/vmlinuz-"$KV" $(for m in $MODULES; do echo "./lib/modules/$KV/kernel/$m.ko"; done))
QEMU=$(unpacked "$(deb_of qemu-user-static)" ./usr/bin/qemu-x86_64-static ./usr/bin/qemu-i386-static \
    ./usr/bin/qemu-arm-static ./usr/libexec/qemu-binfmt/x86_64-binfmt-P ./usr/libexec/qemu-binfmt/i386-binfmt-P \
    ./usr/lib/binfmt.d/qemu-x86_64.conf ./usr/lib/binfmt.d/qemu-i386.conf)

step "guest rootfs and bundles"
R=$WORK/root
rm -rf "$R" "$WORK/initrd"
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/etc" "$R/lane" "$R/bundles" \
         "$R/usr/sbin" "$R/usr/bin" "$R/usr/local/bin"
cp "$(unpacked "$(deb_of busybox-static)")/bin/busybox" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
for p in $ARM64_LIBS; do
    d=$(unpacked "$(deb_of "$p")")
    for sub in lib usr/lib; do [ ! -d "$d/$sub" ] || cp -a "$d/$sub" "$R/${sub%lib}"; done
done
rm -rf "$R/usr/lib/aarch64-linux-gnu/gconv" "$R/usr/lib/aarch64-linux-gnu/audit"
cp "$(unpacked "$(deb_of runc)")/usr/sbin/runc" "$R/usr/sbin/"
cp "$(unpacked "$(deb_of crun)")/usr/bin/crun" "$R/usr/bin/"
cp -a "$QEMU/usr" "$R/"
for m in $MODULES; do
    mkdir -p "$R/lib/modules/$KV/kernel/${m%/*}"
    cp "$KERNEL/lib/modules/$KV/kernel/$m.ko" "$R/lib/modules/$KV/kernel/$m.ko"
done
for p in xarch-hook xarch xarch-runtime; do aarch64-linux-gnu-strip -o "$R/usr/local/bin/$p" "$CROSS/bin/$p"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
cp "$HERE/init.sh" "$R/init"
cp "$HERE/cases.sh" "$R/lane/cases.sh"
echo "$*" >"$R/lane/plan"
bundle() {
    "$SRC/test-bundles/make-bundle.sh" --cache "$CACHE" "$@" >/dev/null 2>>"$WORK/download.log" ||
        { cat "$WORK/download.log" >&2; echo "lane: cannot make the $1 bundle" >&2; exit 1; }
}
for a in amd64 i386 armhf arm64; do bundle "$a" "$R/bundles/$a" uname -m; done
# A profile written for amd64 only, as made on an amd64 machine: the emulator's system calls are
# arm64's, so xarch-runtime must add SCMP_ARCH_AARCH64 ('open' exists on x86_64 only).
bundle amd64 "$R/bundles/amd64-seccomp" uname -m
python3 - "$R/bundles/amd64-seccomp/config.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["kexec_load", "open"], "action": "SCMP_ACT_ERRNO"}]}
json.dump(spec, open(sys.argv[1], "w"), indent="\t")
PY
# The amd64-only image: Debian's cowsay and what its perl needs, no shell, no busybox.
W=$R/bundles/whalesay
bundle amd64 "$W" /usr/games/cowsay "hello from an amd64-only image"
rm -rf "$W/rootfs"; mkdir -p "$W/rootfs/proc" "$W/rootfs/sys" "$W/rootfs/dev" "$W/rootfs/tmp"
for d in $AMD64_DEBS; do dpkg-deb -x "$d" "$W/rootfs"; done
rm -rf "$W/rootfs/usr/share/doc" "$W/rootfs/usr/share/man" "$W/rootfs/usr/share/locale" \
       "$W/rootfs/usr/lib/x86_64-linux-gnu/gconv"

step "disk and initramfs"
rm -f "$WORK/disk.img"
mkfs.ext4 -q -F -L arm64-host -d "$R" "$WORK/disk.img" 768M >/dev/null
I=$WORK/initrd
mkdir -p "$I/bin" "$I/proc" "$I/dev" "$I/newroot"
cp "$R/bin/busybox" "$I/bin/"; ln -s busybox "$I/bin/sh"
cp "$HERE/init.sh" "$I/init"
for m in $MODULES; do
    mkdir -p "$I/lib/modules/$KV/kernel/${m%/*}"
    cp "$R/lib/modules/$KV/kernel/$m.ko" "$I/lib/modules/$KV/kernel/$m.ko"
done
(cd "$I" && find . | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$WORK/initrd.gz"

step "boot and run $# cases"
# -cpu max is 2.7 times slower (pointer authentication); -nic none: no network, and no
# efi-virtio.rom needed. qemu exits when the guest powers off, whatever happened inside.
timeout "${XARCH_ARM64_TIMEOUT:-720}" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 \
    -nographic -no-reboot -nic none -kernel "$KERNEL/boot/vmlinuz-$KV" -initrd "$WORK/initrd.gz" \
    -append "console=ttyAMA0 rdinit=/init panic=-1 quiet" \
    -drive "file=$WORK/disk.img,format=raw,if=none,id=d0,cache=unsafe" -device virtio-blk-pci,drive=d0 \
    </dev/null >"$WORK/console.log" 2>&1 || echo "lane: qemu-system-aarch64 exited $?"
step
awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "lane: %-28s %6.1f s\n", "total", b - a }'
rm -rf "$R" "$I" "$WORK/disk.img"   # 200 MB, rebuilt every run from the caches

python3 "$HERE/verdict.py" "$WORK" "$@"
