#!/bin/sh
# podman_hook.sh STAGE ARCH STATE: podman, with xarch-hook installed through a hooks.d
# file at STAGE (precreate or prestart, plus poststop), runs an ARCH image imported from a
# busybox rootfs and prints its `uname -m`, starting from binfmt_misc state STATE.
# Storage, run root and containers.conf are private to the test.
. "$(dirname "$0")/lib.sh"
stage=$1 arch=$2 state=$3
command -v podman >/dev/null || skip "podman is not installed"
command -v runc >/dev/null || skip "runc is not installed"
want=$(expected_machine "$arch")

make_bundle "$arch" "$WORK/bundle"
tar -C "$WORK/bundle/rootfs" -cf "$WORK/rootfs.tar" .
write_settings "$WORK/settings.json"
write_hooks_d "$WORK/hooks.d" "$XARCH_HOOK" "$WORK/settings.json" "$stage" poststop
private_podman

pm import --arch "$(echo "$arch" | sed 's/armhf/arm/; s/ppc64el/ppc64le/')" "$WORK/rootfs.tar" localhost/xarch-test >/dev/null \
    || fail "podman import failed"
binfmt_state "$arch" "$state"
name=xarch-$$
if ! got=$(timeout 120 $PODMAN run --name "$name" --network none localhost/xarch-test uname -m 2>"$WORK/err"); then
    cat "$WORK/err"; cat "$WORK/hook.log" 2>/dev/null || true
    fail "podman run of the $arch image failed in binfmt state '$state' with the $stage hook"
fi
[ "$got" = "$want" ] || fail "$arch under podman ($stage, '$state'): uname -m printed '$got', expected '$want'"

# poststop must have taken the emulator's mount target out of the container's upper layer.
merged=$(pm mount "$name")
(cd "$merged/usr" && find . | sort) > "$WORK/usr.after"
(cd "$WORK/bundle/rootfs/usr" && find . | sort) > "$WORK/usr.before"
pm unmount "$name" >/dev/null
diff "$WORK/usr.before" "$WORK/usr.after" || fail "files left in the container's /usr after poststop"
echo "PASS: $arch under podman with the $stage hook in binfmt state '$state' printed '$got'"
