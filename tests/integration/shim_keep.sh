#!/bin/sh
# shim_keep.sh CASE: xarch-runtime as Docker's BuildKit runs a RUN step (DOCKER_BUILDKIT_RUNC_COMMAND,
# moby 26): `--log F --log-format json run --bundle B --keep ID` in the foreground, later `delete
# ID`, with real runc and an arm64 bundle under Debian's entry without F, so the emulator's mount
# target is created in the rootfs. BuildKit unmounts the rootfs and takes the step's snapshot
# before its asynchronous delete (and so before the poststop hook), so xarch-runtime must have
# removed the target when `run` returns. Cases:
#   exit     the container exits 3: run returns 3, the rootfs holds nothing of xarch's, the
#            container stays stopped for delete, whose poststop finds nothing left
#   cancel   BuildKit's cancel (`runc kill ID 9`) of a running step: run returns 137, cleaned
#   signal   SIGTERM to xarch-runtime reaches the container (its trap exits 5): run returns 5
. "$(dirname "$0")/lib.sh"
case=$1
command -v runc >/dev/null || skip "runc is not installed"
[ -n "${XARCH_RUNTIME:-}" ] || fail "XARCH_RUNTIME is not set; run through ctest"
bundle=$WORK/bundle
case $case in
    exit) make_bundle arm64 "$bundle" sh -c 'uname -m; exit 3' ;;
    cancel) make_bundle arm64 "$bundle" sh -c 'uname -m; exec sleep 60' ;;
    signal) make_bundle arm64 "$bundle" sh -c 'trap "echo TERM; exit 5" TERM; uname -m; while :; do sleep 1; done' ;;
    *) fail "unknown case $case" ;;
esac
binfmt_state arm64 debian
cat > "$WORK/xarch.json" <<JSON
{"hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug", "log_file": "$WORK/xarch.log"}
JSON
export XARCH_CONFIG="$WORK/xarch.json"
id=xarch-keep-$$
CONTAINERS=$id
rt() { "$XARCH_RUNTIME" --log "$WORK/runc-log.json" --log-format json "$@"; }
# Not through rt: $! must be xarch-runtime itself, not a subshell.
"$XARCH_RUNTIME" --log "$WORK/runc-log.json" --log-format json run --bundle "$bundle" --keep "$id" > "$WORK/out" 2>"$WORK/err" &
run_pid=$!
wait_for 60 grep -q aarch64 "$WORK/out" || { cat "$WORK/err" "$WORK/xarch.log"; fail "the step printed no aarch64"; }
case $case in
    cancel) runc kill "$id" 9 ;;
    signal) sleep 1; kill -TERM "$run_pid" ;;
esac
rc=0
wait "$run_pid" || rc=$?
want=$(case $case in exit) echo 3 ;; cancel) echo 137 ;; signal) echo 5 ;; esac)
[ "$rc" = "$want" ] || { cat "$WORK/err"; fail "run --keep returned $rc, expected $want (the container's end)"; }
[ ! -e "$bundle/rootfs/usr/libexec" ] || fail "run --keep returned with the mount target still in the rootfs: $(find "$bundle/rootfs/usr/libexec")"
grep -q 'run --keep: removed 3 of 3 paths' "$WORK/xarch.log" || fail "xarch-runtime did not say what it removed: $(cat "$WORK/xarch.log")"
[ "$(runc state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = stopped ] ||
    fail "the container is not kept stopped for BuildKit's delete"
rt delete "$id" || fail "delete failed"
grep -q 'poststop: nothing was created' "$WORK/xarch.log" || fail "poststop found something left: $(tail -3 "$WORK/xarch.log")"
left=$(find "$WORK/state" -type f ! -name .lock)
[ -z "$left" ] || fail "records left: $left"
echo "PASS: run --keep ($case) returned $rc with the rootfs clean before delete"
