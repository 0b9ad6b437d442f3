#!/bin/sh
# node.sh [install|uninstall]: xarch on one Kubernetes node, run by the DaemonSets in
# packaging/kubernetes/. The pod is privileged and in the node's user namespace, so the
# binfmt_misc that xarch mounts in the pod is the node's own (binfmt_misc has one instance per
# user namespace). Its hostPath mounts: the node's /opt/xarch at the same path (containerd's
# BinaryName, the hook path the runtime adds and the emulator paths in binfmt_misc and binfmt.d
# must name files that exist on the node, so they are the same inside and outside), and the
# node's /etc/binfmt.d and /etc/containerd under /host.
#
# install (the default): copies the programs to /opt/xarch/bin and the emulators to
# /opt/xarch/qemu, registers the platforms of XARCH_PLATFORMS (default all) with the F flag and
# writes their binfmt.d files (so systemd-binfmt registers them again at boot), adds the runtime
# handler 'xarch' to containerd's config.toml, restarts containerd if XARCH_RESTART_CONTAINERD
# is true and the file changed, then marks itself ready and sleeps. Every step is idempotent: a
# restarted pod changes nothing.
# uninstall: the reverse (containerd's handler, the registrations and binfmt.d files, the copies).
set -eu
umask 022

IMAGE=/xarch
BIN=/opt/xarch/bin
QEMU=/opt/xarch/qemu
HOST=${XARCH_HOST:-/host}
PLATFORMS=$(echo "${XARCH_PLATFORMS:-all}" | tr ',' ' ')
CONTAINERD_CONFIG=${XARCH_CONTAINERD_CONFIG:-$HOST/etc/containerd/config.toml}
BINFMT_D=$HOST/etc/binfmt.d
READY=/tmp/xarch-ready

say() { echo "xarch-node: $*"; }
die() { echo "xarch-node: $*" >&2; exit 1; }

# put SRC DST: DST becomes a copy of SRC (mode 0755) unless it already is one; through a rename,
# so a runtime being executed from DST is never written to (ETXTBSY) nor seen half-written.
put() {
    if cmp -s "$1" "$2"; then return 0; fi
    cp "$1" "$2.xarch-new"
    chmod 0755 "$2.xarch-new"
    mv -f "$2.xarch-new" "$2"
    say "installed $2"
}

# link TARGET NAME: the symlink NAME -> TARGET, replaced through a rename if it points elsewhere.
link() {
    if [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; then return 0; fi
    rm -f "$2.xarch-new"
    ln -s "$1" "$2.xarch-new"
    mv -f "$2.xarch-new" "$2"
}

checksum() { sha256sum "$1" 2>/dev/null || echo absent; }

# containerd reads its configuration only at start.
restart_containerd() {
    case ${XARCH_RESTART_CONTAINERD:-false} in
        true)
            say "restarting containerd on the node"
            nsenter -t 1 -m -u -i -n -p -- systemctl restart containerd ||
                die "could not restart containerd (the pod needs hostPID: true); restart it on the node: systemctl restart containerd"
            ;;
        false) say "containerd must be restarted on this node to apply it: systemctl restart containerd" ;;
        *) die "XARCH_RESTART_CONTAINERD must be true or false, not '$XARCH_RESTART_CONTAINERD'" ;;
    esac
}

configure_containerd() {
    [ -d "$(dirname "$CONTAINERD_CONFIG")" ] ||
        die "$(dirname "$CONTAINERD_CONFIG") does not exist: is containerd installed on this node?"
    before=$(checksum "$CONTAINERD_CONFIG")
    "$@"
    [ "$(checksum "$CONTAINERD_CONFIG")" = "$before" ] || restart_containerd
}

sleep_forever() {
    touch "$READY"
    say "ready"
    trap 'exit 0' TERM INT
    while :; do
        sleep 3600 &
        wait $! || true
    done
}

install() {
    mkdir -p "$BIN" "$QEMU"
    for p in xarch xarch-hook xarch-runtime; do put "$IMAGE/bin/$p" "$BIN/$p"; done
    # Debian's T-binfmt-P name beside each emulator: xarch then registers it with P, and qemu
    # keeps the program's argv[0] (busybox-based images need it).
    for e in "$IMAGE"/qemu/qemu-*-static; do
        name=${e##*/}
        target=${name#qemu-}
        target=${target%-static}
        put "$e" "$QEMU/$name"
        link "$name" "$QEMU/$target-binfmt-P"
    done
    # Entries of the node's own (Debian's, without F) name emulators the pod cannot see, so its
    # check that each platform runs would fail: replaced by default.
    case ${XARCH_REPLACE:-true} in
        true) replace=--replace ;;
        false) replace= ;;
        *) die "XARCH_REPLACE must be true or false, not '$XARCH_REPLACE'" ;;
    esac
    # shellcheck disable=SC2086
    "$BIN/xarch" --config "$IMAGE/config.json" install --persist --persist-dir "$BINFMT_D" $replace $PLATFORMS
    configure_containerd "$BIN/xarch" configure containerd --config-file "$CONTAINERD_CONFIG" --runtime "$BIN/xarch-runtime"
    sleep_forever
}

uninstall() {
    configure_containerd "$IMAGE/bin/xarch" configure containerd --undo --config-file "$CONTAINERD_CONFIG"
    # shellcheck disable=SC2086
    "$IMAGE/bin/xarch" uninstall --persist-dir "$BINFMT_D" $PLATFORMS
    for p in xarch xarch-hook xarch-runtime; do rm -f "$BIN/$p" "$BIN/$p.xarch-new"; done
    for e in "$IMAGE"/qemu/qemu-*-static; do
        name=${e##*/}
        target=${name#qemu-}
        target=${target%-static}
        rm -f "$QEMU/$name" "$QEMU/$name.xarch-new" "$QEMU/$target-binfmt-P" "$QEMU/$target-binfmt-P.xarch-new"
    done
    rmdir "$BIN" "$QEMU" 2>/dev/null || say "left $BIN or $QEMU: they hold files xarch did not put there"
    say "uninstalled"
    sleep_forever
}

case ${1:-install} in
    install) install ;;
    uninstall) uninstall ;;
    *) die "usage: node.sh [install|uninstall]" ;;
esac
