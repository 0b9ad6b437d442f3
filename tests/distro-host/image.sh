#!/bin/sh
# image.sh CACHE: the Debian 13 (trixie) amd64 guest of the distro-host lane, built once from
# Debian's packages and kept in CACHE/image-KEY (KEY: a hash of this script, so any change to
# the package list or the customisation makes a new one; older images are removed). Prints that
# directory, which holds base.img (raw ext4, root=/dev/vda, no partition table), vmlinuz and
# initrd.img. Downloads are kept in CACHE/debs, so a rebuild fetches nothing it has.
# mmdebstrap runs with its own apt state inside the new tree (the machine's apt configuration is
# only read for its mirror); its policy-rc.d keeps daemons from starting in the chroot, and the
# tree becomes a disk without loop devices (mkfs.ext4 -d).
set -eu
CACHE=$1
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE/debs"
CACHE=$(cd "$CACHE" && pwd)
KEY=$(cat "$0" "$HERE/files/lane.service" | sha256sum | cut -c1-16)
OUT=$CACHE/image-$KEY
if [ -f "$OUT/done" ]; then echo "$OUT"; exit 0; fi
for old in "$CACHE"/image-*; do [ "$old" = "$OUT" ] || rm -rf "$old"; done

# The archive this machine already uses (deb822 first, then sources.list).
MIRROR=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian

# What users run: systemd with a user session (rootless podman), podman 5 with crun, Docker 26
# with BuildKit, containerd 1.7, buildah; qemu-user-static, which the xarch package depends on
# (the guest has no network: everything apt-get install ./xarch_*.deb needs must be here).
# nftables: netavark needs nft, without it rootful podman and buildah fail. python3-grpcio and
# python3-protobuf: the CRI client (tests/cri/cri.py) that drives containerd as a kubelet does.
PKGS="systemd systemd-sysv udev dbus dbus-user-session libpam-systemd systemd-container kmod
      linux-image-amd64 initramfs-tools zstd
      podman crun runc conmon catatonit passt slirp4netns uidmap netavark aardvark-dns
      docker.io docker-cli docker-buildx containerd tini iptables nftables buildah
      qemu-user-static procps iproute2 util-linux mount python3-grpcio python3-protobuf"
PKGS=$(echo $PKGS | tr ' ' ',')

rm -rf "$OUT"; mkdir -p "$OUT"
R=$OUT/root
# Boot fast and quiet: no getty on the console (the lane's output goes there), no apt timers;
# Docker and containerd start when a case starts them, not at every boot (under TCG dockerd
# takes a minute and a half to start). A user with a systemd user session for rootless podman.
mmdebstrap --mode=root --variant=apt --include="$PKGS" \
    --skip=download/empty --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $CACHE/debs /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $CACHE/debs" \
    --customize-hook='echo trixie-lane > "$1/etc/hostname"' \
    --customize-hook='printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
    --customize-hook="cp '$HERE/files/lane.service' \"\$1/etc/systemd/system/lane.service\"" \
    --customize-hook='ln -sf /etc/systemd/system/lane.service "$1/etc/systemd/system/multi-user.target.wants/lane.service"' \
    --customize-hook='for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do ln -sf /dev/null "$1/etc/systemd/system/$u"; done' \
    --customize-hook='chroot "$1" systemctl disable docker.service docker.socket containerd.service' \
    --customize-hook='chroot "$1" useradd -m -s /bin/sh alice && mkdir -p "$1/var/lib/systemd/linger" && touch "$1/var/lib/systemd/linger/alice"' \
    --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/locale/* "$1"/var/cache/apt/archives/*.deb' \
    trixie "$R" "$MIRROR" >"$OUT/mmdebstrap.log" 2>&1 || { tail -n 40 "$OUT/mmdebstrap.log" >&2; exit 1; }
cp "$R"/boot/vmlinuz-* "$OUT/vmlinuz"
cp "$R"/boot/initrd.img-* "$OUT/initrd.img"
mkfs.ext4 -q -F -L trixie-lane -d "$R" "$OUT/base.img" 8G >&2  # stdout is the answer
rm -rf "$R"
touch "$OUT/done"
echo "$OUT"
