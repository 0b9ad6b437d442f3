#!/bin/sh
# races.sh CASE: a container (or the machine it runs on) that moves things under the hook while it
# works, each followed by a check of the host: its mount table, the emulator's sha256, binfmt_misc's
# entries, the host's /usr/libexec/qemu-binfmt and /, and nothing new in a directory outside the
# rootfs. binfmt_misc holds Debian's execution-time entry (flags OP), so the hook must bind-mount.
#   swap-race:      a helper loops renameat2(RENAME_EXCHANGE) between a directory and a symlink to
#                   '/' during XARCH_RACE_RUNS (default 1000) prestart runs against a running
#                   container, first in a volume over the mount target's parent, then in the image's
#                   own /usr/libexec: every run mounts inside the container or refuses; the counts
#                   are printed
#   proc-link:      the rootfs' /proc a symlink to '/', '..' or a host path: the hook neither follows
#                   it out nor stops a container it would otherwise run
#   proc-overmount: the hook's own /proc replaced (a tmpfs, a fake tree naming the container's
#                   rootfs, another process's /proc/<pid> over the container's): the hook refuses,
#                   nothing is mounted in the container or on the host
#   propagation:    the container's rootfs in a shared mount of the host, with rootfsPropagation
#                   "shared", and separately a shared bind (rshared) over the target's parent: the
#                   container sees the emulator read-only, and no mount reaches the host's table
. "$(dirname "$0")/lib.sh"
case=$1
command -v cc >/dev/null || skip "cc is not installed"
[ "$(uname -m)" = x86_64 ] || skip "the long-running container uses the host's amd64 busybox"
[ -x /bin/busybox ] && [ -z "$(readelf -l /bin/busybox 2>/dev/null | grep INTERP)" ] || skip "needs a static /bin/busybox (busybox-static)"
hostile_setup
emulator=/usr/bin/qemu-aarch64-static
in_image=/usr/libexec/qemu-binfmt/aarch64-binfmt-P # where the hook mounts the emulator (lib.sh uses $target)
cc -O2 -Wall -Werror -o "$WORK/race_helper" "$(dirname "$0")/race_helper.c" || fail "cannot compile race_helper.c"
# The adversarial tests' host_state, and what a swap to / could touch: the host's own
# /usr/libexec/qemu-binfmt and /.
race_host_state() {
    host_state
    ls -A /usr/libexec/qemu-binfmt
    ls -A /
}
# No mount anywhere on the host, the test's own directory included, is a bind of the emulator.
no_host_emulator_mount() {
    ! cut -d' ' -f4,5 /proc/self/mountinfo | grep -q "^$emulator " || fail "$1: the emulator is mounted on the host: $(grep " $emulator " /proc/self/mountinfo)"
}

# start_sleeper ID: a running container whose process is the host's static busybox (so it needs no
# emulation to start) while the annotation makes the hook treat the image as arm64; sets $pid.
start_sleeper() {
    mkdir -p "$bundle/rootfs/opt"
    cp /bin/busybox "$bundle/rootfs/opt/busybox"
    edit_config 'c["process"]["args"] = ["/opt/busybox", "sleep", "600"]
c.setdefault("annotations", {})["io.xarch.platform"] = "linux/arm64"
c.pop("hooks", None)'
    CONTAINERS="$CONTAINERS $1"
    (cd "$bundle" && runc run -d "$1" > /dev/null 2> "$WORK/err" < /dev/null) || { cat "$WORK/err"; fail "the container did not start"; }
    pid=$(runc state "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
}
stop_sleeper() {
    runc kill "$1" KILL 2>/dev/null || true
    wait_for 10 sh -c "runc state $1 | grep -q '\"stopped\"'" || true
    runc delete -f "$1"
}
state_json() { printf '{"ociVersion": "1.0.2", "id": "%s", "status": "running", "pid": %d, "bundle": "%s"}' "$1" "$pid" "$bundle"; }

# race LABEL DIR NAME: $runs prestart runs against the sleeper while DIR/NAME, a directory, and
# DIR/spare, a symlink to '/', change places; each run is the hook retried for the same container
# (poststop after a run that mounted). Counts what each run did.
race() {
    label=$1 dir=$2
    mkdir "$dir/$3"
    ln -s / "$dir/spare"
    "$WORK/race_helper" swap "$dir" "$3" spare > "$WORK/swaps" & swapper=$!
    test_cleanup() { kill "$swapper" 2>/dev/null; return 0; }
    state_json "xarch-race-$label" > "$WORK/state.json"
    mounted=0 refused=0 i=0
    : > "$WORK/points"; : > "$WORK/hook.log"
    start=$(date +%s)
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        rc=0
        "$XARCH_HOOK" --config "$WORK/settings.json" prestart < "$WORK/state.json" 2> "$WORK/err" || rc=$?
        points=$("$WORK/race_helper" unmount "$pid" "$emulator") || fail "$label run $i: cannot inspect the container"
        case $rc in
        0)  [ -n "$points" ] || fail "$label run $i: the hook succeeded but nothing is mounted in the container"
            echo "$points" >> "$WORK/points"
            "$XARCH_HOOK" --config "$WORK/settings.json" poststop < "$WORK/state.json" 2> /dev/null || fail "$label run $i: poststop failed"
            mounted=$((mounted + 1)) ;;
        1)  [ -s "$WORK/err" ] || fail "$label run $i: refused without a message"
            [ -z "$points" ] || { cat "$WORK/err"; fail "$label run $i: refused, yet the emulator is mounted at $points"; }
            refused=$((refused + 1)) ;;
        *)  cat "$WORK/err"; fail "$label run $i: exit $rc" ;;
        esac
        ! grep -q " $emulator " /proc/self/mountinfo || fail "$label run $i: the emulator is mounted on the host"
    done
    kill "$swapper"; wait "$swapper" || fail "$label: the swapping helper failed"
    test_cleanup() { :; }
    "$XARCH_HOOK" --config "$WORK/settings.json" poststop < "$WORK/state.json" 2> /dev/null || fail "$label: poststop failed"
    echo "$label: $runs runs in $(( $(date +%s) - start )) s, $(cat "$WORK/swaps") exchanges: mounted $mounted, refused $refused"
    [ ! -s "$WORK/points" ] || { echo "  mounted at (container paths):"; sort "$WORK/points" | uniq -c; }
    grep -q "cannot run" "$WORK/hook.log" || return 0
    echo "  refusals:"
    sed -n 's/^.*cannot run [^:]*: //p' "$WORK/hook.log" | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c
}

case $case in
swap-race)
    runs=${XARCH_RACE_RUNS:-1000}
    binfmt_state arm64 debian
    # 1. A volume over the target's parent: the host directory holds the flipping entry.
    volume=$WORK/volume
    mkdir -p "$volume" "$bundle/rootfs/usr/libexec/qemu-binfmt"
    edit_config "c['mounts'].append({'destination': '/usr/libexec/qemu-binfmt', 'type': 'bind', 'source': '$volume', 'options': ['rbind', 'rw']})"
    race_host_state > "$WORK/host.before"
    start_sleeper "xarch-race-vol-$$"
    race volume "$volume" aarch64-binfmt-P
    [ "$mounted" = 0 ] || fail "volume: $mounted runs mounted inside a volume"
    stop_sleeper "xarch-race-vol-$$"
    [ "$(ls -A "$volume" | tr '\n' ' ')" = "aarch64-binfmt-P spare " ] || fail "volume: the host directory behind the volume holds $(ls -A "$volume")"
    [ -z "$(find "$volume" -mindepth 2)" ] || fail "volume: created in the volume: $(find "$volume" -mindepth 2)"
    race_host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "volume: the host changed"
    # 2. The image's own /usr/libexec: qemu-binfmt flips between a directory and a symlink to '/'.
    edit_config 'c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/usr/libexec/qemu-binfmt"]'
    rm -rf "$bundle/rootfs/usr/libexec"
    mkdir -p "$bundle/rootfs/usr/libexec"
    start_sleeper "xarch-race-image-$$"
    race image "$bundle/rootfs/usr/libexec" qemu-binfmt
    stop_sleeper "xarch-race-image-$$"
    race_host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "image: the host changed"
    ;;
proc-link)
    binfmt_state arm64 debian
    race_host_state > "$WORK/host.before"
    cp -a "$bundle/rootfs" "$WORK/rootfs.plain"
    for link in / .. "$outside"; do
        # precreate: the edits name the image's own paths, nothing is created anywhere
        rm -rf "$bundle/rootfs/proc"
        ln -s "$link" "$bundle/rootfs/proc"
        (cd "$bundle" && timeout 20 "$XARCH_HOOK" --config "$WORK/settings.json" precreate < config.json > "$WORK/out" 2> "$WORK/err") \
            || fail "/proc -> $link: precreate failed"
        grep -q "$in_image" "$WORK/out" || fail "/proc -> $link: precreate did not add the emulator mount"
        # runc itself refuses to mount proc on a symlink, before any prestart hook
        set_hooks "$bundle" "$WORK/settings.json" prestart poststop
        if run_container "$bundle" "xarch-proclink-$$" > "$WORK/run.log"; then fail "/proc -> $link: runc ran the container"; fi
        # A running container whose /proc becomes the symlink (the directory, its mount point, renamed
        # away on the host): prestart mounts the emulator inside; with a user namespace mapping host
        # root it would attach a binfmt_misc instance at the container's /proc/sys/fs/binfmt_misc,
        # which is no /proc now, and must refuse.
        for userns in no yes; do
            rm -rf "$bundle/rootfs"
            cp -a "$WORK/rootfs.plain" "$bundle/rootfs"
            if [ $userns = yes ]; then
                edit_config 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]'
            fi
            start_sleeper "xarch-proclink-$userns-$$"
            mv "$bundle/rootfs/proc" "$bundle/rootfs/proc.real"
            ln -s "$link" "$bundle/rootfs/proc"
            state_json "xarch-proclink-$userns-$$" > "$WORK/state.json"
            rc=0
            timeout 20 "$XARCH_HOOK" --config "$WORK/settings.json" prestart < "$WORK/state.json" 2> "$WORK/err" || rc=$?
            points=$("$WORK/race_helper" unmount "$pid" "$emulator") || fail "/proc -> $link: cannot inspect the container"
            if [ $userns = no ]; then
                [ $rc = 0 ] || fail "/proc -> $link: prestart failed: $(cat "$WORK/err")"
                [ "$points" = "$in_image" ] || fail "/proc -> $link: the emulator was mounted at '$points'"
            else
                [ $rc = 1 ] || fail "/proc -> $link, user namespace: exit $rc, expected a refusal: $(cat "$WORK/err")"
                [ -z "$points" ] || fail "/proc -> $link, user namespace: the emulator was mounted at $points"
                echo "/proc -> $link, user namespace: $(grep -o 'cannot run.*' "$WORK/err" | cut -c1-220)"
            fi
            timeout 20 "$XARCH_HOOK" --config "$WORK/settings.json" poststop < "$WORK/state.json"
            stop_sleeper "xarch-proclink-$userns-$$"
            [ "$(readlink "$bundle/rootfs/proc")" = "$link" ] || fail "/proc -> $link: the symlink changed"
            [ ! -e "$bundle/rootfs/usr/libexec/qemu-binfmt" ] || fail "/proc -> $link: the mount target was left behind"
            no_host_emulator_mount "/proc -> $link"
        done
        edit_config 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]
c["linux"].pop("uidMappings", None); c["linux"].pop("gidMappings", None)'
    done
    race_host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    ;;
proc-overmount)
    binfmt_state arm64 debian
    race_host_state > "$WORK/host.before"
    start_sleeper "xarch-procover-$$"
    state_json "xarch-procover-$$" > "$WORK/state.json"
    for how in tmpfs fake-tree other-process; do
        {
            case $how in
            tmpfs) echo 'mount -t tmpfs tmpfs /proc' ;;
            fake-tree)
                # A tree that names the container's rootfs and namespaces as a real /proc would.
                echo "mount -t tmpfs tmpfs /proc; mkdir -p /proc/$pid/ns /proc/\$\$/ns /proc/\$\$/fd"
                echo "ln -s \$\$ /proc/self; ln -s $bundle/rootfs /proc/$pid/root; printf '0 0 4294967295\\n' > /proc/$pid/uid_map"
                echo ": > /proc/$pid/ns/user; ln /proc/$pid/ns/user /proc/\$\$/ns/user; : > /proc/$pid/ns/mnt; : > /proc/\$\$/ns/mnt" ;;
            other-process) echo "mount --bind /proc/1 /proc/$pid" ;;
            esac
            echo "exec $XARCH_HOOK --config $WORK/settings.json prestart < $WORK/state.json"
        } > "$WORK/over.sh"
        rc=0
        timeout 20 unshare -m --propagation private sh "$WORK/over.sh" > "$WORK/out" 2> "$WORK/err" || rc=$?
        [ $rc = 1 ] || { cat "$WORK/err"; fail "$how: exit $rc, expected a refusal"; }
        grep -q "/proc" "$WORK/err" || fail "$how: the refusal does not name /proc: $(cat "$WORK/err")"
        echo "$how: $(grep -o "cannot run.*" "$WORK/err" | cut -c1-200)"
        points=$("$WORK/race_helper" unmount "$pid" "$emulator")
        [ -z "$points" ] || fail "$how: the emulator was mounted in the container at $points"
        [ ! -e "$bundle/rootfs/usr/libexec/qemu-binfmt" ] || fail "$how: the mount target was left behind"
        no_host_emulator_mount "$how"
    done
    # The same hook with the real /proc mounts (so the refusals above came from the overmount).
    timeout 20 "$XARCH_HOOK" --config "$WORK/settings.json" prestart < "$WORK/state.json" 2> "$WORK/err" \
        || fail "with the real /proc the hook failed: $(cat "$WORK/err")"
    [ -n "$("$WORK/race_helper" unmount "$pid" "$emulator")" ] || fail "with the real /proc nothing was mounted"
    timeout 20 "$XARCH_HOOK" --config "$WORK/settings.json" poststop < "$WORK/state.json"
    stop_sleeper "xarch-procover-$$"
    race_host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    ;;
propagation)
    binfmt_state arm64 debian
    # The bundle in a shared mount of the host, as / is on a systemd machine: a mount made in a
    # peer of it inside the container would appear on the host.
    shared=$WORK/shared
    mkdir -p "$shared"
    mount --bind "$shared" "$shared"
    mount --make-shared "$shared"
    test_cleanup() { umount -R -l "$shared" 2>/dev/null; return 0; }
    mv "$bundle" "$shared/bundle"
    bundle=$shared/bundle
    edit_config 'c["root"]["path"] = "rootfs"'
    set_hooks "$bundle" "$WORK/settings.json" prestart poststop
    race_host_state > "$WORK/host.before"
    grep " $WORK" /proc/self/mountinfo | cut -d' ' -f4,5 | sort > "$WORK/work.before"
    # 1. rootfsPropagation shared
    edit_config 'c["linux"]["rootfsPropagation"] = "shared"
c["process"]["args"] = ["sleep", "60"]'
    CONTAINERS="$CONTAINERS xarch-prop-$$"
    (cd "$bundle" && runc run -d "xarch-prop-$$" > /dev/null 2> "$WORK/err" < /dev/null) || { cat "$WORK/err"; cat "$WORK/hook.log"; fail "shared: the container did not start"; }
    seen=$(runc exec "xarch-prop-$$" grep aarch64-binfmt-P /proc/self/mountinfo) || fail "shared: the container has no emulator mount"
    echo "shared: the container sees: $(echo "$seen" | cut -d' ' -f4-6)"
    echo "$seen" | cut -d' ' -f6 | grep -q '^ro,' || fail "shared: the emulator is not read-only in the container: $seen"
    no_host_emulator_mount "shared, while the container runs"
    runc kill "xarch-prop-$$" KILL
    wait_for 10 sh -c "runc state xarch-prop-$$ | grep -q '\"stopped\"'" || true
    runc delete -f "xarch-prop-$$"
    no_host_emulator_mount "shared, after poststop"
    grep " $WORK" /proc/self/mountinfo | cut -d' ' -f4,5 | sort | diff "$WORK/work.before" - || fail "shared: new mounts on the host"
    # 2. a shared bind over the target's parent
    edit_config 'c["linux"].pop("rootfsPropagation")
c["process"]["args"] = ["uname", "-m"]'
    mkdir -p "$shared/volume"
    edit_config "c['mounts'].append({'destination': '/usr/libexec/qemu-binfmt', 'type': 'bind', 'source': '$shared/volume', 'options': ['rbind', 'rshared', 'rw']})"
    if run_container "$bundle" "xarch-prop-bind-$$" > "$WORK/run.log"; then fail "shared bind: the container ran with its target in a volume"; fi
    grep -q "leads out of the image's filesystem" "$WORK/err" || { cat "$WORK/run.log"; fail "shared bind: no clear refusal"; }
    [ -z "$(ls -A "$shared/volume")" ] || fail "shared bind: created in the volume: $(ls -A "$shared/volume")"
    no_host_emulator_mount "shared bind"
    grep " $WORK" /proc/self/mountinfo | cut -d' ' -f4,5 | sort | diff "$WORK/work.before" - || fail "shared bind: new mounts on the host"
    race_host_state > "$WORK/host.after"
    diff "$WORK/host.before" "$WORK/host.after" || fail "the host changed"
    ;;
*) fail "unknown case $case" ;;
esac
echo "PASS: $case"
