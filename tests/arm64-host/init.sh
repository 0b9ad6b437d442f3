#!/bin/sh
# PID 1 of the emulated arm64 host (busybox sh; POSIX sh only). Stage 1 runs from the small
# initramfs: runc cannot pivot_root out of an initramfs root, so it loads the virtio and ext4
# modules (no modules.dep: insmod by path, in dependency order), mounts the ext4 disk and
# switch_roots into it. Stage 2 sets up the host (proc, sys, dev, cgroup2, binfmt_misc),
# runs /lane/cases.sh and powers off. Everything is reported on the console as lines
# starting with '@@ '; the machine outside decides from those (tests/arm64-host/lane.sh).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
uptime_s() { read -r u _ </proc/uptime; echo "$u"; }
mark() { echo "@@ t=$(uptime_s) $*"; }
MODULES=/lib/modules/$(uname -r)/kernel
load() { for m; do insmod "$MODULES/$m.ko" || mark "ERROR insmod $m failed"; done; }
halt() { sync; poweroff -f; }

if [ "${1:-}" != stage2 ]; then
    /bin/busybox --install -s /bin
    mount -t proc proc /proc
    mount -t devtmpfs devtmpfs /dev
    mark "BOOT kernel=$(uname -r) machine=$(uname -m)"
    load drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev \
         drivers/virtio/virtio_pci drivers/block/virtio_blk \
         lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4
    i=0
    while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    mkdir -p /newroot
    mount -t ext4 /dev/vda /newroot || { mark "ERROR cannot mount /dev/vda"; halt; }
    umount /dev
    umount /proc
    exec switch_root /newroot /init stage2
fi

[ -e /bin/mount ] || /bin/busybox --install -s /bin
# The image was made by mkfs.ext4 -d, which keeps the builder's file owners: make the host's
# files root's, as a package manager would (xarch trusts only root-owned emulators).
for d in /*; do
    case $d in /proc|/sys|/dev|/lost+found) ;; *) chown -R 0:0 "$d" ;; esac
done
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/lane
mount -t devpts devpts /dev/pts
# What udev adds to devtmpfs on any distribution: binfmt_misc entries without the O flag get
# a program exec'd from a file descriptor as /dev/fd/N (xarch's probes are).
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
load fs/binfmt_misc fs/overlayfs/overlay
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || mark "ERROR cannot mount binfmt_misc"
hostname arm64-host
mark "STAGE2 root=$(awk '$2 == "/" { r = $1 ":" $3 } END { print r }' /proc/mounts) cpus=$(grep -c ^processor /proc/cpuinfo)"
# shellcheck source=tests/arm64-host/cases.sh
. /lane/cases.sh
# shellcheck disable=SC2046 # one case name a word
run_plan $(cat /lane/plan)
mark "END"
halt
