#!/bin/sh
# load.sh CASE: xarch under load, with figures printed.
#   parallel-foreign: 100 runc containers of arm64, which nothing handles yet, started at once
#                     (xarch-hook at prestart, policy register): zero failures, exactly one
#                     registration
#   parallel-native:  the same with 100 amd64 containers: zero failures, no registration
#   soak:             XARCH_SOAK_RUNS (default 1000) arm64 containers started and deleted one after
#                     another through the bind-mount path (an entry without F): no growth in
#                     records, mounts, the machine's open files or binfmt_misc entries; the time
#                     per start of the first and the last 50 is printed (a leak shows as drift),
#                     each beside 50 starts of a control alternated with them: a native busybox,
#                     read-only, /bin/true as its hooks, no xarch (the machine's own drift shows
#                     in the control; a leak in xarch's path as a growing ratio)
. "$(dirname "$0")/lib.sh"
case=$1
command -v runc >/dev/null || skip "runc is not installed"
n=100
arch=arm64
[ "$case" = parallel-native ] && arch=amd64
make_bundle "$arch" "$WORK/base"
write_settings "$WORK/settings.json"
settings_log_level() { sed -i "s/\"log_level\": \"debug\"/\"log_level\": \"$1\"/" "$WORK/settings.json"; }
settings_log_level info
now() { date +%s.%N; }
elapsed() { awk "BEGIN { printf \"%.3f\", $2 - $1 }"; }

# A bundle per container, all on the one read-only rootfs.
bundle() {
    mkdir -p "$WORK/b$1"
    python3 - "$WORK/base/config.json" "$WORK/b$1/config.json" "$WORK/base/rootfs" "$XARCH_HOOK" "$WORK/settings.json" <<'PY'
import json, sys
src, dst, rootfs, hook, settings = sys.argv[1:]
c = json.load(open(src))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["args"] = ["uname", "-m"]
c["process"]["terminal"] = False
c["hooks"] = {s: [{"path": hook, "args": ["xarch-hook", "--config", settings, s]}] for s in ("prestart", "poststop")}
json.dump(c, open(dst, "w"))
PY
}

case $case in
parallel-foreign|parallel-native)
    want=$(expected_machine "$arch")
    binfmt_state arm64 none
    before=$(ls $BINFMT | sort | tr '\n' ' ')
    i=1; while [ $i -le $n ]; do bundle $i; i=$((i + 1)); done
    start=$(now)
    i=1; pids=""
    while [ $i -le $n ]; do
        CONTAINERS="$CONTAINERS xarch-load-$$-$i"
        (cd "$WORK/b$i" && timeout 120 runc run "xarch-load-$$-$i" > "$WORK/out.$i" 2> "$WORK/err.$i" < /dev/null
         echo $? > "$WORK/rc.$i") &
        pids="$pids $!"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    wait $pids
    wall=$(elapsed "$start" "$(now)")
    failures=0
    i=1; while [ $i -le $n ]; do
        if [ "$(cat "$WORK/rc.$i")" != 0 ] || [ "$(cat "$WORK/out.$i")" != "$want" ]; then
            failures=$((failures + 1)); [ $failures -le 3 ] && { echo "--- container $i:"; cat "$WORK/out.$i" "$WORK/err.$i"; }
        fi
        i=$((i + 1))
    done
    after=$(ls $BINFMT | sort | tr '\n' ' ')
    if [ "$case" = parallel-foreign ]; then
        added=$(ls $BINFMT | grep -c '^qemu-aarch64$' || true)
        written=$(grep -c "registered binfmt_misc handler" "$WORK/hook.log" || true)
        echo "figures: $n arm64 containers at once: ${wall}s wall, $failures failures, $added qemu-aarch64 entry, $written registration(s) written"
        [ "$added" = 1 ] || fail "expected exactly one qemu-aarch64 entry, found $added"
        [ "$written" = 1 ] || fail "expected one registration, the hooks wrote $written"
    else
        echo "figures: $n amd64 containers at once: ${wall}s wall, $failures failures"
        [ "$after" = "$before" ] || fail "native containers changed binfmt_misc: '$before' -> '$after'"
    fi
    [ $failures = 0 ] || fail "$failures of $n containers failed"
    ;;
soak)
    runs=${XARCH_SOAK_RUNS:-1000}
    binfmt_state arm64 exec
    bundle 1
    count_records() { find "$WORK/state" -type f -name '*.json' 2>/dev/null | wc -l; }
    count_mounts() { wc -l < /proc/self/mountinfo; }
    open_files() { cut -f1 /proc/sys/fs/file-nr; }
    entries() { ls $BINFMT | wc -l; }
    # The control: a native busybox, read-only, /bin/true as its hooks, no xarch and no emulator
    # (with the emulator bind-mounted by config.json instead, qemu-aarch64 as the container's
    # init was seen to hang now and then, which is not what this test measures).
    make_bundle amd64 "$WORK/native"
    mkdir -p "$WORK/control"
    python3 - "$WORK/native/config.json" "$WORK/control/config.json" "$WORK/native/rootfs" <<'PY'
import json, sys
src, dst, rootfs = sys.argv[1:]
c = json.load(open(src))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["args"] = ["uname", "-m"]
c["process"]["terminal"] = False
c["hooks"] = {s: [{"path": "/bin/true"}] for s in ("prestart", "poststop")}
json.dump(c, open(dst, "w"))
PY
    run_one() { # BUNDLE N [MACHINE]
        out=$(cd "$1" && timeout -s KILL 60 runc run "xarch-soak-$$" 2> "$WORK/err" < /dev/null) \
            || { cat "$WORK/err"; tail -5 "$WORK/hook.log"; fail "start $2 of $1 failed"; }
        [ "$out" = "${3:-aarch64}" ] || fail "start $2 of $1 printed '$out'"
        runc delete -f "xarch-soak-$$" 2>/dev/null || true
    }
    # Seconds spent in `run_one BUNDLE N [MACHINE]`, added to the variable named first.
    timed() { # VAR BUNDLE N [MACHINE]
        t0=$(now); run_one "$2" "$3" "${4:-}"; eval "$1=\$(awk \"BEGIN { print \$$1 + $(now) - $t0 }\")"
    }
    run_one "$WORK/b1" 0 # warm-up: caches, the state directory
    run_one "$WORK/control" 0 "$(expected_machine amd64)"
    r0=$(count_records) m0=$(count_mounts) f0=$(open_files) e0=$(entries)
    xarch=0 control=0
    i=1
    while [ $i -le "$runs" ]; do
        # The first and the last 50 each alternate with a start of the control.
        if [ $i -le 50 ] || [ $i -gt $((runs - 50)) ]; then
            timed xarch "$WORK/b1" $i
            timed control "$WORK/control" $i "$(expected_machine amd64)"
        else
            run_one "$WORK/b1" $i
        fi
        if [ $i = 50 ]; then first=$xarch first_control=$control xarch=0 control=0; fi
        i=$((i + 1))
    done
    r1=$(count_records) m1=$(count_mounts) f1=$(open_files) e1=$(entries)
    ms() { awk "BEGIN { printf \"%.1f\", $1 * 20 }"; }
    ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
    echo "figures: $runs sequential arm64 starts, ms/start: first 50 $(ms "$first") (control $(ms "$first_control")," \
         "ratio $(ratio "$first" "$first_control")), last 50 $(ms "$xarch") (control $(ms "$control"), ratio" \
         "$(ratio "$xarch" "$control")); records $r0->$r1, mounts $m0->$m1, open files $f0->$f1, entries $e0->$e1"
    [ "$r1" -le "$r0" ] || fail "records grew from $r0 to $r1"
    [ "$m1" -le "$m0" ] || fail "mounts grew from $m0 to $m1"
    [ "$e1" = "$e0" ] || fail "binfmt_misc entries changed from $e0 to $e1"
    # Other processes open and close files meanwhile: allow noise, not a leak of one per start.
    [ "$f1" -le $((f0 + runs / 4)) ] || fail "open files grew from $f0 to $f1"
    [ ! -e "$WORK/base/rootfs/usr/libexec/qemu-binfmt" ] || fail "a mount target was left in the rootfs"
    ;;
*) fail "unknown case $case" ;;
esac
echo "PASS: $case"
