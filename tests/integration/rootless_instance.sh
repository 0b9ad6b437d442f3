#!/bin/sh
# rootless_instance.sh CASE: the binfmt_misc instance xarch-hook gives a rootless user's namespace.
#   seed: the host has an F entry for s390x, nothing for arm64. An arm64 container makes the
#     instance; the user's s390x container must still run afterwards (the host's entries were
#     copied), a second arm64 container reuses the instance, and the host stays as it was.
#   hidden: the host mounts binfmt_misc (with an s390x entry) only after the user's namespace
#     exists, so the hook cannot see it to copy it: an instance would hide the host's s390x
#     entry, so the hook refuses, and says how to fix it; s390x keeps running.
. "$(dirname "$0")/lib.sh"
case=$1
python3 -c 'import os,sys; v=os.uname().release.split("."); sys.exit(0 if (int(v[0]), int(v[1])) >= (6, 7) else 1)' \
    || skip "Linux $(uname -r) has no per-user-namespace binfmt_misc (6.7 or later)"
. "$(dirname "$0")/rootless_lib.sh"

rl_hooks prestart poststop
rl_import arm64 localhost/a64
rl_import s390x localhost/s390x
# Debian's own s390x entry (OPF, argv[0] kept).
s390x_line=$(cat /usr/lib/binfmt.d/qemu-s390x.conf)

run() { rl_podman "run --rm --network none localhost/$1 sh -c 'uname -m | cat'" 2>"$WORK/err"; }

case $case in
seed)
    binfmt_state s390x none
    printf '%s' "$s390x_line" > "$BINFMT/register"
    rl_fresh_namespace
    before=$(host_binfmt_digest)
    [ "$(run s390x)" = s390x ] || { cat "$WORK/err"; fail "s390x did not run through the host's entry"; }
    [ "$(userns_instances)" = 0 ] || fail "an instance appeared although the host's entry served"
    [ "$(run a64)" = aarch64 ] || { cat "$WORK/err" "$WORK/hook.log"; fail "arm64 did not run with nothing registered"; }
    [ "$(userns_instances)" = 1 ] || fail "no instance in the user's namespace after the arm64 container"
    [ "$(run s390x)" = s390x ] || { cat "$WORK/err"; fail "the user's s390x container stopped running once the instance existed"; }
    [ "$(run a64)" = aarch64 ] || { cat "$WORK/err"; fail "a second arm64 container did not run"; }
    [ "$(userns_instances)" = 1 ] || fail "a second instance was mounted"
    entries=$(as_user "podman unshare ls /proc/sys/fs/binfmt_misc" | tr '\n' ' ')
    case $entries in *qemu-aarch64*qemu-s390x*) ;; *) fail "the instance holds '$entries'" ;; esac
    [ "$(host_binfmt_digest)" = "$before" ] || fail "the host's binfmt_misc changed"
    echo "PASS: the instance holds $entries; s390x (copied from the host) and arm64 both run; the host is unchanged"
    ;;
hidden)
    binfmt_state s390x none
    umount "$BINFMT"
    # A new namespace for the user (the imports started one), made while nothing is mounted.
    rl_fresh_namespace
    as_user "podman unshare true" >/dev/null 2>&1
    mount -t binfmt_misc binfmt_misc "$BINFMT"
    printf '%s' "$s390x_line" > "$BINFMT/register"
    [ "$(run s390x)" = s390x ] || { cat "$WORK/err"; fail "s390x did not run through the host's entry"; }
    if run a64 >/dev/null; then fail "an instance was created although it hides the host's s390x entry"; fi
    cp "$WORK/err" "$WORK/refused"
    grep -q "podman system migrate" "$WORK/refused" && grep -q "xarch install arm64" "$WORK/refused" \
        || { cat "$WORK/refused"; fail "the refusal does not say what to do"; }
    [ "$(userns_instances)" = 0 ] || fail "an instance was mounted"
    [ "$(run s390x)" = s390x ] || fail "s390x stopped running"
    # What the message says works: a new namespace sees the host's binfmt_misc and copies it.
    rl_fresh_namespace
    [ "$(run a64)" = aarch64 ] || { cat "$WORK/err"; fail "arm64 did not run after podman system migrate"; }
    [ "$(run s390x)" = s390x ] || fail "s390x stopped running after the instance was made"
    echo "PASS: s390x ran through the unseen host entry; arm64 refused with '$(grep -o 'cannot run.*' "$WORK/refused" | head -c 200)...'; after the fix both run"
    ;;
*) fail "unknown case $case" ;;
esac
