# Shared by the integration tests (sourced). Each test gets a private work directory and
# restores the machine's binfmt_misc entries on exit, whatever happens.
# Environment (set by ctest): XARCH_HOOK, XARCH_BINFMT_SNAPSHOT, XARCH_MAKE_BUNDLE,
# XARCH_BUNDLE_CACHE.
set -eu
RUNTIME=${RUNTIME:-runc}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (runtimes, binfmt_misc)"
for v in XARCH_HOOK XARCH_BINFMT_SNAPSHOT XARCH_MAKE_BUNDLE; do
    eval "[ -n \"\${$v:-}\" ]" || fail "$v is not set; run through ctest"
done

WORK=$(mktemp -d /tmp/xarch-test.XXXXXX)
SNAPSHOT=$WORK/binfmt.json
CONTAINERS=""
# Tests override this to undo what they started (daemons, storage).
test_cleanup() { :; }
"$XARCH_BINFMT_SNAPSHOT" save "$SNAPSHOT"

on_exit() {
    rc=$?
    for c in $CONTAINERS; do "$RUNTIME" delete -f "$c" >/dev/null 2>&1 || true; done
    test_cleanup || true
    "$XARCH_BINFMT_SNAPSHOT" restore "$SNAPSHOT" || { echo "FAIL: could not restore binfmt_misc" >&2; rc=1; }
    rm -rf "$WORK"
    exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

BINFMT=/proc/sys/fs/binfmt_misc

# debian_arch -> qemu target and what `uname -m` prints under it.
qemu_target() {
    case $1 in
        amd64) echo x86_64 ;; i386) echo i386 ;; arm64) echo aarch64 ;; armhf|armel) echo arm ;;
        ppc64el) echo ppc64le ;; s390x) echo s390x ;; mips64el) echo mips64el ;;
        *) fail "unknown arch $1" ;;
    esac
}
expected_machine() {
    case $1 in
        amd64) echo x86_64 ;; i386) echo i686 ;; arm64) echo aarch64 ;; armhf|armel) echo armv7l ;;
        ppc64el) echo ppc64le ;; s390x) echo s390x ;; mips64el) echo mips64 ;;
    esac
}

# stop_daemon PID: TERM, up to 10 s, then KILL; then unmount whatever is left under $WORK.
stop_daemon() {
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
    grep -o " $WORK[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
    return 0
}

# containerd_config SOCKET: the start of a config.toml (version 2) for a containerd of the test's
# own: root, state, sockets and its opt plugin's directory (default /opt/containerd) in $WORK.
containerd_config() {
    cat <<TOML
version = 2
root = "$WORK/root"
state = "$WORK/state-c"
[grpc]
  address = "$1"
[ttrpc]
  address = "$1.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$WORK/opt"
TOML
}

# wait_for SECONDS CMD...: until CMD succeeds; false if it never does.
wait_for() {
    tries=$(( $1 * 5 ))
    shift
    for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

# make_bundle ARCH DIR [CMD...]: a busybox bundle from Debian's busybox-static.
make_bundle() {
    arch=$1 dir=$2
    shift 2
    "$XARCH_MAKE_BUNDLE" --cache "${XARCH_BUNDLE_CACHE:-$WORK/cache}" "$arch" "$dir" "$@" >/dev/null \
        || skip "cannot build a $arch busybox bundle (Debian archive unreachable?)"
}

# set_hooks BUNDLE SETTINGS STAGE...: run xarch-hook at these stages from config.json.
set_hooks() {
    bundle=$1 settings=$2
    shift 2
    python3 - "$bundle/config.json" "$XARCH_HOOK" "$settings" "$@" <<'PY'
import json, sys
path, hook, settings, stages = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = json.load(open(path))
c["hooks"] = {s: [{"path": hook, "args": ["xarch-hook", "--config", settings, s]}] for s in stages}
json.dump(c, open(path, "w"), indent=2)
PY
}

# edit_config CODE: runs Python CODE on $bundle/config.json, loaded as the dict c, and saves it.
edit_config() {
    python3 - "$bundle/config.json" "$@" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(code)
json.dump(c, open(path, "w"), indent=1)
PY
}

# private_podman: podman with storage, run root and containers.conf of the test's own, hooks
# from $WORK/hooks.d; sets PODMAN (the command line) and pm, and removes everything at exit.
private_podman() {
    write_containers_conf "$WORK/containers.conf"
    export CONTAINERS_CONF="$WORK/containers.conf"
    PODMAN="podman --root $WORK/storage --runroot $WORK/runroot --hooks-dir $WORK/hooks.d --storage-driver overlay"
    test_cleanup() {
        pm rm -af >/dev/null 2>&1
        pm rmi -af >/dev/null 2>&1
        umount -R "$WORK/storage/overlay" 2>/dev/null
        return 0
    }
}
pm() { $PODMAN "$@"; }

# write_settings FILE [POLICY]: hook settings private to this test.
# The adversarial tests' setup: runc, an arm64 bundle at $bundle, settings, and $outside, a
# directory outside the rootfs in which nothing may appear.
hostile_setup() {
    command -v runc >/dev/null || skip "runc is not installed"
    bundle=$WORK/bundle
    make_bundle arm64 "$bundle"
    write_settings "$WORK/settings.json"
    outside=$WORK/outside
    mkdir -p "$outside"
}

# What an adversarial test compares of the host before and after: the mount table (but the
# test's own mounts), the emulator's sha256, binfmt_misc's entries and $outside.
host_state() {
    grep -v " $WORK" /proc/self/mountinfo | cut -d' ' -f4- | sort
    sha256sum /usr/bin/qemu-aarch64-static
    ls $BINFMT | sort
    ls -A "$outside"
}

write_settings() {
    mkdir -p "$WORK/state"
    cat > "$1" <<JSON
{"policy": "${2:-register}", "log_level": "debug", "log_file": "$WORK/hook.log", "state_dir": "$WORK/state"}
JSON
}

# write_hooks_d DIR HOOK SETTINGS STAGE...: a hooks.d file in DIR per stage, running HOOK with
# the settings file SETTINGS.
write_hooks_d() {
    dir=$1 hook=$2 settings=$3
    shift 3
    mkdir -p "$dir"
    for s in "$@"; do
        cat > "$dir/xarch-$s.json" <<JSON
{"version": "1.0.0",
 "hook": {"path": "$hook", "args": ["xarch-hook", "--config", "$settings", "$s"], "timeout": 30},
 "when": {"always": true}, "stages": ["$s"]}
JSON
    done
}

# write_containers_conf FILE: what podman needs on these machines (ulimits, runc).
write_containers_conf() {
    cat > "$1" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
}

# binfmt_state ARCH none|exec|debian|F: put binfmt_misc in one of the states a user may have.
#   none: nothing registered for the target; exec: no F flag, interpreter /usr/bin/qemu-T-static;
#   debian: Debian's layout without F (/usr/libexec/qemu-binfmt/T-binfmt-P, flags OP);
#   F: Debian's own registration (flags OPF).
binfmt_state() {
    target=$(qemu_target "$1")
    "$XARCH_BINFMT_SNAPSHOT" clear
    conf=/usr/lib/binfmt.d/qemu-$target.conf
    case $2 in
        none) ;;
        exec|debian|F)
            if [ "$target" = i386 ]; then
                # Debian ships no i386 entry (nor i386-binfmt-P) on amd64; this is qemu-binfmt-conf's.
                [ "$2" != debian ] || skip "Debian has no /usr/libexec/qemu-binfmt/i386-binfmt-P"
                line=':qemu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-i386-static:F'
            elif [ -f "$conf" ]; then line=$(cat "$conf")
            else skip "no binfmt.d file for $target"; fi
            case $2 in
                exec) line=$(printf "%s" "$line" | sed "s|:[^:]*:[A-Z]*\$|:/usr/bin/qemu-$target-static:|") ;;
                debian) line=$(printf '%s' "$line" | sed 's|:OPF$|:OP|') ;;
            esac
            printf '%s' "$line" > $BINFMT/register ;;
        *) fail "unknown binfmt state $2" ;;
    esac
}

# runs_natively BUNDLE: true if the host kernel runs the bundle's busybox without any
# binfmt_misc entry (call after binfmt_state ... none or a snapshot clear).
runs_natively() {
    "$1/rootfs/bin/busybox" true 2>/dev/null
}

# run_container BUNDLE ID: `$RUNTIME run` (runc unless RUNTIME=crun), stdout captured in
# $WORK/out, stderr in $WORK/err. crun refuses this machine's hybrid cgroup layout, so it runs
# in a private mount namespace without the cgroup2 mount.
run_container() {
    CONTAINERS="$CONTAINERS $2"
    case $RUNTIME in
        runc) (cd "$1" && timeout 60 runc run "$2" >"$WORK/out" 2>"$WORK/err") && return 0 ;;
        crun) (cd "$1" && timeout 60 unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run "$1"' sh "$2" \
                  >"$WORK/out" 2>"$WORK/err") && return 0 ;;
        *) fail "unknown RUNTIME $RUNTIME" ;;
    esac
    rc=$?
    echo "--- $RUNTIME stderr:"; cat "$WORK/err"
    echo "--- hook log:"; cat "$WORK/hook.log" 2>/dev/null || true
    return $rc
}
