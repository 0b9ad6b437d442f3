#!/bin/sh
# debian-image.sh CACHE MODULE...: the Debian 13 (trixie) arm64 host of the arm64 lane's engine cases
# (deb.*: the arm64 package, podman and Docker), built once from Debian's arm64 packages and kept
# in CACHE/debian-KEY (KEY: a hash of this script, so a change to the package list or the
# customisation makes a new one; older ones are removed). Prints that directory, which holds
# base.img (raw ext4, no partition table) and the trixie kernel: vmlinuz and modules/ (the .ko
# files the lane's initramfs loads, MODULE... as paths below kernel/ without .ko, decompressed:
# busybox insmod takes no .ko.xz).
#
# An arm64 tree must run arm64 maintainer scripts on this amd64 machine, and dpkg itself under
# qemu-user takes 8 min for this package set. So only the scripts are emulated:
#   1. mmdebstrap --variant=extract resolves and downloads the set and unpacks it natively;
#   2. in a user namespace of its own (all ids mapped to themselves, so owners and modes are
#      real) with its own binfmt_misc instance (Linux >= 6.7), which gets a qemu-aarch64 entry
#      with F, this machine's dpkg installs the same .debs with --root: it unpacks natively and
#      runs each maintainer script chrooted, under qemu-aarch64. The machine's binfmt_misc, apt
#      configuration and dpkg database are never touched.
# The guest runs no systemd (the lane's init is PID 1), so deb-systemd-helper, deb-systemd-invoke
# and update-rc.d are no-ops while the scripts run (under emulation they take minutes for unit
# files nobody starts) and policy-rc.d keeps daemons from starting; the real ones are back after.
set -eu

if [ "${1:-}" = --in-namespace ]; then
    R=$2 DEBS=$3
    BINFMT=/proc/sys/fs/binfmt_misc
    host_dev=$(stat -c %d $BINFMT 2>/dev/null || echo none)
    mount -t binfmt_misc binfmt_misc $BINFMT ||
        { echo "debian-image.sh: cannot mount a binfmt_misc of its own (Linux >= 6.7 needed)" >&2; exit 1; }
    [ "$(stat -c %d $BINFMT)" != "$host_dev" ] || { echo "debian-image.sh: got the machine's binfmt_misc" >&2; exit 1; }
    [ -x /usr/bin/qemu-aarch64-static ] || { echo "debian-image.sh: no /usr/bin/qemu-aarch64-static (apt-get install qemu-user-static)" >&2; exit 1; }
    printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' >$BINFMT/register
    for d in dev proc sys; do mount --rbind "/$d" "$R/$d"; done
    printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true LC_ALL=C.UTF-8 \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin
    # The tree already holds every file (step 1): each preinst finds what it needs; dpkg orders
    # the configuration by dependencies.
    # shellcheck disable=SC2046
    dpkg --root="$R" --force-architecture --force-depends --unpack $(ls "$DEBS"/*.deb)
    # After the unpack, which would put the real ones back.
    stubs="usr/bin/deb-systemd-helper usr/bin/deb-systemd-invoke usr/sbin/update-rc.d"
    for s in $stubs; do mv "$R/$s" "$R/$s.lane"; printf '#!/bin/sh\nexit 0\n' >"$R/$s"; chmod 755 "$R/$s"; done
    dpkg --root="$R" --force-architecture --force-depends --configure -a
    for s in $stubs; do mv "$R/$s.lane" "$R/$s"; done
    rm -f "$R/usr/sbin/policy-rc.d"
    # A user for rootless podman: subordinate ids as useradd gives them.
    : >"$R/etc/subuid"; : >"$R/etc/subgid"
    chroot "$R" useradd -m -s /bin/sh alice
    exit 0
fi

# mmdebstrap hands apt a descriptor that dash must name in `cat >&N`, and dash takes N up to 9
# only: what a caller left open (the lane's lock, ctest's pipes) must not push it past that.
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
CACHE=$1; shift
MODULES=$*
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
KEY=$({ cat "$0"; echo "$MODULES"; } | sha256sum | cut -c1-16)
OUT=$CACHE/debian-$KEY
if [ -f "$OUT/done" ]; then echo "$OUT"; exit 0; fi
for old in "$CACHE"/debian-*; do [ "$old" = "$OUT" ] || rm -rf "$old"; done
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "debian-image.sh: needs root (mmdebstrap --mode=root, a user namespace mapping every id)" >&2; exit 1; }

MIRROR=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian

# What an arm64 user of podman and Docker has; qemu-user-static, which the xarch package depends
# on (the guest has no network: dpkg -i of the package must find it installed).
PKGS="podman crun conmon uidmap docker.io docker-cli runc containerd tini qemu-user-static
      procps passwd mount util-linux"
# shellcheck disable=SC2086 # one name a word
PKGS=$(echo $PKGS | tr ' ' ',')

rm -rf "$OUT"; mkdir -p "$OUT/debs"
R=$OUT/root
log=$OUT/build.log
now() { date +%s; }
t0=$(now)
mmdebstrap --mode=root --variant=extract --architectures=arm64 --include='?essential' --include="$PKGS" \
    --extract-hook="sync-out /var/cache/apt/archives $OUT/debs" \
    trixie "$R" "$MIRROR" >"$log" 2>&1 || { tail -n 40 "$log" >&2; exit 1; }
t1=$(now)

# Step 2 in the namespace; its uid and gid maps are written from here (a process cannot map
# every id for itself).
# shellcheck disable=SC2016 # expanded by that sh
unshare --user --mount --propagation private sh -c \
    'while [ -z "$(cat /proc/self/gid_map)" ]; do sleep 0.05; done; exec "$@"' \
    sh "$HERE/debian-image.sh" --in-namespace "$R" "$OUT/debs" >>"$log" 2>&1 &
inner=$!
i=0
until [ "$(readlink /proc/$inner/ns/user 2>/dev/null)" != "$(readlink /proc/self/ns/user)" ] || [ $i -ge 100 ]; do
    sleep 0.05; i=$((i + 1))
done
if ! { echo '0 0 4294967295' >"/proc/$inner/uid_map" && echo '0 0 4294967295' >"/proc/$inner/gid_map"; }; then
    kill "$inner" 2>/dev/null; echo "debian-image.sh: cannot map the namespace's ids" >&2; exit 1
fi
wait $inner || { tail -n 40 "$log" >&2; echo "debian-image.sh: installing in the namespace failed" >&2; exit 1; }
t2=$(now)

echo arm64-debian >"$R/etc/hostname"
printf '/dev/vda / ext4 rw 0 1\n' >"$R/etc/fstab"
rm -rf "$R"/usr/share/doc/* "$R"/usr/share/man/* "$R"/usr/share/locale/* "$R"/var/cache/apt/archives/*.deb \
       "$R"/var/lib/apt/lists/*

# The kernel: trixie's (6.12: a user namespace can mount its own binfmt_misc, which rootless
# podman needs when nothing is registered).
meta=$("$SRC/scripts/fetch-debs.sh" --cache "$CACHE" --suite trixie arm64 linux-image-arm64)
KPKG=$(dpkg-deb -f "$meta" Depends | sed -n 's/^\(linux-image-[0-9][^ ,]*-arm64\).*/\1/p')
[ -n "$KPKG" ] || { echo "debian-image.sh: cannot tell the kernel package from $meta" >&2; exit 1; }
KV=${KPKG#linux-image-}
kdeb=$("$SRC/scripts/fetch-debs.sh" --cache "$CACHE" --suite trixie arm64 "$KPKG")
K=$OUT/kernel
mkdir -p "$K"
# shellcheck disable=SC2046
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$K" ./boot/vmlinuz-"$KV" \
    $(for m in $MODULES; do echo "./usr/lib/modules/$KV/kernel/$m.ko.xz"; done)
mv "$K/boot/vmlinuz-$KV" "$OUT/vmlinuz"
mkdir -p "$OUT/modules"
for m in $MODULES; do
    mkdir -p "$OUT/modules/${m%/*}"
    xz -dc "$K/usr/lib/modules/$KV/kernel/$m.ko.xz" >"$OUT/modules/$m.ko"
done
rm -rf "$K"

mkfs.ext4 -q -F -L arm64-debian -d "$R" "$OUT/base.img" 4G >&2   # stdout is the answer
rm -rf "$R" "$OUT/debs"
t3=$(now)
echo "debian-image.sh: extract $((t1 - t0)) s, install $((t2 - t1)) s, kernel and disk $((t3 - t2)) s" >>"$log"
touch "$OUT/done"
echo "$OUT"
