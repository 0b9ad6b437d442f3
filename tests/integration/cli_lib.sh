# Shared by the xarch CLI integration tests (sourced by cli_*.sh, which then call run_case).
#
# XARCH_CLI_ISOLATION=userns (ctest sets it on Linux >= 6.7): the case runs in a private user
# and mount namespace with its own binfmt_misc instance, so it never sees or changes the
# machine's registrations and needs no lock. The script checks that the instance really is a
# new one before anything is registered, and reports SKIP if that cannot be had.
# XARCH_CLI_ISOLATION=host (older kernels): the case uses the machine's binfmt_misc, serialised
# by ctest's RESOURCE_LOCK binfmt_misc, and the machine's entries are restored on exit, whatever
# happens. Either way /etc/binfmt.d is never written: every install/uninstall/reset gets
# --persist-dir inside the test's work directory (and in a namespace, /etc/binfmt.d is
# bind-mounted over by an empty directory as well). Either way /run, where xarch records the
# registrations it makes, is one of the test's, in a mount namespace of the case's own.
#
# Environment: XARCH_CLI, XARCH_BINFMT_SNAPSHOT, XARCH_MAKE_BUNDLE, XARCH_BUNDLE_CACHE,
# XARCH_CLI_ISOLATION.
set -eu

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

BINFMT=/proc/sys/fs/binfmt_misc
ISOLATION=${XARCH_CLI_ISOLATION:-userns}

# The magic and mask of qemu's aarch64 entry, as binfmt_misc's register file takes them.
ARM64_MAGIC='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
ARM64_MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

# register LINE: one write to binfmt_misc's register file (printf %s: the kernel decodes \x).
register() { printf '%s' "$1" > $BINFMT/register; }

# x COMMAND ARG...: the xarch CLI; commands that may write binfmt.d files get the test's own directory.
x() {
    cmd=$1
    shift
    case $cmd in
        # install takes --persist-dir only with --persist; removals always look there.
        install) case " $* " in
                     *" --persist "*) "$XARCH_CLI" "$cmd" --persist-dir "$PERSIST" "$@" ;;
                     *) "$XARCH_CLI" "$cmd" "$@" ;;
                 esac ;;
        uninstall|reset) "$XARCH_CLI" "$cmd" --persist-dir "$PERSIST" "$@" ;;
        *) "$XARCH_CLI" "$cmd" "$@" ;;
    esac
}

# json EXPR: evaluates a Python expression over the JSON document on stdin (bound to d).
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# platform_field PLATFORM FIELD: one field of `xarch status --json`'s platforms entry.
platform_field() { x status --json | json "[p['$2'] for p in d['platforms'] if p['platform'] == '$1'][0]"; }

# entry_field NAME FIELD: one field of an entry in `xarch status --json`, or None if absent.
entry_field() { x status --json | json "next((e['$2'] for e in d['entries'] if e['name'] == '$1'), None)"; }

# run_prog FILE [ARG...]: runs FILE with argv[0] FILE (or $ARGV0), in chroot $CHROOT if set;
# prints its stdout, or "ERRNO:<name>" when execve itself fails (ENOEXEC, ENOENT, ...).
run_prog() {
    python3 - "$@" <<'PY'
import errno, os, subprocess, sys
path = sys.argv[1]
argv = [os.environ.get("ARGV0", path)] + sys.argv[2:]
root = os.environ.get("CHROOT")
try:
    r = subprocess.run(argv, executable=path, capture_output=True, text=True, timeout=60,
                       preexec_fn=(lambda: os.chroot(root)) if root else None)
    sys.stdout.write(r.stdout)
    sys.exit(r.returncode)
except OSError as e:
    print("ERRNO:" + errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(126)
PY
}

# expect WHAT ACTUAL EXPECTED
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }

# expect_rc WHAT EXPECTED COMMAND...: runs COMMAND (output to $WORK/out, $WORK/err) and checks its exit code.
expect_rc() {
    what=$1 want=$2
    shift 2
    rc=0
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    if [ "$rc" != "$want" ]; then
        echo "--- stdout:"; cat "$WORK/out"; echo "--- stderr:"; cat "$WORK/err"
        fail "$what: exit code $rc, expected $want"
    fi
}

# contains WHAT FILE TEXT
contains() { grep -qF -- "$3" "$2" || { cat "$2"; fail "$1: '$3' not in output"; }; }

entry_names() { ls $BINFMT | grep -v -e '^register$' -e '^status$' | sort | tr '\n' ' '; }

# make_bundle ARCH DIR: a busybox bundle (rootfs/bin/busybox) from Debian's busybox-static.
make_bundle() {
    "$XARCH_MAKE_BUNDLE" --cache "${XARCH_BUNDLE_CACHE:-$WORK/cache}" "$1" "$2" >/dev/null \
        || skip "cannot build a $1 busybox bundle (Debian archive unreachable?)"
}

# run_case CASE: sets up the isolation and calls the shell function case_CASE inside it.
run_case() {
    if [ -n "${XARCH_CLI_INNER:-}" ]; then
        inner_setup
        "case_$1"
        echo "PASS: $1"
        return 0
    fi
    [ "$(id -u)" = 0 ] || skip "needs root (binfmt_misc, root-owned emulators)"
    for v in XARCH_CLI XARCH_MAKE_BUNDLE; do
        eval "[ -n \"\${$v:-}\" ]" || fail "$v is not set; run through ctest"
    done
    command -v python3 >/dev/null || skip "needs python3"
    WORK=$(mktemp -d /tmp/xarch-cli-test.XXXXXX)
    export WORK
    trap 'outer_exit' EXIT
    trap 'exit 130' INT TERM
    if type "prepare_$1" >/dev/null 2>&1; then "prepare_$1"; fi
    case $ISOLATION in
        userns)
            XARCH_CLI_INNER=1 unshare --user --map-root-user --mount --propagation private sh "$0" "$@"
            ;;
        host)
            [ -n "${XARCH_BINFMT_SNAPSHOT:-}" ] || fail "XARCH_BINFMT_SNAPSHOT is not set; run through ctest"
            "$XARCH_BINFMT_SNAPSHOT" save "$WORK/binfmt.json"
            SAVED=1
            "$XARCH_BINFMT_SNAPSHOT" clear
            XARCH_CLI_INNER=1 unshare --mount --propagation private sh "$0" "$@"
            ;;
        *) fail "unknown XARCH_CLI_ISOLATION '$ISOLATION'" ;;
    esac
}

outer_exit() {
    rc=$?
    if [ -n "${SAVED:-}" ]; then
        "$XARCH_BINFMT_SNAPSHOT" restore "$WORK/binfmt.json" || { echo "FAIL: could not restore binfmt_misc" >&2; rc=1; }
    fi
    rm -rf "$WORK"
    exit $rc
}

inner_setup() {
    PERSIST=$WORK/binfmt.d
    mkdir -p "$PERSIST"
    if [ "$ISOLATION" = userns ]; then
        # What this namespace's copy of the mount table shows there now: while that copy holds
        # it, the machine's instance keeps its device number, so a new instance cannot get it
        # (measured outside, a test unmounting the machine's meanwhile could free it for reuse).
        host_dev=$(stat -c %d $BINFMT 2>/dev/null || echo none)
        mount -t binfmt_misc binfmt_misc $BINFMT 2>"$WORK/mount.err" \
            || skip "cannot mount a private binfmt_misc in a user namespace (Linux >= 6.7 needed): $(cat "$WORK/mount.err")"
        [ "$(stat -f -c %T $BINFMT)" = binfmt_misc ] || fail "no binfmt_misc at $BINFMT after mounting"
        # Never go on with the machine's instance: registrations there are global.
        [ "$(stat -c %d $BINFMT)" != "$host_dev" ] || fail "binfmt_misc in the namespace is the machine's instance"
        [ -z "$(entry_names)" ] || fail "a new binfmt_misc instance has entries: $(entry_names)"
        if [ -d /etc/binfmt.d ]; then
            mkdir -p "$WORK/etc-binfmt.d"
            mount --bind "$WORK/etc-binfmt.d" /etc/binfmt.d
        fi
    fi
    # xarch records the registrations it makes in /run/xarch: the test's own /run.
    mkdir -p "$WORK/run"
    mount --bind "$WORK/run" /run
}
