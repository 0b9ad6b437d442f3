#!/bin/sh
# lane.sh [--build DIR] CASE...: the arm64 host lane. On this (amd64) machine it cross-builds
# xarch for arm64 and its .deb (scripts/build-arm64.sh --deb) and boots emulated arm64 hosts
# under qemu-system-aarch64 (TCG, -cpu cortex-a72 -smp 2), each once, running its CASEs inside
# and deciding each from the console (verdict.py):
#   busybox  every case but debian.*: a host made from Debian's own packages (kernel, busybox,
#            runc, crun, qemu-user-static) with the test bundles and the cross-built programs
#            (cases.sh);
#   debian   the debian.* cases: Debian 13 with podman and Docker (debian-image.sh, cached), the
#            arm64 package installed with dpkg (debian-cases.sh).
#   lane.sh --verdict CASE     prints one case's result of the last run; exit 0 if it passed.
# DIR is the amd64 build directory (default build): everything goes below it, in
#   DIR/arm64-host-cache  downloaded .debs (private apt state, scripts/fetch-debs.sh), the
#                         Debian host's image
#   DIR/build-arm64       the cross build
#   DIR/arm64-host        unpacked packages, the guests' disks, console.log, results
# The machine's binfmt_misc, runtimes and apt configuration are not touched; the guests have
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

BUSYBOX_CASES='' DEBIAN_CASES=''
for c; do
    case $c in debian.*) DEBIAN_CASES="$DEBIAN_CASES $c" ;; *) BUSYBOX_CASES="$BUSYBOX_CASES $c" ;; esac
done
if [ -n "$DEBIAN_CASES" ]; then
    [ "$(id -u)" = 0 ] || skip "the Debian host's image needs root (mmdebstrap --mode=root)"
    for tool in mmdebstrap:mmdebstrap qemu-aarch64-static:qemu-user-static xz:xz-utils; do
        command -v "${tool%%:*}" >/dev/null || skip "${tool%%:*} not found (apt-get install ${tool#*:}; scripts/install-deps.sh)"
    done
fi

exec 8>>"$WORK/lock" 9>&1
flock 8   # one lane per build directory at a time
rm -f "$WORK/results" "$WORK/console.log"

now() { date +%s.%N; }
T0=$(now); TS=$T0
step() {
    t=$(now)
    [ -z "${STEP:-}" ] || awk -v a="$TS" -v b="$t" -v s="$STEP" 'BEGIN { printf "lane: %-28s %6.1f s\n", s, b - a }'
    TS=$t; STEP=${1:-}
}

# The modules each host's initramfs loads (init.sh), in this order. Debian 12's kernel has
# virtio_pci as modules, Debian 13's has it built in.
MODULES_TAIL="lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4 drivers/block/virtio_blk
              fs/binfmt_misc fs/overlayfs/overlay"
MODULES="drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci $MODULES_TAIL"
# timed NAME CMD...: CMD, then its time on a line of the lane's report (for what runs beside
# the steps).
timed() {
    name=$1; shift
    a=$(now)
    "$@"; rc=$?
    awk -v a="$a" -v b="$(now)" -v s="$name" 'BEGIN { printf "lane: %-28s %6.1f s (beside)\n", s, b - a }' >&9
    return $rc
}

# kill_tree PID: PID and every process below it (a background step and what it started).
kill_tree() {
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
    kill "$1" 2>/dev/null || true
}
JOBS=
# shellcheck disable=SC2154 # j is the trap's own loop variable
trap 'for j in $JOBS; do kill_tree "$j"; done' EXIT
trap 'exit 130' INT TERM

# The Debian host's image (minutes when not cached) is made while the cross-build runs: it
# mostly waits on emulated maintainer scripts, one at a time.
if [ -n "$DEBIAN_CASES" ]; then
    # shellcheck disable=SC2086
    timed "Debian host: image (cached)" "$HERE/debian-image.sh" "$CACHE" $MODULES_TAIL \
        >"$WORK/debian-image.path" 2>"$WORK/debian-image.log" &
    image_job=$!
    JOBS="$JOBS $image_job"
fi

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
# shellcheck disable=SC2046
KERNEL=$(unpacked "$(deb_of "$KPKG")" ./boot/vmlinuz-"$KV" $(for m in $MODULES; do echo "./lib/modules/$KV/kernel/$m.ko"; done))
QEMU=$(unpacked "$(deb_of qemu-user-static)" ./usr/bin/qemu-x86_64-static ./usr/bin/qemu-i386-static \
    ./usr/bin/qemu-arm-static ./usr/libexec/qemu-binfmt/x86_64-binfmt-P ./usr/libexec/qemu-binfmt/i386-binfmt-P \
    ./usr/lib/binfmt.d/qemu-x86_64.conf ./usr/lib/binfmt.d/qemu-i386.conf)
BUSYBOX=$(unpacked "$(deb_of busybox-static)")/bin/busybox

step "guest rootfs and bundles"
R=$WORK/root
rm -rf "$R"
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/run" "$R/tmp" "$R/etc" "$R/lane" "$R/bundles" \
         "$R/usr/sbin" "$R/usr/bin" "$R/usr/local/bin"
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
for p in $ARM64_LIBS; do
    d=$(unpacked "$(deb_of "$p")")
    for sub in lib usr/lib; do [ ! -d "$d/$sub" ] || cp -a "$d/$sub" "$R/${sub%lib}"; done
done
rm -rf "$R/usr/lib/aarch64-linux-gnu/gconv" "$R/usr/lib/aarch64-linux-gnu/audit"
cp "$(unpacked "$(deb_of runc)")/usr/sbin/runc" "$R/usr/sbin/"
cp "$(unpacked "$(deb_of crun)")/usr/bin/crun" "$R/usr/bin/"
cp -a "$QEMU/usr" "$R/"
for p in xarch-hook xarch xarch-runtime; do aarch64-linux-gnu-strip -o "$R/usr/local/bin/$p" "$CROSS/bin/$p"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
cp "$HERE/init.sh" "$R/init"
cp "$HERE/lib.sh" "$HERE/cases.sh" "$R/lane/"
echo "$BUSYBOX_CASES" >"$R/lane/plan"
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

# initrd OUT MODDIR MODULE...: the stage-1 initramfs (busybox, init.sh, the MODULEs' .ko files
# from MODDIR and their order) at OUT.
initrd() {
    out=$1 moddir=$2; shift 2
    I=$WORK/initrd
    rm -rf "$I"; mkdir -p "$I/bin" "$I/proc" "$I/dev" "$I/newroot" "$I/lib/modules/kernel"
    cp "$BUSYBOX" "$I/bin/"; ln -s busybox "$I/bin/sh"
    cp "$HERE/init.sh" "$I/init"
    for m; do
        mkdir -p "$I/lib/modules/kernel/${m%/*}"
        cp "$moddir/$m.ko" "$I/lib/modules/kernel/$m.ko"
        echo "$m" >>"$I/lib/modules/order"
    done
    (cd "$I" && find . | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
    rm -rf "$I"
}

# boot CONSOLE KERNEL INITRD TIMEOUT DISK...: the guest until it powers off (qemu exits then,
# whatever happened inside), its console in CONSOLE. -cpu max is 2.7 times slower (pointer
# authentication); -nic none: no network, and no efi-virtio.rom needed.
boot() {
    console=$1 kernel=$2 initrd=$3 limit=$4; shift 4
    drives='' n=0
    for disk; do
        drives="$drives -drive file=$disk,format=raw,if=none,id=d$n,cache=unsafe -device virtio-blk-pci,drive=d$n"
        n=$((n + 1))
    done
    # shellcheck disable=SC2086
    timeout "$limit" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 2048 \
        -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyAMA0 rdinit=/init panic=-1 quiet" $drives \
        </dev/null >"$console" 2>&1 || echo "lane: qemu-system-aarch64 exited $? ($console)"
}

# The two hosts run side by side: each case mostly keeps one emulated CPU busy.
rm -f "$WORK/console-busybox.log" "$WORK/console-debian.log"
if [ -n "$BUSYBOX_CASES" ]; then
    step "busybox host: disk and initramfs"
    rm -f "$WORK/disk.img"
    mkfs.ext4 -q -F -L arm64-host -d "$R" "$WORK/disk.img" 768M >/dev/null
    # shellcheck disable=SC2086
    initrd "$WORK/initrd.gz" "$KERNEL/lib/modules/$KV/kernel" $MODULES
    timed "busybox host: $(echo "$BUSYBOX_CASES" | wc -w) cases" boot "$WORK/console-busybox.log" "$KERNEL/boot/vmlinuz-$KV" \
        "$WORK/initrd.gz" "${XARCH_ARM64_TIMEOUT:-720}" "$WORK/disk.img" &
    busybox_job=$!
    JOBS="$JOBS $busybox_job"
fi

if [ -n "$DEBIAN_CASES" ]; then
    step "Debian host: wait for the image"
    IMAGE=
    if wait "$image_job"; then
        IMAGE=$(cat "$WORK/debian-image.path")
    else
        # The busybox host's cases still count; the Debian host's have no result.
        tail -n 40 "$WORK/debian-image.log"
        echo "lane: cannot build the Debian host's image (above; all of it in $WORK/debian-image.log)" >&2
    fi
fi
if [ -n "$DEBIAN_CASES" ] && [ -n "$IMAGE" ]; then
    step "Debian host: payload and disks"
    P=$WORK/payload
    rm -rf "$P"; mkdir -p "$P/img"
    cp "$HERE/init.sh" "$HERE/lib.sh" "$HERE/debian-cases.sh" "$P/"
    echo "$DEBIAN_CASES" >"$P/plan"
    cp "$CROSS"/xarch_*_arm64.deb "$P/xarch.deb"
    tar -C "$W/rootfs" --owner=0 --group=0 -cf "$P/img/whalesay.tar" .
    tar -C "$R/bundles/arm64/rootfs" --owner=0 --group=0 -cf "$P/img/native.tar" .
    rm -f "$WORK/payload.img" "$WORK/debian.img"
    mkfs.ext4 -q -F -L payload -d "$P" "$WORK/payload.img" 256M >/dev/null
    cp --sparse=always "$IMAGE/base.img" "$WORK/debian.img"
    # shellcheck disable=SC2086
    initrd "$WORK/initrd-debian.gz" "$IMAGE/modules" $MODULES_TAIL
    step "Debian host: boot, $(echo "$DEBIAN_CASES" | wc -w) cases"
    boot "$WORK/console-debian.log" "$IMAGE/vmlinuz" "$WORK/initrd-debian.gz" "${XARCH_ARM64_DEBIAN_TIMEOUT:-900}" \
        "$WORK/debian.img" "$WORK/payload.img"
    rm -rf "$P" "$WORK/payload.img" "$WORK/debian.img"
fi
if [ -n "$BUSYBOX_CASES" ]; then
    step "busybox host: wait"
    wait "$busybox_job" || true
    JOBS=
    rm -f "$WORK/disk.img"   # 200 MB, rebuilt every run from the caches
fi
cat "$WORK"/console-*.log >"$WORK/console.log" 2>/dev/null || :   # none when no host booted
step
awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "lane: %-28s %6.1f s\n", "total", b - a }'
rm -rf "$R"

python3 "$HERE/verdict.py" "$WORK" "$@"
