#!/bin/sh
# userns_facts.sh: what the kernel does with per-user-namespace binfmt_misc instances, the
# facts xarch's namespace registration relies on (ARCHITECTURE.md). No runtime involved:
# unshare(1) namespaces, an arm64 busybox and qemu-aarch64-static.
#  1. An exec consults the exec'ing process's user namespace, or the nearest ancestor that has
#     an instance of its own; the host's entries apply only where no namespace on the way has one.
#  2. An instance is private to its namespace (and descendants): a sibling namespace and the
#     host do not see its entries.
#  3. When an instance's last mount goes away its entries go with it, but the instance stays
#     for the namespace's life and keeps hiding the host's entries: the mount must stay.
. "$(dirname "$0")/lib.sh"
python3 -c 'import os,sys; v=os.uname().release.split("."); sys.exit(0 if (int(v[0]), int(v[1])) >= (6, 7) else 1)' \
    || skip "Linux $(uname -r) has no per-user-namespace binfmt_misc (6.7 or later)"
make_bundle arm64 "$WORK/a64"
bb=$WORK/a64/rootfs/bin/busybox
chmod 755 "$WORK"
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
[ -f "$conf" ] || skip "qemu-user-static is not installed"
line=$(sed 's|:[^:]*:[A-Z]*$|:/usr/bin/qemu-aarch64-static:F|' "$conf")
printf '%s' "$line" > "$WORK/line"

"$XARCH_BINFMT_SNAPSHOT" clear
"$bb" true 2>/dev/null && skip "this host runs arm64 code natively"

# In a namespace: mount an instance, register arm64 with F, then run checks.
inner="mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && cat $WORK/line > /proc/sys/fs/binfmt_misc/register"

# 1a. The instance serves its own namespace.
out=$(unshare -Urm sh -c "$inner && $bb uname -m") || fail "an arm64 program did not run in the namespace with its own F entry"
[ "$out" = aarch64 ] || fail "expected aarch64, got '$out'"
# 1b. A child namespace without an instance uses its parent's.
out=$(unshare -Urm sh -c "$inner && unshare -Ur $bb uname -m") || fail "a child namespace did not use its parent's instance"
[ "$out" = aarch64 ] || fail "child: expected aarch64, got '$out'"
echo "fact 1: the exec'ing namespace's instance, or its nearest ancestor's, decides"

# 2. The host and a sibling namespace do not see it (each run is a new namespace).
unshare -Urm sh -c "$inner" || fail "cannot register in a namespace"
if "$bb" true 2>/dev/null; then fail "the host ran arm64 code after a namespace registered it"; fi
if unshare -Ur "$bb" true 2>/dev/null; then fail "a sibling namespace ran arm64 code it never registered"; fi
# Two live sibling namespaces at once: the first keeps its instance mounted while the second runs.
unshare -Urm sh -c "$inner && sleep 5" &
holder=$!
sleep 1
if unshare -Ur "$bb" true 2>/dev/null; then kill $holder; fail "a sibling namespace used another namespace's live instance"; fi
kill $holder 2>/dev/null; wait $holder 2>/dev/null || true
echo "fact 2: an instance is private to its namespace and descendants"

# 3. Host F entry present; a namespace's instance hides it, with or without a mount.
printf '%s' "$line" > "$BINFMT/register"
"$bb" true || fail "the host's own F entry does not run arm64 code"
unshare -Ur "$bb" true || fail "a namespace without an instance did not use the host's entry"
out=$(unshare -Urm sh -c "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && ls /proc/sys/fs/binfmt_misc | tr '\n' ' '; echo;
    if $bb true 2>/dev/null; then echo mounted-runs; else echo mounted-fails; fi
    umount /proc/sys/fs/binfmt_misc
    if $bb true 2>/dev/null; then echo unmounted-runs; else echo unmounted-fails; fi
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && cat $WORK/line > /proc/sys/fs/binfmt_misc/register
    umount /proc/sys/fs/binfmt_misc
    if $bb true 2>/dev/null; then echo registered-unmounted-runs; else echo registered-unmounted-fails; fi")
echo "namespace reported: $(echo "$out" | tr '\n' ' ')"
echo "$out" | grep -q "^register status $" || fail "a new instance is not empty: $out"
echo "$out" | grep -qx mounted-fails || fail "an empty instance did not hide the host's entry"
echo "$out" | grep -qx unmounted-fails || fail "after its mount went away, the instance no longer hid the host's entry"
echo "$out" | grep -qx registered-unmounted-fails || fail "an entry outlived the instance's last mount"
echo "fact 3: entries go with the last mount; the empty instance keeps hiding the host's entries"
echo "PASS: per-user-namespace binfmt_misc facts hold on Linux $(uname -r)"
