#!/bin/sh
# podman_userns.sh CASE: rootful podman containers with a user namespace of their own.
#   maps-root: --uidmap 0:0:65536 maps host root, Debian's entry has no F. A bind-mounted
#     emulator could be remounted writable from inside, so xarch-hook (prestart) registers F in
#     the container's own binfmt_misc instead: the container runs and sees that entry, the
#     host's binfmt_misc is untouched.
#   maps-root-precreate: the same at precreate, before the container exists: refused, with the fix.
#   subids: --uidmap 0:<subordinate ids>, Debian's entry: the emulator is bind-mounted as for
#     any container (host root is unmapped in there).
#   subids-namespace: nothing registered on the host, policy "namespace": the container's own
#     binfmt_misc gets the entry, the host's stays empty.
. "$(dirname "$0")/lib.sh"
case=$1
command -v podman >/dev/null || skip "podman is not installed"
command -v runc >/dev/null || skip "runc is not installed"
python3 -c 'import os,sys; v=os.uname().release.split("."); sys.exit(0 if (int(v[0]), int(v[1])) >= (6, 7) else 1)' \
    || skip "Linux $(uname -r) has no per-user-namespace binfmt_misc (6.7 or later)"

stage=prestart policy=register state=debian uidmap="0:0:65536"
case $case in
    maps-root) ;;
    maps-root-precreate) stage=precreate ;;
    subids) uidmap="0:400000:65536" ;;
    subids-namespace) uidmap="0:400000:65536" policy=namespace state=none ;;
    *) fail "unknown case $case" ;;
esac

make_bundle arm64 "$WORK/bundle"
tar -C "$WORK/bundle/rootfs" -cf "$WORK/rootfs.tar" .
write_settings "$WORK/settings.json" "$policy"
write_hooks_d "$WORK/hooks.d" "$XARCH_HOOK" "$WORK/settings.json" "$stage" poststop
write_containers_conf "$WORK/containers.conf"
export CONTAINERS_CONF="$WORK/containers.conf"
PODMAN="podman --root $WORK/storage --runroot $WORK/runroot --hooks-dir $WORK/hooks.d --storage-driver vfs"
test_cleanup() {
    $PODMAN rm -af >/dev/null 2>&1
    $PODMAN rmi -af >/dev/null 2>&1
    return 0
}
$PODMAN import --arch arm64 "$WORK/rootfs.tar" localhost/xarch-test >/dev/null || fail "podman import failed"

binfmt_state arm64 "$state"
before=$(for f in "$BINFMT"/*; do echo "== $f"; cat "$f" 2>/dev/null || true; done)
run() {
    timeout 120 $PODMAN run --rm --network none --uidmap "$uidmap" --gidmap "$uidmap" localhost/xarch-test \
        sh -c 'uname -m; cat /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null | grep flags || echo "no own entry"' \
        >"$WORK/out" 2>"$WORK/err"
}
if [ "$case" = maps-root-precreate ]; then
    run && { cat "$WORK/out"; fail "a container whose namespace maps host root got an emulator mount at precreate"; }
    # podman reports only the precreate hook's exit status; the message is in the hook's log.
    grep -q "maps host root" "$WORK/hook.log" && grep -q "xarch install arm64 --replace" "$WORK/hook.log" \
        || { cat "$WORK/err" "$WORK/hook.log"; fail "no clear message for the refused container"; }
    echo "PASS: refused at precreate with: $(grep -o 'cannot run.*' "$WORK/hook.log" | head -1)"
    exit 0
fi
run || { cat "$WORK/err"; echo "--- hook log:"; cat "$WORK/hook.log"; fail "podman run failed ($case)"; }
got=$(head -1 "$WORK/out")
inside=$(sed -n 2p "$WORK/out")
[ "$got" = aarch64 ] || fail "uname -m printed '$got' ($case)"
after=$(for f in "$BINFMT"/*; do echo "== $f"; cat "$f" 2>/dev/null || true; done)
[ "$before" = "$after" ] || fail "the host's binfmt_misc changed ($case)"
case $case in
    maps-root|subids-namespace)
        # P as Debian registers it: argv[0] survives, so busybox's pipeline above worked.
        [ "$inside" = "flags: POF" ] || fail "the container does not see its own F entry (saw '$inside')" ;;
    subids)
        grep -q "mount /usr/bin/qemu-aarch64-static" "$WORK/hook.log" || fail "the emulator was not bind-mounted" ;;
esac
echo "PASS: $case: the container printed '$got' and saw '$inside'; the host's binfmt_misc is unchanged"
