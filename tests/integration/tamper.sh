#!/bin/sh
# tamper.sh CASE: a container that attacks the emulator it is given, bad entries already on the
# host, a hook killed midway, and the fds the hook hands on; each followed by a check of the
# host as hostile.sh does (its mount table, the emulator's sha256, binfmt_misc's entries,
# nothing new in a directory outside the rootfs).
#   tamper:        in execution-time mode (emulator bind-mounted read-only) and with an F entry,
#                  the container's root, with default capabilities, with CAP_SYS_ADMIN, and in a
#                  user namespace of its own (host ids 200000+, with CAP_SYS_ADMIN there), opens
#                  /proc/<pid>/exe of an emulated process for writing, remounts the emulator
#                  (remount,rw and remount,bind,rw) and writes to it, as the emulated busybox
#                  and as an amd64 busybox (also from a user namespace it makes with unshare -U),
#                  last after exec'ing the amd64 busybox so that no emulated process runs: every
#                  write fails and the host emulator's sha256 is unchanged. A remount itself
#                  may succeed where the caller has CAP_SYS_ADMIN over the mount (the write then
#                  fails: the emulator is running, or host root's file is not the namespace's).
#                  Execution-time mode with CAP_SYS_ADMIN in the host's user namespace is
#                  refused by the hook (the remount succeeds there and, once nothing runs the
#                  emulator, so does the write): the container does not start, the error gives
#                  the fix (an F entry); an image that has its own emulator at the entry's path
#                  runs (as it would without xarch) and nothing of the host's is mounted
#   bad-entries:   an entry named like xarch's without F (the hook mounts the emulator, the
#                  container runs); one with C (covered; status warns); one whose interpreter is
#                  in a directory others can write (/tmp/x, mode 0777): that file is never
#                  bind-mounted (the hook mounts /usr/bin's emulator at its path instead) and
#                  status/doctor name the directory; with the sticky bit (1777) others cannot
#                  replace root's file, so it is used; binfmt_misc unmounted: the hook mounts it
#                  and registers (policy register), the container runs
#   timeout-runc:  a prestart hook with "timeout": 1 in config.json, blocked on the record lock:
#                  runc kills it, the container does not start, runc returns at once (no child
#                  of the hook holds its pipe), nothing created, mounted or registered
#   timeout-podman: the same through a hooks.d file with "timeout": 1, at precreate and prestart
#   killpoints:    the hook (prestart, a created runc container) SIGKILLed at system calls along
#                  its way (record lock, record write, each mkdirat/mknodat in the rootfs, fork,
#                  the helper's setns and move_mount): whatever exists in the rootfs is in a
#                  record beforehand (write-ahead), the helper dies with the hook, nothing is
#                  mounted, and poststop leaves the rootfs as it was
#   fds:           the hook started with extra fds (5</etc/passwd, 7>>file): at every exec
#                  (probes) only fds 0-2 and the probe program itself; at every setns of its
#                  helpers stdio is /dev/null and only the namespace, pidfd, emulator tree,
#                  rootfs and report pipe fds the helper needs; xarch-runtime hands the real
#                  runtime exactly the fds it was given, nothing of its own
. "$(dirname "$0")/lib.sh"
case=$1
hostile_setup
EMU=/usr/bin/qemu-aarch64-static
[ -x $EMU ] || skip "qemu-user-static is not installed"
# A copy of the emulator, put back if an attack got through (the test fails anyway).
cp -p $EMU "$WORK/emulator.backup"
emu_sum=$(sha256sum < $EMU)
restore_emulator() {
    [ "$(sha256sum < $EMU)" = "$emu_sum" ] || cp -p "$WORK/emulator.backup" $EMU
    return 0
}
test_cleanup() { restore_emulator; }
emulator_target=/usr/libexec/qemu-binfmt/aarch64-binfmt-P

# hook_state ID: the OCI state of a created runc container, as a prestart hook gets it.
hook_state() {
    printf '{"ociVersion": "1.0.2", "id": "%s", "status": "created", "pid": %s, "bundle": "%s"}' \
        "$1" "$(runc state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')" "$bundle"
}

# LeakSanitizer stops the world with ptrace at exit, which a traced program cannot: under
# fdwatch, a sanitized build checks everything but leaks.
notrace_leaks() { export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"; }

# recorded: every path the state directory's records list, one a line.
recorded() {
    cat "$WORK"/state/*.json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        for p in json.loads(line)["created"]: print(p)' | sort -u
}

case $case in
tamper)
    # Runs inside the container: each attempt prints one line. busybox is the image's (arm64,
    # emulated); /busybox-amd64 is an amd64 busybox, so that the writer is not itself the emulator's
    # process (and can unshare: qemu's threads make unshare(CLONE_NEWUSER) fail). Last, the
    # script execs /busybox-amd64, so that no emulated process of the container runs the emulator any more.
    make_bundle amd64 "$WORK/native"
    cp "$WORK/native/rootfs/bin/busybox" "$bundle/rootfs/busybox-amd64"
    cat > "$bundle/rootfs/attack.sh" <<'ATTACK'
T=$1
busybox sleep 30 & p=$!
busybox sleep 0.3
try() {
    name=$1; shift
    if out=$("$@" 2>&1); then echo "WRITE-OK $name"; else echo "refused $name: $(echo $out | busybox head -c 200)"; fi
}
mnt() {
    if out=$(/busybox-amd64 mount "$@" 2>&1); then echo "remount-ok $*"; else echo "remount-refused $*: $out"; fi
}
try exe-append busybox sh -c "echo x >> /proc/$p/exe"
try exe-rw busybox sh -c "exec 3<>/proc/$p/exe && echo x >&3"
try native-exe-append /busybox-amd64 sh -c "echo x >> /proc/$p/exe"
try native-userns-exe-append /busybox-amd64 unshare -U /busybox-amd64 sh -c "echo x >> /proc/$p/exe"
if [ -e "$T" ]; then
    try target-append busybox sh -c "echo x >> $T"
    try native-target-append /busybox-amd64 sh -c "echo x >> $T"
    mnt -o remount,rw "$T"
    try native-target-append-after-remount /busybox-amd64 sh -c "echo x >> $T"
    mnt -o remount,bind,rw "$T"
    try native-target-append-after-bind-remount /busybox-amd64 sh -c "echo x >> $T"
    try native-userns-remount-append /busybox-amd64 unshare -Um /busybox-amd64 sh -c "/busybox-amd64 mount -o remount,bind,rw $T; echo x >> $T"
else
    echo "no $T"
fi
kill $p
wait
export T
exec /busybox-amd64 sh -c '
try() {
    name=$1; shift
    if out=$("$@" 2>&1); then echo "WRITE-OK $name"; else echo "refused $name: $(echo $out | /busybox-amd64 head -c 200)"; fi
}
/busybox-amd64 ps -o pid,args | /busybox-amd64 grep -v "ps -o\|grep" | /busybox-amd64 sed "s/^/process: /"
if [ -e "$T" ]; then
    /busybox-amd64 mount -o remount,bind,rw "$T" 2>/dev/null
    try alone-target-append /busybox-amd64 sh -c "echo x >> $T"
fi
echo done'
ATTACK
    chmod 755 "$bundle/rootfs/attack.sh"
    chmod 755 "$WORK" # the user namespace's root (host uid 200000) must reach the rootfs
    cp "$bundle/config.json" "$WORK/config.orig"
    for mode in debian F; do
        for variant in default sysadmin userns; do
            binfmt_state arm64 $mode
            cp "$WORK/config.orig" "$bundle/config.json"
            edit_config "c['process']['args'] = ['/bin/sh', '/attack.sh', '$emulator_target']"
            case $variant in
            sysadmin) edit_config 'for k in ("bounding", "effective", "permitted"): c["process"]["capabilities"][k].append("CAP_SYS_ADMIN")' ;;
            userns) edit_config 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
for k in ("bounding", "effective", "permitted"): c["process"]["capabilities"][k].append("CAP_SYS_ADMIN")' ;;
            esac
            set_hooks "$bundle" "$WORK/settings.json" prestart poststop
            host_state > "$WORK/host.before"
            if [ $mode/$variant = debian/sysadmin ]; then
                # Given CAP_SYS_ADMIN, a container could remount a bind-mounted emulator writable
                # and, once no emulated process runs it, rewrite the host's: no bind mount then.
                run_container "$bundle" "xarch-tamper-$mode-$variant-$$" > /dev/null && fail "$mode/$variant: the container ran"
                grep -q "CAP_SYS_ADMIN.*xarch install arm64 --replace" "$WORK/err" || fail "$mode/$variant: no clear refusal: $(cat "$WORK/err")"
                host_state > "$WORK/host.after"
                diff "$WORK/host.before" "$WORK/host.after" || fail "$mode/$variant: the host changed"
                [ ! -e "$bundle/rootfs/usr/libexec" ] || fail "$mode/$variant: a mount target was left"
                echo "  $mode/$variant: refused: $(grep -o "has no F flag, and the container has CAP_SYS_ADMIN[^;]*" "$WORK/err" | head -1)"
                # An image that brings its own emulator at the entry's path runs without xarch, so
                # it must run with it: left as it is, nothing of the host's mounted.
                mkdir -p "$bundle/rootfs$(dirname "$emulator_target")"
                cp "$EMU" "$bundle/rootfs$emulator_target"
                edit_config "c['process']['args'] = ['uname', '-m']"
                run_container "$bundle" "xarch-tamper-own-$$" || fail "$mode/$variant: the image's own emulator: $(cat "$WORK/err")"
                [ "$(cat "$WORK/out")" = aarch64 ] || fail "$mode/$variant: the image's own emulator: printed '$(cat "$WORK/out")'"
                host_state > "$WORK/host.after"
                diff "$WORK/host.before" "$WORK/host.after" || fail "$mode/$variant: the host changed"
                rm -rf "$bundle/rootfs/usr/libexec"
                echo "  $mode/$variant: the image's own emulator at $emulator_target: ran, left as it is"
                continue
            fi
            run_container "$bundle" "xarch-tamper-$mode-$variant-$$" || fail "$mode/$variant: the container did not run"
            sed "s/^/  $mode\/$variant: /" "$WORK/out"
            grep -q '^done$' "$WORK/out" || fail "$mode/$variant: the attack did not finish"
            grep -q '^refused exe-append' "$WORK/out" || fail "$mode/$variant: no attempt through /proc/<pid>/exe"
            [ $mode = F ] || grep -q '^refused target-append:' "$WORK/out" || fail "$mode/$variant: the emulator was not mounted"
            if grep -q '^WRITE-OK' "$WORK/out"; then fail "$mode/$variant: a write to the emulator succeeded"; fi
            host_state > "$WORK/host.after"
            diff "$WORK/host.before" "$WORK/host.after" || fail "$mode/$variant: the host changed"
            [ "$(sha256sum < $EMU)" = "$emu_sum" ] || fail "$mode/$variant: the host emulator changed"
        done
    done
    ;;
bad-entries)
    [ -n "${XARCH_CLI:-}" ] || fail "XARCH_CLI is not set; run through ctest"
    set_hooks "$bundle" "$WORK/settings.json" prestart poststop
    status() { "$XARCH_CLI" --config "$WORK/settings.json" status > "$WORK/status" 2>&1 || true; }
    # run_ok WHAT: the container runs and prints aarch64; the host is as it was, apart from what the
    # hook may register (the last step).
    run_ok() {
        host_state > "$WORK/host.before"
        run_container "$bundle" "xarch-bad-$$-$(date +%s%N)" || fail "$1: the container did not run"
        [ "$(cat "$WORK/out")" = aarch64 ] || fail "$1: the container printed '$(cat "$WORK/out")'"
        host_state > "$WORK/host.after"
        diff "$WORK/host.before" "$WORK/host.after" || fail "$1: the host changed"
        [ ! -e "$bundle/rootfs/usr/libexec" ] && [ ! -e "$bundle/rootfs/tmp/$(basename "$WORK")" ] || fail "$1: poststop left a mount target"
        echo "  $1: the container ran"
    }
    conf=$(cat /usr/lib/binfmt.d/qemu-aarch64.conf)
    register() { "$XARCH_BINFMT_SNAPSHOT" clear; printf '%s' "$(printf '%s' "$conf" | sed "s|:[^:]*:[A-Z]*\$|:$1:$2|")" > $BINFMT/register; }

    # Named as xarch names it, without F: the hook mounts the emulator at the entry's path.
    register $EMU ""
    : > "$WORK/hook.log"
    run_ok "entry without F"
    grep -q "registration 'qemu-aarch64' has no F flag: mount $EMU at $EMU" "$WORK/hook.log" || fail "no F: $(cat "$WORK/hook.log")"

    # With C: covered by F, and status says what C means.
    register $EMU OCF
    : > "$WORK/hook.log"
    run_ok "entry with C"
    grep -q "covered" "$WORK/hook.log" || fail "with C: $(cat "$WORK/hook.log")"
    status
    grep -q "flag C: setuid" "$WORK/status" || fail "status does not warn about C: $(cat "$WORK/status")"

    # An interpreter in a directory anyone can write: anyone could put their own file there.
    mkdir "$WORK/x"
    cp -p $EMU "$WORK/x/qemu-aarch64-static"
    chmod 0777 "$WORK/x"
    register "$WORK/x/qemu-aarch64-static" ""
    : > "$WORK/hook.log"
    run_ok "interpreter in a 0777 directory"
    grep -q "has no F flag: mount $EMU at $WORK/x/qemu-aarch64-static" "$WORK/hook.log" \
        || fail "0777: the hook did not mount /usr/bin's emulator instead: $(cat "$WORK/hook.log")"
    status
    grep -q "in directory '$WORK/x', which is writable by its group or by others" "$WORK/status" \
        || fail "0777: status does not name the directory: $(cat "$WORK/status")"
    grep -q "warn.*'$WORK/x/qemu-aarch64-static' is in directory '$WORK/x'.*mounting $EMU there instead" "$WORK/hook.log" \
        || fail "0777: the hook does not say why: $(cat "$WORK/hook.log")"
    # The same with F: the kernel holds the file it opened at registration; only a warning.
    register "$WORK/x/qemu-aarch64-static" F
    : > "$WORK/hook.log"
    run_ok "F interpreter in a 0777 directory"
    grep -q "has the F flag but '$WORK/x/qemu-aarch64-static' is in directory '$WORK/x'" "$WORK/hook.log" \
        || fail "0777 with F: no warning: $(cat "$WORK/hook.log")"
    # Sticky (1777): others may not rename or remove root's file, so it is the emulator.
    chmod 1777 "$WORK/x"
    register "$WORK/x/qemu-aarch64-static" ""
    : > "$WORK/hook.log"
    run_ok "interpreter in a 1777 directory"
    grep -q "has no F flag: mount $WORK/x/qemu-aarch64-static at $WORK/x/qemu-aarch64-static" "$WORK/hook.log" \
        || fail "1777: $(cat "$WORK/hook.log")"

    # binfmt_misc not mounted: the hook mounts it and registers (policy register).
    "$XARCH_BINFMT_SNAPSHOT" clear
    umount $BINFMT
    test_cleanup() { restore_emulator; grep -q " $BINFMT " /proc/self/mounts || mount -t binfmt_misc binfmt_misc $BINFMT; }
    : > "$WORK/hook.log"
    run_container "$bundle" "xarch-bad-unmounted-$$" || fail "unmounted: the container did not run"
    [ "$(cat "$WORK/out")" = aarch64 ] || fail "unmounted: the container printed '$(cat "$WORK/out")'"
    grep -q " $BINFMT " /proc/self/mounts || fail "unmounted: binfmt_misc is still not mounted"
    grep -q "^flags: .*F" $BINFMT/qemu-aarch64 || fail "unmounted: no F entry registered"
    echo "  binfmt_misc unmounted: mounted and registered, the container ran"
    ;;
timeout-runc|timeout-podman)
    binfmt_state arm64 debian
    # Holds the lock the hook takes before it records or creates anything.
    python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "w")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(120)' "$WORK/state/.lock" "$WORK/locked" > /dev/null 2>&1 < /dev/null & holder=$!
    test_cleanup() { kill $holder 2>/dev/null; restore_emulator; }
    wait_for 10 test -e "$WORK/locked" || fail "could not take the record lock"
    host_state > "$WORK/host.before"
    # check_nothing_left WHAT ELAPSED
    check_nothing_left() {
        [ "$2" -lt 8 ] || fail "$1: the runtime took $2 s to give up on a hook with a 1 s timeout"
        # (a poststop run by the runtime's cleanup may still be on its way out: its own timeout)
        wait_for 5 sh -c "! pgrep -f -- '[x]arch-hook --config $WORK/settings.json'" \
            || fail "$1: hook processes left: $(pgrep -af -- "--config $WORK/settings.json")"
        [ -z "$(recorded)" ] || fail "$1: records left: $(recorded)"
        host_state > "$WORK/host.after"
        diff "$WORK/host.before" "$WORK/host.after" || fail "$1: the host changed"
    }
    if [ $case = timeout-runc ]; then
        set_hooks "$bundle" "$WORK/settings.json" prestart poststop
        # poststop, which takes the same lock, too: runc runs it when the start fails.
        edit_config 'c["hooks"]["prestart"][0]["timeout"] = 1
c["hooks"]["poststop"][0]["timeout"] = 1'
        start=$(date +%s)
        run_container "$bundle" "xarch-timeout-$$" > /dev/null && fail "the container started although its hook was killed"
        check_nothing_left runc $(( $(date +%s) - start ))
        grep -qi "timed out\|timeout\|killed" "$WORK/err" || fail "runc does not say the hook timed out: $(cat "$WORK/err")"
        [ ! -e "$bundle/rootfs/usr/libexec" ] || fail "runc: a mount target was left in the rootfs"
        echo "  runc: the container failed in $(( $(date +%s) - start )) s, nothing left"
    else
        command -v podman >/dev/null || skip "podman is not installed"
        tar -C "$bundle/rootfs" -cf "$WORK/rootfs.tar" .
        private_podman
        test_cleanup() {
            kill $holder 2>/dev/null
            restore_emulator
            pm rm -af > /dev/null 2>&1
            pm rmi -af > /dev/null 2>&1
            umount -R "$WORK/storage/overlay" 2> /dev/null
            return 0
        }
        pm import --arch arm64 "$WORK/rootfs.tar" localhost/xarch-timeout >/dev/null || fail "podman import failed"
        host_state > "$WORK/host.before"
        for stage in precreate prestart; do
            rm -rf "$WORK/hooks.d"
            write_hooks_d "$WORK/hooks.d" "$XARCH_HOOK" "$WORK/settings.json" $stage poststop
            sed -i 's/"timeout": 30/"timeout": 1/' "$WORK/hooks.d/xarch-$stage.json" "$WORK/hooks.d/xarch-poststop.json"
            start=$(date +%s)
            if timeout 60 $PODMAN run --name "xarch-to-$stage" --network none localhost/xarch-timeout uname -m > "$WORK/out" 2> "$WORK/err"; then
                fail "podman ($stage): the container started although its hook was killed"
            fi
            check_nothing_left "podman $stage" $(( $(date +%s) - start ))
            grep -qi "timed out\|timeout\|killed\|deadline" "$WORK/err" || fail "podman ($stage) does not say the hook timed out: $(cat "$WORK/err")"
            if merged=$(pm mount "xarch-to-$stage" 2>/dev/null); then
                [ ! -e "$merged/usr/libexec" ] || fail "podman $stage: a mount target was left in the container"
                pm unmount "xarch-to-$stage" > /dev/null
            fi
            pm rm -f "xarch-to-$stage" > /dev/null 2>&1 || true
            echo "  podman $stage: the container failed in $(( $(date +%s) - start )) s, nothing left"
        done
    fi
    kill $holder
    ;;
killpoints)
    command -v "$XARCH_FDWATCH" >/dev/null || fail "XARCH_FDWATCH is not set; run through ctest"
    notrace_leaks
    binfmt_state arm64 debian
    edit_config 'c["process"]["args"] = ["sleep", "300"]'
    id=xarch-kill-$$
    CONTAINERS="$CONTAINERS $id"
    (cd "$bundle" && runc create "$id" < /dev/null > /dev/null 2>&1) || fail "runc create failed"
    state=$(hook_state $id)
    pid=$(runc state $id | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
    (cd "$bundle/rootfs" && find . | sort) > "$WORK/rootfs.before"
    host_state > "$WORK/host.before"
    for point in flock rename mkdirat:1 mkdirat:2 mknodat clone setns move_mount; do
        rc=0
        echo "$state" | "$XARCH_FDWATCH" --out "$WORK/trace" --kill-at $point -- "$XARCH_HOOK" --config "$WORK/settings.json" prestart \
            > /dev/null 2> "$WORK/err" || rc=$?
        grep -q "^kill " "$WORK/trace" || fail "$point: the hook never reached it (exit $rc): $(cat "$WORK/err")"
        [ $rc = 137 ] || fail "$point: the hook was not killed (exit $rc)"
        # Every process the hook started is gone, killed with it, not finished.
        if grep "^end " "$WORK/trace" | grep -v "^end [0-9]* signal 9$" > "$WORK/ends"; then
            fail "$point: a process of the hook outlived it: $(cat "$WORK/ends")"
        fi
        (cd "$bundle/rootfs" && find . | sort) > "$WORK/rootfs.after"
        comm -13 "$WORK/rootfs.before" "$WORK/rootfs.after" | sed 's/^\.//' > "$WORK/new"
        comm -23 "$WORK/new" "$(recorded > "$WORK/rec"; echo "$WORK/rec")" > "$WORK/unrecorded"
        [ ! -s "$WORK/unrecorded" ] || fail "$point: created in the rootfs before being recorded: $(cat "$WORK/unrecorded")"
        if grep -q "$emulator_target" /proc/$pid/mountinfo; then fail "$point: the emulator was mounted by a killed hook"; fi
        echo "  killed at $point: created $(wc -l < "$WORK/new"), recorded $(wc -l < "$WORK/rec")"
        echo "$state" | "$XARCH_HOOK" --config "$WORK/settings.json" poststop || fail "$point: poststop failed"
        (cd "$bundle/rootfs" && find . | sort) > "$WORK/rootfs.after"
        diff "$WORK/rootfs.before" "$WORK/rootfs.after" || fail "$point: poststop left the rootfs changed"
        [ -z "$(recorded)" ] || fail "$point: records left after poststop"
    done
    # Unhindered, the same hook mounts the emulator.
    echo "$state" | "$XARCH_HOOK" --config "$WORK/settings.json" prestart || fail "the hook failed when not killed"
    grep -q "$emulator_target" /proc/$pid/mountinfo || fail "the hook did not mount the emulator"
    runc delete -f $id
    echo "$state" | "$XARCH_HOOK" --config "$WORK/settings.json" poststop
    host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    ;;
fds)
    command -v "$XARCH_FDWATCH" >/dev/null || fail "XARCH_FDWATCH is not set; run through ctest"
    notrace_leaks
    [ -n "${XARCH_RUNTIME:-}" ] || fail "XARCH_RUNTIME is not set; run through ctest"
    : > "$WORK/leak"
    # check_trace WHAT ALLOWED...: every exec and setns in $WORK/trace has stdio plus only what
    # is allowed (python regular expressions over the fd's link; "{pid}" stands for the pid of
    # the process making the call); prints the counts.
    check_trace() {
        python3 - "$WORK/trace" "$@" <<'PY'
import re, sys
trace, what, allowed = sys.argv[1], sys.argv[2], [re.compile(a) for a in sys.argv[3:]]
counts, bad = {"exec": 0, "setns": 0}, []
for line in open(trace):
    fields = line.rstrip("\n").split("\t")
    head = fields[0].split()
    if head[0] not in counts:
        continue
    counts[head[0]] += 1
    fds = dict(f.split("=", 1) for f in fields[1:])
    if head[0] == "setns":
        for fd in ("0", "1", "2"):
            if fds.get(fd) != "/dev/null":
                bad.append("%s: fd %s is %s, not /dev/null" % (fields[0], fd, fds.get(fd)))
    own = [re.compile(a.pattern.replace("{pid}", head[1])) for a in allowed]
    for fd, link in fds.items():
        if int(fd) > 2 and not any(a.fullmatch(link) for a in own):
            bad.append("%s: fd %s=%s" % (fields[0], fd, link))
print("  %s: %d exec, %d setns checked" % (what, counts["exec"], counts["setns"]))
if bad:
    sys.exit("FAIL: %s: fds that must not be there:\n  %s" % (what, "\n  ".join(bad)))
if not counts["exec"] and not counts["setns"]:
    sys.exit("FAIL: %s: nothing was traced" % what)
PY
    }
    probe='/?memfd:xarch-probe \(deleted\)'
    # 1. The mount helper (execution-time entry): setns into the container's mount namespace.
    binfmt_state arm64 debian
    edit_config 'c["process"]["args"] = ["sleep", "300"]'
    id=xarch-fds-$$
    CONTAINERS="$CONTAINERS $id"
    (cd "$bundle" && runc create "$id" < /dev/null > /dev/null 2>&1) || fail "runc create failed"
    hook_state $id > "$WORK/state.json"
    "$XARCH_FDWATCH" --out "$WORK/trace" -- "$XARCH_HOOK" --config "$WORK/settings.json" prestart \
        < "$WORK/state.json" 5</etc/passwd 7>>"$WORK/leak" || fail "prestart failed: $(cat "$WORK/hook.log")"
    grep -q "^setns " "$WORK/trace" || fail "the mount helper's setns was not seen"
    # The helper's own fd directory, opened before setns: through it, a mount that fails its
    # check after move_mount is detached by fd (nothing the container runs can reach it).
    check_trace "mount helper" 'anon_inode:\[pidfd\]' 'pipe:\[\d+\]' "$EMU" "$bundle/rootfs|/" '/proc/{pid}/fd'
    "$XARCH_HOOK" --config "$WORK/settings.json" poststop < "$WORK/state.json"
    runc delete -f $id

    # 2. The registration helper (a user namespace mapping host root): setns into its user and
    # mount namespaces.
    id=xarch-fds-userns-$$
    CONTAINERS="$CONTAINERS $id"
    edit_config 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]'
    (cd "$bundle" && runc create "$id" < /dev/null > /dev/null 2>&1) || fail "runc create (user namespace) failed"
    hook_state $id > "$WORK/state.json"
    "$XARCH_FDWATCH" --out "$WORK/trace" -- "$XARCH_HOOK" --config "$WORK/settings.json" prestart \
        < "$WORK/state.json" 5</etc/passwd 7>>"$WORK/leak" || fail "prestart (user namespace) failed: $(cat "$WORK/hook.log")"
    [ "$(grep -c "^setns " "$WORK/trace")" -ge 2 ] || fail "the registration helper's setns calls were not seen: $(cat "$WORK/trace")"
    check_trace "registration helper" 'anon_inode:\[pidfd\]' 'pipe:\[\d+\]' 'user:\[\d+\]' 'mnt:\[\d+\]' "$bundle/rootfs|/"
    runc delete -f $id

    # 3. Probes: an i386 image with nothing registered makes the hook ask whether the host runs
    # i386 itself; the shim does the same before it execs the real runtime.
    make_bundle i386 "$WORK/i386"
    binfmt_state i386 none
    (cd "$WORK/i386" && "$XARCH_FDWATCH" --out "$WORK/trace" -- "$XARCH_HOOK" --config "$WORK/settings.json" precreate \
        < config.json > /dev/null 5</etc/passwd 7>>"$WORK/leak") || fail "precreate (i386) failed"
    grep -Eq "^exec .*$probe" "$WORK/trace" || fail "no probe was run: $(cat "$WORK/trace")"
    check_trace "hook probes" "$probe"

    fake=$WORK/fake-runc
    printf '#!/bin/sh\nexit 0\n' > "$fake"
    chmod 755 "$fake"
    cat > "$WORK/xarch.json" <<JSON
{"runtimes": ["$fake"], "hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug", "log_file": "$WORK/shim.log"}
JSON
    binfmt_state i386 none
    XARCH_CONFIG="$WORK/xarch.json" "$XARCH_FDWATCH" --out "$WORK/trace" -- "$XARCH_RUNTIME" create --bundle "$WORK/i386" fds-shim \
        5</etc/passwd 7>>"$WORK/leak" || fail "xarch-runtime failed: $(cat "$WORK/shim.log" 2>/dev/null)"
    # The real runtime gets what xarch-runtime was given (stdio, 5 and 7: runc's --preserve-fds
    # relies on that), nothing of its own; its probes get nothing but the program.
    grep -E "^exec [0-9]+ (/usr)?/bin/dash" "$WORK/trace" > "$WORK/runtime-exec" || fail "the runtime was not exec'd: $(cat "$WORK/trace")"
    given=$(grep "^start " "$WORK/trace" | cut -f2- | tr '\t' '\n' | sort | tr '\n' ' ')
    handed=$(cut -f2- "$WORK/runtime-exec" | tr '\t' '\n' | sort | tr '\n' ' ')
    case " $given" in *" 5=/etc/passwd "*) ;; *) fail "xarch-runtime was not started with fd 5: $given" ;; esac
    case " $given" in *" 7=$WORK/leak "*) ;; *) fail "xarch-runtime was not started with fd 7: $given" ;; esac
    [ "$handed" = "$given" ] || fail "xarch-runtime was given fds '$given' and handed the runtime '$handed'"
    grep -vE "^exec [0-9]+ (/usr)?/bin/dash" "$WORK/trace" > "$WORK/trace.probes" || true
    mv "$WORK/trace.probes" "$WORK/trace"
    check_trace "xarch-runtime probes" "$probe"
    ;;
*) fail "unknown case $case" ;;
esac
echo "PASS: $case"
