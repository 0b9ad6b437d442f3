#!/bin/sh
# review_cases.sh CASE: attacks and accidents from the security review, each with the behaviour
# xarch must show.
#   userns-root:   a container with its own user namespace mapping host root, execution-time
#                  entry: the hook never bind-mounts (it could be remounted writable); at prestart
#                  on Linux >= 6.7 it registers F in the container's own binfmt_misc instead,
#                  otherwise (and always at precreate) it refuses with the fix
#   shared-rootfs: two containers on one rootfs; the first one's poststop must leave the
#                  second one's emulator in place
#   volume-link:   /usr/libexec -> /data, a volume mounted at /data: nothing created in the volume
#   path-bomb:     a 1 MB PATH and cwd: the hook answers at once, leaving the config unchanged
#   two-stages:    xarch-hook at createRuntime and again at prestart (and a third time, as a retry
#                  would): one mount of the emulator, the container runs, poststop removes the target
. "$(dirname "$0")/lib.sh"
case=$1
command -v runc >/dev/null || skip "runc is not installed"
bundle=$WORK/bundle
make_bundle arm64 "$bundle"
write_settings "$WORK/settings.json"
case $case in
userns-root)
    binfmt_state arm64 debian
    edit_config 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]'
    set_hooks "$bundle" "$WORK/settings.json" prestart
    before=$(cat "$BINFMT/qemu-aarch64")
    if python3 -c 'import os,sys; v=os.uname().release.split("."); sys.exit(0 if (int(v[0]), int(v[1])) >= (6, 7) else 1)'; then
        edit_config 'c["process"]["args"] = ["sh", "-c", "uname -m | cat; grep flags /proc/sys/fs/binfmt_misc/qemu-aarch64"]'
        run_container "$bundle" "xarch-userns-$$" || fail "the container did not run through its own binfmt_misc"
        [ "$(head -1 "$WORK/out")" = aarch64 ] || fail "the container printed '$(cat "$WORK/out")'"
        grep -q "^flags: .*F" "$WORK/out" || fail "the container does not see its own F entry: $(cat "$WORK/out")"
        [ ! -e "$bundle/rootfs/usr/libexec" ] || fail "a mount target was created: the emulator was bind-mounted"
        [ "$(cat "$BINFMT/qemu-aarch64")" = "$before" ] || fail "the host's entry changed"
        edit_config 'c["process"]["args"] = ["uname", "-m"]'
    else
        if run_container "$bundle" "xarch-userns-$$" >/dev/null; then fail "the container ran with a bind-mounted emulator"; fi
        grep -q "user namespace maps host root" "$WORK/err" || { cat "$WORK/err"; fail "no clear refusal"; }
        grep -q "xarch install arm64 --replace" "$WORK/err" || fail "the refusal does not give the fix"
    fi
    # precreate sees the same from config.json alone.
    (cd "$bundle" && "$XARCH_HOOK" --config "$WORK/settings.json" precreate < config.json > /dev/null 2> "$WORK/err2") \
        && fail "precreate accepted the user namespace"
    grep -q "user namespace maps host root" "$WORK/err2" || fail "precreate: no clear refusal"
    ;;
shared-rootfs)
    binfmt_state arm64 debian
    edit_config 'c["process"]["args"] = ["sleep", "30"]'
    set_hooks "$bundle" "$WORK/settings.json" prestart poststop
    cp -r "$bundle" "$WORK/second"
    rm -rf "$WORK/second/rootfs"
    python3 - "$WORK/second/config.json" "$bundle/rootfs" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["root"]["path"] = sys.argv[2]
c["process"]["args"] = ["uname", "-m"]
json.dump(c, open(sys.argv[1], "w"))
PY
    CONTAINERS="$CONTAINERS xarch-long-$$"
    (cd "$bundle" && runc run -d "xarch-long-$$" > /dev/null 2>&1 < /dev/null) || fail "the long-running container did not start"
    run_container "$WORK/second" "xarch-short-$$" || fail "the second container failed"
    [ "$(cat "$WORK/out")" = aarch64 ] || fail "second container printed '$(cat "$WORK/out")'"
    got=$(runc exec "xarch-long-$$" uname -m) || fail "the first container lost its emulator when the second stopped"
    [ "$got" = aarch64 ] || fail "exec printed '$got'"
    runc kill "xarch-long-$$" KILL; sleep 0.5; runc delete -f "xarch-long-$$"
    [ ! -e "$bundle/rootfs/usr/libexec" ] || fail "the last container out did not remove the mount target"
    ;;
volume-link)
    binfmt_state arm64 debian
    mkdir -p "$WORK/volume"
    ln -s /data "$bundle/rootfs/usr/libexec"
    mkdir -p "$bundle/rootfs/data"
    edit_config "c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$WORK/volume', 'options': ['rbind', 'rw']})"
    set_hooks "$bundle" "$WORK/settings.json" prestart poststop
    run_container "$bundle" "xarch-vol-$$" >/dev/null && fail "the container ran although its target is in a volume"
    grep -q "leads out of the image's filesystem" "$WORK/err" || { cat "$WORK/err"; fail "no clear refusal"; }
    [ -z "$(ls -A "$WORK/volume")" ] || fail "something was created in the volume: $(ls -A "$WORK/volume")"
    ;;
path-bomb)
    binfmt_state arm64 debian
    edit_config 'c["process"]["env"] = ["PATH=" + "a:" * 500000]
c["process"]["cwd"] = "/" + "d/" * 300000
c["process"]["args"] = ["nothing-here"]'
    start=$(date +%s)
    (cd "$bundle" && timeout 20 "$XARCH_HOOK" --config "$WORK/settings.json" precreate < config.json > "$WORK/out") \
        || fail "the hook failed or hung"
    [ $(( $(date +%s) - start )) -le 3 ] || fail "the hook took $(( $(date +%s) - start )) s"
    grep -q "aarch64-binfmt-P" "$WORK/out" || fail "the hook did not fall back to /bin/sh"
    ;;
two-stages)
    binfmt_state arm64 debian
    edit_config 'c["process"]["args"] = ["sh", "-c", "uname -m; grep -c aarch64-binfmt-P /proc/self/mountinfo"]'
    set_hooks "$bundle" "$WORK/settings.json" createRuntime prestart poststop
    edit_config 'c["hooks"]["prestart"].append(c["hooks"]["prestart"][0])'
    run_container "$bundle" "xarch-stages-$$" || fail "the container hooked at two stages did not run"
    [ "$(sed -n 1p "$WORK/out")" = aarch64 ] || fail "the container printed '$(cat "$WORK/out")'"
    [ "$(sed -n 2p "$WORK/out")" = 1 ] || fail "the emulator is mounted $(sed -n 2p "$WORK/out") times, not once"
    [ ! -e "$bundle/rootfs/usr/libexec/qemu-binfmt" ] || fail "poststop left the mount target behind"
    [ -z "$(ls -A "$WORK/state" 2>/dev/null | grep -v '^\.lock$')" ] || fail "records left: $(ls -A "$WORK/state")"
    ;;
*) fail "unknown case $case" ;;
esac
echo "PASS: $case"
