#!/bin/sh
# PID 1 of the emulated arm64 hosts (POSIX sh only). Stage 1 runs from the small busybox
# initramfs: runc cannot pivot_root out of an initramfs root, so it loads the kernel modules
# listed in /lib/modules/order (no modules.dep: insmod by path, in that order), mounts the ext4
# root disk and switch_roots into it. Two hosts (lane.sh):
#   busybox  the lane's own tree with this script at /init and the cases at /lane;
#   debian   Debian 13 (debian-image.sh): a second disk, the payload (this script, the cases,
#            the package, the images), is mounted read-only at /lane first.
# Stage 2 sets up the host (proc, sys, dev, cgroup2, binfmt_misc), runs the cases of the plan
# (/lane/plan) and powers off. Everything is reported on the console as lines starting with
# '@@ '; the machine outside decides from those (tests/arm64-host/lane.sh).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
uptime_s() { read -r u _ </proc/uptime; echo "$u"; }
mark() { echo "@@ t=$(uptime_s) $*"; }
halt() { sync; poweroff -f 2>/dev/null; echo o >/proc/sysrq-trigger; sleep 60; }

if [ "${1:-}" != stage2 ]; then
    /bin/busybox --install -s /bin
    mount -t proc proc /proc
    mount -t devtmpfs devtmpfs /dev
    mark "BOOT kernel=$(uname -r) machine=$(uname -m)"
    while read -r m; do
        insmod "/lib/modules/kernel/$m.ko" || mark "ERROR insmod $m failed"
    done </lib/modules/order
    i=0
    while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    mkdir -p /newroot
    mount -t ext4 /dev/vda /newroot || { mark "ERROR cannot mount /dev/vda"; halt; }
    init=/init
    if [ -b /dev/vdb ]; then
        mkdir -p /newroot/lane
        mount -t ext4 -o ro /dev/vdb /newroot/lane || { mark "ERROR cannot mount the payload /dev/vdb"; halt; }
        init=/lane/init.sh
    fi
    umount /dev
    umount /proc
    exec switch_root /newroot "$init" stage2
fi

GUEST=debian
[ -x /bin/busybox ] && GUEST=busybox
if [ $GUEST = busybox ]; then
    [ -e /bin/mount ] || /bin/busybox --install -s /bin
    # The busybox tree was made by mkfs.ext4 -d, which keeps the builder's file owners: make the
    # host's files root's, as a package manager would (xarch trusts only root-owned emulators).
    for d in /*; do
        case $d in /proc|/sys|/dev|/lost+found) ;; *) chown -R 0:0 "$d" ;; esac
    done
fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/lane
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# What udev adds to devtmpfs on any distribution: binfmt_misc entries without the O flag get
# a program exec'd from a file descriptor as /dev/fd/N (xarch's probes are).
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || mark "ERROR cannot mount binfmt_misc"
echo "arm64-$GUEST" >/proc/sys/kernel/hostname
mark "STAGE2 root=$(awk '$2 == "/" { r = $1 ":" $3 } END { print r }' /proc/mounts) cpus=$(grep -c ^processor /proc/cpuinfo)"
if [ $GUEST = busybox ]; then
    # shellcheck source=tests/arm64-host/cases.sh
    . /lane/cases.sh
else
    # shellcheck source=tests/arm64-host/debian-cases.sh
    . /lane/debian-cases.sh
fi
# shellcheck disable=SC2046 # one case name a word
run_plan $(cat /lane/plan)
mark "END"
halt
