#!/bin/sh
# hostile.sh CASE: inputs a container's author or a confused runtime controls, each followed by a
# check of the host: its mount table, the emulator's sha256, binfmt_misc's entries, and nothing
# new in a directory outside the rootfs.
#   annotation:  io.xarch.platform holding '../', ':', a newline, a NUL, 10 kB or a trailing ':C':
#                a short error naming the annotation; the container is left as it is (xarch never
#                stops a container over what it cannot tell), nothing registered, mounted or created
#   pid-reuse:   OCI state naming a pid that is not the container's (pid 1, a host process, the
#                hook's parent): the hook refuses to enter it
#   readonly:    a read-only rootfs without the mount target: the container runs (the target is
#                made before the runtime makes the rootfs read-only) and poststop removes it
#   fake-binfmt: a tmpfs mounted over /proc/sys/fs/binfmt_misc (in a private mount namespace)
#                that claims an F entry for arm64: the hook must not believe it; with the real
#                binfmt_misc hidden, nothing is "covered" by the fake; what it registers (policy
#                register) lands in a real binfmt_misc
#   setuid:      a setuid-root arm64 program run by uid 1000 under an F entry without C gets
#                no euid 0 (and, as a control, does with C)
. "$(dirname "$0")/lib.sh"
case=$1
hostile_setup

case $case in
annotation)
    binfmt_state arm64 none
    host_state > "$WORK/host.before"
    python3 - "$bundle/config.json" "$WORK/cases" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for i, value in enumerate(["linux/../../arm64", "linux/arm64:C", "linux/arm64\nlinux/s390x", "linux/arm64\u0000x",
                           "linux/" + "a" * 10000, "linux/arm64:/tmp/x", "../../../etc/passwd", "linux/arm64/v8:F"]):
    c.setdefault("annotations", {})["io.xarch.platform"] = value
    json.dump(c, open("%s.%d.json" % (sys.argv[2], i), "w"))
PY
    for f in "$WORK"/cases.*.json; do
        rc=0
        (cd "$bundle" && timeout 10 "$XARCH_HOOK" --config "$WORK/settings.json" precreate < "$f" > "$WORK/out" 2> "$WORK/err") || rc=$?
        [ $rc = 0 ] || { cat "$WORK/err"; fail "$(basename "$f"): exit $rc; the container must be left as it is"; }
        cmp -s "$WORK/out" "$f" || fail "$(basename "$f"): precreate changed the config"
        grep -q "io.xarch.platform" "$WORK/err" || fail "$(basename "$f"): the error does not name the annotation: $(cat "$WORK/err")"
        [ "$(wc -c < "$WORK/err")" -lt 1000 ] || fail "$(basename "$f"): the error echoes the whole value"
    done
    host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    ;;
pid-reuse)
    binfmt_state arm64 debian
    host_state > "$WORK/host.before"
    sleep 60 > /dev/null 2>&1 & victim=$!
    test_cleanup() { kill "$victim" 2>/dev/null; return 0; }
    for pid in 1 "$victim" "$$"; do
        state="{\"ociVersion\": \"1.0.2\", \"id\": \"x\", \"status\": \"created\", \"pid\": $pid, \"bundle\": \"$bundle\"}"
        rc=0
        echo "$state" | timeout 10 "$XARCH_HOOK" --config "$WORK/settings.json" prestart > "$WORK/out" 2> "$WORK/err" || rc=$?
        [ $rc = 1 ] || { cat "$WORK/err"; fail "pid $pid: exit $rc, expected a refusal"; }
        grep -qE "refusing to enter the namespaces of pid $pid|shares the hook's mount namespace" "$WORK/err" \
            || fail "pid $pid: $(cat "$WORK/err")"
    done
    kill "$victim"
    host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    [ ! -e "$bundle/rootfs/usr/libexec/qemu-binfmt" ] || fail "a mount target was made for a process that is not the container"
    ;;
readonly)
    binfmt_state arm64 debian
    [ ! -e "$bundle/rootfs/usr/libexec/qemu-binfmt" ] || fail "the image already has the target"
    edit_config 'c["root"]["readonly"] = True'
    set_hooks "$bundle" "$WORK/settings.json" prestart poststop
    host_state > "$WORK/host.before"
    run_container "$bundle" "xarch-ro-$$" || fail "the read-only container did not run"
    [ "$(cat "$WORK/out")" = aarch64 ] || fail "printed '$(cat "$WORK/out")'"
    [ ! -e "$bundle/rootfs/usr/libexec/qemu-binfmt" ] || fail "poststop left the target in the read-only rootfs"
    host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    ;;
setuid)
    binfmt_state arm64 F
    grep -q "^flags: .*C" $BINFMT/qemu-aarch64 && fail "the F entry has C: the test needs one without"
    # A setuid-root arm64 program that exits with its effective uid (busybox drops setuid rights
    # itself, so it cannot tell): geteuid(); exit(euid & 255).
    mkdir -p "$bundle/rootfs/opt"
    python3 - "$bundle/rootfs/opt/euid" <<'PY'
import struct, sys
code = struct.pack("<4I", 0xD28015E8, 0xD4000001, 0xD2800BA8, 0xD4000001)  # x8=geteuid; svc; x8=exit; svc
base, off = 0x400000, 64 + 56
ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, base + off, 64, 0, 0, 64, 56, 1, 0, 0, 0)
phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, off + len(code), off + len(code), 0x1000)
open(sys.argv[1], "wb").write(ehdr + phdr + code)
PY
    chown 0:0 "$bundle/rootfs/opt/euid"
    chmod 4755 "$bundle/rootfs/opt/euid"
    edit_config 'c["process"]["args"] = ["/bin/sh", "-c", "/opt/euid; echo euid=$?"]
c["process"]["user"] = {"uid": 1000, "gid": 1000}
c["process"]["noNewPrivileges"] = False'
    set_hooks "$bundle" "$WORK/settings.json" prestart poststop
    run_container "$bundle" "xarch-suid-$$" || fail "the container did not run"
    grep -q "^euid=232$" "$WORK/out" || fail "the program printed '$(cat "$WORK/out")', expected euid 1000 (232 as exit status)"
    # The same with C (xarch install --credential): now it does, so the check above can see it.
    line=$(sed 's/:[A-Z]*$/:POCF/' /usr/lib/binfmt.d/qemu-aarch64.conf)
    echo -1 > $BINFMT/qemu-aarch64
    printf '%s' "$line" > $BINFMT/register
    run_container "$bundle" "xarch-suid-c-$$" || fail "the container did not run with C"
    grep -q "^euid=0$" "$WORK/out" || fail "with C the setuid program should get euid 0: $(cat "$WORK/out")"
    ;;
fake-binfmt)
    binfmt_state arm64 none
    host_state > "$WORK/host.before"
    cat > "$WORK/fake.sh" <<FAKE
mount -t tmpfs tmpfs $BINFMT
printf 'enabled\n' > $BINFMT/status
printf 'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: F\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n' > $BINFMT/qemu-aarch64
: > $BINFMT/register
cd "$bundle" && exec "$XARCH_HOOK" --config "$WORK/settings.json" precreate < config.json
FAKE
    rc=0
    timeout 20 unshare -m --propagation private sh "$WORK/fake.sh" > "$WORK/out" 2> "$WORK/err" || rc=$?
    if grep -q "decision for linux/arm64 .*: covered" "$WORK/err"; then fail "the hook believed the fake binfmt_misc: $(cat "$WORK/err")"; fi
    [ $rc = 0 ] || grep -q "binfmt_misc" "$WORK/err" || fail "exit $rc without naming binfmt_misc: $(cat "$WORK/err")"
    # Policy register: it may register, but only in a real binfmt_misc (found by its fs magic).
    if grep -q "registered binfmt_misc handler" "$WORK/err"; then
        grep -q "^flags: .*F" $BINFMT/qemu-aarch64 || fail "the hook says it registered, but the host has no such F entry"
        echo -1 > $BINFMT/qemu-aarch64
    fi
    host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    ;;
*) fail "unknown case $case" ;;
esac
echo "PASS: $case"
