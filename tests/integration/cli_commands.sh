#!/bin/sh
# xarch install / uninstall / reset / status against a real binfmt_misc (see cli_lib.sh for the
# isolation). Usage: cli_commands.sh CASE, CASE one of the case_* functions below.
. "$(dirname "$0")/cli_lib.sh"

prepare_bundle() { make_bundle arm64 "$WORK/bundle"; }

# After `install arm64` an arm64 busybox runs; after `uninstall` it fails with exec format
# error; `status --json` reflects both; install is idempotent.
prepare_install() { prepare_bundle; }
case_install() {
    bb=$WORK/bundle/rootfs/bin/busybox
    expect "arm64 before install" "$(run_prog "$bb" uname -m || true)" "ERRNO:ENOEXEC"
    expect "status: arm64 runs before install" "$(platform_field linux/arm64 runs)" "False"
    expect "status: arm64 error before install" "$(platform_field linux/arm64 error)" "exec format error"

    expect_rc "install arm64" 0 x install arm64
    contains "install arm64" "$WORK/out" "mode auto: registration (F flag"
    # argv[0] is kept by default through Debian's -binfmt-P name, as in Debian's own entries.
    contains "install arm64" "$WORK/out" "registered 'qemu-aarch64' for linux/arm64: /usr/libexec/qemu-binfmt/aarch64-binfmt-P, flags POF"
    expect "uname -m after install" "$(run_prog "$bb" uname -m)" "aarch64"
    expect "status: arm64 runs" "$(platform_field linux/arm64 runs)" "True"
    expect "status: arm64 entry" "$(platform_field linux/arm64 entry)" "qemu-aarch64"
    expect "status: entry flags" "$(entry_field qemu-aarch64 flags)" "POF"
    expect "busybox applet by argv[0]" "$(ARGV0=uname run_prog "$bb")" "Linux"
    expect "status: entry platform" "$(entry_field qemu-aarch64 platform)" "linux/arm64"
    expect "status: no warnings" "$(entry_field qemu-aarch64 warnings)" "[]"
    # The rootfs needs no emulator: the F flag opened it at registration.
    expect "chroot after install" "$(CHROOT=$WORK/bundle/rootfs run_prog /bin/busybox uname -m)" "aarch64"

    expect_rc "install arm64 again" 0 x install aarch64
    contains "install again" "$WORK/out" "'qemu-aarch64' for linux/arm64 is already registered as requested"
    expect "entries after install again" "$(entry_names)" "qemu-aarch64 "

    expect_rc "uninstall arm64" 0 x uninstall linux/arm64
    contains "uninstall" "$WORK/out" "removed 'qemu-aarch64'"
    expect "arm64 after uninstall" "$(run_prog "$bb" uname -m || true)" "ERRNO:ENOEXEC"
    expect "status: arm64 after uninstall" "$(platform_field linux/arm64 runs)" "False"
    expect "status: arm64 error after uninstall" "$(platform_field linux/arm64 error)" "exec format error"
    expect "status: entries after uninstall" "$(x status --json | json 'len(d["entries"])')" "0"

    expect_rc "uninstall arm64 again" 0 x uninstall arm64
    contains "uninstall again" "$WORK/out" "nothing is registered for linux/arm64"
}

# install all: every foreign platform with an emulator, each proven by its probe.
case_install_all() {
    expect_rc "install all" 0 x install all
    x status --json > "$WORK/status.json"
    host=$(json 'd["host"]["platform"]' < "$WORK/status.json")
    failing=$(json '" ".join(p["platform"] for p in d["platforms"] if not p["runs"])' < "$WORK/status.json")
    expect "platforms that do not run after install all" "$failing" ""
    # F entries: BuildKit in a container can build for every one of them.
    expect "platforms not runnable in an empty root after install all" \
        "$(json '" ".join(p["platform"] for p in d["platforms"] if not p["empty_root"])' < "$WORK/status.json")" ""
    expect "no entry for the host" "$(json "[e['name'] for e in d['entries'] if e['platform'] == '$host']" < "$WORK/status.json")" "[]"
    expect_rc "uninstall all" 0 x uninstall all
    expect "entries after uninstall all" "$(entry_names)" ""
    # Nothing to install with (no emulators anywhere): all is skipped, which is no success.
    mkdir -p "$WORK/none"
    echo "{\"emulator_dirs\": [\"$WORK/none\"]}" > "$WORK/none.json"
    expect_rc "install all without emulators" 1 "$XARCH_CLI" --config "$WORK/none.json" install all
    contains "install all without emulators" "$WORK/err" "nothing was installed"
}

# Registration (F) against execution-time mode (no F): the interpreter is needed in the rootfs.
prepare_modes() { prepare_bundle; }
case_modes() {
    bb=$WORK/bundle/rootfs/bin/busybox
    expect_rc "install --mode execution" 0 x install arm64 --mode execution --no-preserve-argv0
    expect "flags in execution mode" "$(entry_field qemu-aarch64 flags)" ""
    expect "interpreter" "$(entry_field qemu-aarch64 interpreter)" "/usr/bin/qemu-aarch64-static"
    x status --json > "$WORK/status.json"
    expect "without F: arm64 runs, but not in an empty root (BuildKit in a container)" \
        "$(json '[(p["runs"], p["empty_root"]) for p in d["platforms"] if p["platform"] == "linux/arm64"]' < "$WORK/status.json")" \
        "[(True, False)]"
    x status > "$WORK/status.txt"
    contains "status names what a BuildKit container can build" "$WORK/status.txt" "BuildKit in a container"
    expect "runs on the host" "$(run_prog "$bb" uname -m)" "aarch64"
    expect "chroot without the emulator" "$(CHROOT=$WORK/bundle/rootfs run_prog /bin/busybox uname -m || true)" "ERRNO:ENOENT"
    mkdir -p "$WORK/bundle/rootfs/usr/bin"
    cp /usr/bin/qemu-aarch64-static "$WORK/bundle/rootfs/usr/bin/"
    expect "chroot with the emulator inside" "$(CHROOT=$WORK/bundle/rootfs run_prog /bin/busybox uname -m)" "aarch64"
    rm "$WORK/bundle/rootfs/usr/bin/qemu-aarch64-static"

    expect_rc "install --mode registration without --replace" 0 x install arm64 --mode registration --no-preserve-argv0
    contains "kept" "$WORK/out" "add --replace"
    expect "flags kept" "$(entry_field qemu-aarch64 flags)" ""
    expect_rc "install --mode registration --replace" 0 x install arm64 --mode registration --replace --no-preserve-argv0
    expect "flags in registration mode" "$(entry_field qemu-aarch64 flags)" "F"
    expect "chroot in registration mode" "$(CHROOT=$WORK/bundle/rootfs run_prog /bin/busybox uname -m)" "aarch64"
    expect_rc "bad mode" 2 x install arm64 --mode sometimes
}

# Existing entries (Debian's layout, another name for the same platform) are kept unless --replace.
case_replace() {
    debian=":qemu-aarch64:M::$ARM64_MAGIC:$ARM64_MASK:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OP"
    register "$debian"
    register ":other-arm64:M::$ARM64_MAGIC:$ARM64_MASK:/usr/bin/qemu-aarch64-static:"
    expect_rc "install over existing" 0 x install arm64
    contains "install over existing" "$WORK/out" "left 'other-arm64'"
    contains "install over existing" "$WORK/out" "add --replace"
    expect "entries kept" "$(entry_names)" "other-arm64 qemu-aarch64 "
    expect "flags kept" "$(entry_field qemu-aarch64 flags)" "PO"
    x status --json | json '[w["code"] for e in d["entries"] for w in e["warnings"]]' > "$WORK/codes"
    contains "shadowed warning" "$WORK/codes" "shadowed"
    expect_rc "install --replace" 0 x install arm64 --replace --no-preserve-argv0
    contains "replace" "$WORK/out" "removed 'other-arm64'"
    contains "replace" "$WORK/out" "removed 'qemu-aarch64'"
    expect "entries after replace" "$(entry_names)" "qemu-aarch64 "
    expect "flags after replace" "$(entry_field qemu-aarch64 flags)" "F"
    expect "interpreter after replace" "$(entry_field qemu-aarch64 interpreter)" "/usr/bin/qemu-aarch64-static"
}

# --credential (C, implies O) and --preserve-argv0 (P: busybox sees its applet name).
prepare_flags() { prepare_bundle; }
case_flags() {
    bb=$WORK/bundle/rootfs/bin/busybox
    expect_rc "install --credential" 0 x install arm64 --credential --no-preserve-argv0
    contains "credential warning" "$WORK/err" "flag C"
    expect "flags with --credential" "$(entry_field qemu-aarch64 flags | fold -w1 | sort | tr -d '\n')" "CFO"
    x status --json | json '[w["code"] for e in d["entries"] for w in e["warnings"]]' > "$WORK/codes"
    contains "credential warning in status" "$WORK/codes" "credential"
    # Without P, qemu gives the program its path as argv[0]: busybox does not know "uname" was asked for.
    expect "argv0 without P" "$(ARGV0=uname run_prog "$bb" | head -c 7)" "BusyBox"
    expect_rc "install --preserve-argv0" 0 x install arm64 --preserve-argv0 --replace
    expect "flags with --preserve-argv0" "$(entry_field qemu-aarch64 flags)" "POF"
    expect "argv0 with P" "$(ARGV0=uname run_prog "$bb")" "Linux"
}

# reset removes every qemu entry and nothing else; uninstall takes entry names.
case_reset() {
    x install arm64 >/dev/null
    register ":qemu-s390x:M::\x7fELF\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x16:\xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff:/usr/libexec/qemu-binfmt/s390x-binfmt-P:OP"
    register ":xarch-test-ext:E::xarchtest::/bin/true:"
    expect_rc "reset" 0 x reset
    contains "reset" "$WORK/out" "removed 'qemu-aarch64'"
    contains "reset" "$WORK/out" "removed 'qemu-s390x'"
    expect "entries after reset" "$(entry_names)" "xarch-test-ext "
    expect_rc "uninstall unknown entry" 2 x uninstall no-such-entry
    contains "unknown entry" "$WORK/err" "uninstall 'no-such-entry': no such platform or binfmt_misc entry"
    expect_rc "uninstall by entry name" 0 x uninstall xarch-test-ext
    expect "entries after uninstall by name" "$(entry_names)" ""
    expect_rc "reset with nothing" 0 x reset
    contains "reset with nothing" "$WORK/out" "no qemu entries are registered"
}

# --persist writes a binfmt.d file systemd-binfmt can apply; uninstall removes it; foreign files stay.
case_persist() {
    expect_rc "install --persist" 0 x install arm64 --persist
    file=$PERSIST/qemu-aarch64.conf
    [ -f "$file" ] || fail "no $file"
    expect "marker" "$(head -n1 "$file" | cut -c1-18)" "# Written by xarch"
    # What systemd-binfmt does at boot: every non-comment line to register.
    line=$(grep -v '^#' "$file")
    x uninstall qemu-aarch64 >/dev/null
    [ ! -e "$file" ] || fail "uninstall left $file"
    register "$line"
    expect "flags from the binfmt.d line" "$(entry_field qemu-aarch64 flags)" "POF"
    expect_rc "install --persist over an identical entry" 0 x install arm64 --persist
    [ -f "$file" ] || fail "no $file after persisting an existing entry"
    expect_rc "uninstall" 0 x uninstall arm64
    [ ! -e "$file" ] || fail "uninstall left $file"
    if [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ]; then
        contains "boot note" "$WORK/out" "/usr/lib/binfmt.d/qemu-aarch64.conf registers it again at boot"
        x install arm64 >/dev/null
        expect_rc "uninstall --persist" 0 x uninstall arm64 --persist
        expect "mask" "$(readlink "$PERSIST/qemu-aarch64.conf")" "/dev/null"
        expect_rc "install --persist over a mask" 0 x install arm64 --persist
        contains "marker after mask" "$file" "# Written by xarch"
        x uninstall arm64 >/dev/null
    fi
    # Someone else's file is never overwritten, and nothing is registered then.
    echo ":qemu-aarch64:M::x::/bin/true:" > "$file"
    expect_rc "install --persist over a foreign file" 1 x install arm64 --persist
    contains "foreign file" "$WORK/err" "was not written by xarch"
    expect "entries after refused persist" "$(entry_names)" ""
    expect "foreign file untouched" "$(cat "$file")" ":qemu-aarch64:M::x::/bin/true:"
    rm "$file"
    if [ "$ISOLATION" = userns ]; then
        # A persist failure after registering undoes the registrations (a read-only directory
        # passes every check made before anything changes).
        mkdir -p "$WORK/ro"
        mount --bind "$WORK/ro" "$WORK/ro"
        mount -o remount,bind,ro "$WORK/ro"
        expect_rc "install --persist into a read-only directory" 1 "$XARCH_CLI" install arm64 s390x --persist --persist-dir "$WORK/ro"
        contains "rollback" "$WORK/err" "every change made so far was undone"
        expect "entries after rollback" "$(entry_names)" ""
    fi
}

# Bad names, unknown options, the host's own platform, missing emulators, no permission,
# read-only binfmt_misc: one clear message, the documented exit code, nothing registered.
case_errors() {
    expect_rc "unknown platform" 2 x install arm64 sparc9
    contains "unknown platform" "$WORK/err" "unknown platform 'sparc9'"
    expect "entries after unknown platform" "$(entry_names)" ""
    expect_rc "unknown option" 2 x install arm64 --force
    expect_rc "unknown command" 2 x instal arm64
    expect_rc "no platform" 2 x install
    expect_rc "all with names" 2 x install all arm64
    host=$(x detect /bin/sh | cut -d/ -f2-)
    expect_rc "host platform" 1 x install "$host" arm64
    contains "host platform" "$WORK/err" "runs it natively"
    expect "entries after host platform" "$(entry_names)" ""
    mkdir -p "$WORK/empty"
    echo "{\"emulator_dirs\": [\"$WORK/empty\"]}" > "$WORK/config.json"
    expect_rc "no emulator" 1 "$XARCH_CLI" --config "$WORK/config.json" install arm64
    contains "no emulator" "$WORK/err" "no usable static emulator qemu-aarch64-static in $WORK/empty"
    contains "no emulator" "$WORK/err" "apt-get install qemu-user-static"
    expect "entries after no emulator" "$(entry_names)" ""
    if [ "$ISOLATION" = userns ]; then
        # An unmapped user in a nested namespace is not root.
        expect_rc "not root" 4 unshare --user "$XARCH_CLI" install arm64
        contains "not root" "$WORK/err" "needs root"
        mount -o remount,ro $BINFMT
        expect_rc "read-only binfmt_misc" 4 x install arm64
        contains "read-only" "$WORK/err" "is not writable"
        expect_rc "read-only uninstall" 4 x uninstall arm64
        mount -o remount,rw $BINFMT
        expect "entries after read-only" "$(entry_names)" ""
    fi
}

# Status warnings: missing, writable and dynamic interpreters, C flag, the host's own platform.
case_status_warnings() {
    cp /usr/bin/qemu-s390x-static "$WORK/qemu-s390x"
    chmod 0777 "$WORK/qemu-s390x"
    cp /bin/true "$WORK/dynamic-qemu"
    register ":w-s390x:M::\x7fELF\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x16:\xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff:$WORK/qemu-s390x:"
    register ":d-arm64:M::$ARM64_MAGIC:$ARM64_MASK:$WORK/dynamic-qemu:F"
    register ":m-arm64:M::$ARM64_MAGIC:$ARM64_MASK:/nonexistent/qemu-aarch64:C"
    x status --json > "$WORK/status.json"
    codes() { json "' '.join(w['code'] for e in d['entries'] if e['name'] == '$1' for w in e['warnings'])" < "$WORK/status.json"; }
    expect "writable" "$(codes w-s390x)" "interpreter-writable"
    expect "missing" "$(codes m-arm64)" "credential interpreter-missing"
    expect "dynamic" "$(codes d-arm64)" "interpreter-dynamic shadowed"
    expect "s390x runs" "$(json "[p['runs'] for p in d['platforms'] if p['platform'] == 'linux/s390x'][0]" < "$WORK/status.json")" "True"
    expect "arm64 error" "$(json "[p['error'] for p in d['platforms'] if p['platform'] == 'linux/arm64'][0]" < "$WORK/status.json")" "no such file or directory"
    x status > "$WORK/status.txt"
    contains "text warning" "$WORK/status.txt" "warning: interpreter-writable"
    if [ "$ISOLATION" = userns ]; then
        # Claiming the host's own programs (disabled at once: only this namespace would suffer).
        case $(uname -m) in
            x86_64) host_magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00' ;;
            aarch64) host_magic=$ARM64_MAGIC ;;
            *) return 0 ;;
        esac
        printf '%s' ":host-claim:M::$host_magic:$ARM64_MASK:/bin/true:" > $BINFMT/register && echo 0 > $BINFMT/host-claim
        x status --json > "$WORK/status.json"
        contains "host-platform" "$WORK/status.json" "host-platform"
    fi
}

# Entry order: the kernel searches newest first, but hands out inode numbers in per-CPU batches.
# An older broken entry registered from one CPU and a newer working one from the other: whatever
# the inode numbers say, the kernel runs arm64 programs through the newer one, and status, doctor
# and the hook's view (doctor's "hook" line) must say so.
prepare_order() { make_bundle arm64 "$WORK/bundle"; }
case_order() {
    [ "$(nproc)" -ge 2 ] || skip "needs two CPUs to register with inode numbers out of order"
    command -v taskset >/dev/null || skip "needs taskset"
    # Each CPU takes inode numbers from its own batch, so one of the two orders gives the newer
    # entry the smaller number; other activity on the machine can refill batches in between,
    # so pairs are tried until one came out inverted (each pair is checked either way).
    inverted=0 tries=0
    while [ "$inverted" = 0 ] && [ "$tries" -lt 20 ]; do
        tries=$((tries + 1))
        for cpus in "1 0" "0 1"; do
            set -- $cpus
            echo -1 > $BINFMT/status 2>/dev/null || true
            taskset -c "$1" sh -c "printf '%s' ':old-broken:M::$ARM64_MAGIC:$ARM64_MASK:/nonexistent/qemu-aarch64:' > $BINFMT/register"
            taskset -c "$2" sh -c "printf '%s' ':new-good:M::$ARM64_MAGIC:$ARM64_MASK:/usr/bin/qemu-aarch64-static:F' > $BINFMT/register"
            old=$(stat -c %i $BINFMT/old-broken) new=$(stat -c %i $BINFMT/new-good)
            [ "$old" -gt "$new" ] && inverted=1
            echo "registered old-broken (inode $old, CPU $1), then new-good (inode $new, CPU $2)"
            "$WORK/bundle/rootfs/bin/busybox" true || fail "the kernel did not run arm64 code through new-good"
            x status --json > "$WORK/status.json"
            expect "status: arm64 entry" "$(json "[p['entry'] for p in d['platforms'] if p['platform'] == 'linux/arm64'][0]" < "$WORK/status.json")" "new-good"
            expect "status: arm64 runs" "$(json "[p['runs'] for p in d['platforms'] if p['platform'] == 'linux/arm64'][0]" < "$WORK/status.json")" "True"
            expect "status: old-broken shadowed" "$(json "'shadowed' in [w['code'] for e in d['entries'] if e['name'] == 'old-broken' for w in e['warnings']]" < "$WORK/status.json")" "True"
            expect "status: new-good not shadowed" "$(json "'shadowed' in [w['code'] for e in d['entries'] if e['name'] == 'new-good' for w in e['warnings']]" < "$WORK/status.json")" "False"
            expect_rc "doctor" 0 x doctor "$WORK/bundle"
            contains "doctor: covered" "$WORK/out" "new-good"
            contains "doctor: the hook" "$WORK/out" "covered"
        done
    done
    # The machine gave at least one pair its inode numbers against registration order.
    expect "inode numbers out of registration order at least once" "$inverted" "1"
}

# An entry whose interpreter is some program that exits 0 (/bin/ls, handed the probe's path) is
# not a working emulator: only the probe's own exit status proves that the probe ran.
case_impostor() {
    register ":ls-arm64:M::$ARM64_MAGIC:$ARM64_MASK:/bin/ls:"
    x status --json > "$WORK/status.json"
    expect "arm64 runs" "$(json "[p['runs'] for p in d['platforms'] if p['platform'] == 'linux/arm64'][0]" < "$WORK/status.json")" "False"
    expect "arm64 error" "$(json "[p['error'] for p in d['platforms'] if p['platform'] == 'linux/arm64'][0]" < "$WORK/status.json")" \
        "exit status 0 instead of the probe's 42: the program that ran was not linux/arm64 code"
}

# An entry that is kept but does not work (its interpreter is gone): install says so, names the
# fix and fails; with --replace it works.
case_verify() {
    register ":qemu-aarch64:M::$ARM64_MAGIC:$ARM64_MASK:/nonexistent/qemu-aarch64:"
    expect_rc "install over a broken entry" 1 x install arm64
    contains "still does not run" "$WORK/err" "linux/arm64 still does not run (no such file or directory)"
    contains "the fix" "$WORK/err" "xarch install arm64 --replace"
    expect_rc "install --replace" 0 x install arm64 --replace
}

# An entry named like xarch's but claiming another platform (qemu-s390x with riscv64's magic)
# does not serve s390x: install says what it claims, fails, and --replace puts the right one there.
case_samename() {
    register ":qemu-s390x:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-riscv64-static:F"
    expect_rc "install s390x over a riscv64 qemu-s390x" 1 x install s390x
    contains "what it claims" "$WORK/out" "it claims linux/riscv64 programs, not linux/s390x"
    contains "the fix" "$WORK/err" "xarch install s390x --replace"
    expect_rc "install --replace" 0 x install s390x --replace
    expect "s390x runs" "$(x status --json | json "[p['runs'] for p in d['platforms'] if p['platform'] == 'linux/s390x'][0]")" "True"
}

# A binfmt_misc mount covered by a later /proc (unshare --mount-proc): mountinfo still lists it,
# but its path shows the new /proc. status treats binfmt_misc as not mounted instead of failing;
# install mounts one (the same instance here) and registers; uninstall, also under a covered
# mount, mounts one too and removes the entry (entries are the kernel's, not the mount's).
case_covered() {
    PERSIST=$PERSIST unshare --pid --fork --mount-proc sh -c '
        set -e
        grep -q " - binfmt_misc " /proc/self/mountinfo || { echo "no covered binfmt_misc mount listed"; exit 1; }
        "$XARCH_CLI" status --json > "$WORK/status.json"
        "$XARCH_CLI" install arm64 > "$WORK/out" 2> "$WORK/err" || { cat "$WORK/err"; exit 1; }
        "$XARCH_CLI" status --json > "$WORK/status2.json"
    ' || fail "status or install under a covered binfmt_misc mount failed"
    expect "covered: mounted" "$(json "d['binfmt_misc']['mounted']" < "$WORK/status.json")" "False"
    expect "after install: arm64 runs" "$(json "[p['runs'] for p in d['platforms'] if p['platform'] == 'linux/arm64'][0]" < "$WORK/status2.json")" "True"
    PERSIST=$PERSIST unshare --pid --fork --mount-proc sh -c '
        "$XARCH_CLI" uninstall arm64 > "$WORK/out" 2> "$WORK/err" || { cat "$WORK/err"; exit 1; }
    ' || fail "uninstall under a covered binfmt_misc mount failed"
    contains "uninstall under a covered mount" "$WORK/out" "mounted binfmt_misc at"
    contains "uninstall under a covered mount" "$WORK/out" "removed 'qemu-aarch64'"
    expect "entries after uninstall under a covered mount" "$(entry_names)" ""
}

# Names as users of the replaced tools type them: comma lists, any case, globs for entries.
case_lists() {
    expect_rc "install a comma list in mixed case" 0 x install ARM64,s390X
    expect "entries after the list" "$(entry_names)" "qemu-aarch64 qemu-s390x "
    expect_rc "uninstall by glob" 0 x uninstall 'qemu-*'
    expect "entries after the glob" "$(entry_names)" ""
    expect_rc "a glob that matches nothing" 0 x uninstall 'nothing-*'
    contains "glob note" "$WORK/out" "no binfmt_misc entry matches 'nothing-*'"
}

# install --persist through binfmt-support: Debian's own update-binfmts (2.2.2, unpacked from its
# .deb, never installed: its postinst would register every qemu format host-wide) with its
# database in the test's directory; its --procdir default is this namespace's binfmt_misc.
prepare_binfmt_support() {
    prepare_bundle
    deb=$("$(dirname "$0")/../../scripts/fetch-debs.sh" --cache "${XARCH_BUNDLE_CACHE:-$WORK/cache}" \
          "$(dpkg --print-architecture)" binfmt-support | tail -n 1) \
        || skip "cannot fetch binfmt-support's .deb (Debian archive unreachable?)"
    dpkg-deb -x "$deb" "$WORK/binfmt-support"
}
case_binfmt_support() {
    ub=$WORK/binfmt-support/usr/sbin/update-binfmts
    "$ub" --version >/dev/null 2>&1 || fail "Debian's update-binfmts does not run here: $("$ub" --version 2>&1 | head -n 1)"
    admin=$WORK/binfmts
    mkdir -p "$admin" "$WORK/import"
    ub_() { "$ub" --admindir "$admin" --importdir "$WORK/import" "$@"; }
    bs() { "$XARCH_CLI" "$@" --update-binfmts "$ub" --binfmts-admindir "$admin"; }
    records=/run/xarch/registrations

    expect_rc "install --persist-with binfmt-support" 0 bs install arm64 --persist --persist-with binfmt-support
    contains "update-binfmts run" "$WORK/out" "binfmt-support enables 'qemu-aarch64' at boot: ran $ub --package xarch --admindir $admin --install qemu-aarch64"
    expect "database entry's package" "$(head -n 1 "$admin/qemu-aarch64")" xarch
    expect "no binfmt.d file" "$(ls -A "$PERSIST")" ""
    flags=$(entry_field qemu-aarch64 flags)
    case $flags in *O*) fail "flags $flags: binfmt-support registers no O at boot, so xarch must not now" ;; esac
    # (not cmp -s: GNU cmp takes binfmt_misc's size 0 for a difference without reading)
    expect "the record's inode line" "$(head -n 1 "$records/qemu-aarch64")" "inode $(stat -c %i $BINFMT/qemu-aarch64)"
    [ "$(sed 1d "$records/qemu-aarch64")" = "$(cat $BINFMT/qemu-aarch64)" ] || fail "the record is not the kernel's view of the entry"
    # What binfmt-support's service does at boot, on a kernel without the entry: the same entry.
    cp $BINFMT/qemu-aarch64 "$WORK/registered"
    echo -1 > $BINFMT/qemu-aarch64
    ub_ --enable > "$WORK/enable.log" 2>&1 || { cat "$WORK/enable.log"; fail "update-binfmts --enable failed"; }
    [ "$(cat "$WORK/registered")" = "$(cat $BINFMT/qemu-aarch64)" ] || fail "binfmt-support registers another entry at boot: $(cat $BINFMT/qemu-aarch64)"
    expect "arm64 busybox after boot" "$(run_prog "$WORK/bundle/rootfs/bin/busybox" uname -m)" aarch64
    expect_rc "install --persist again" 0 bs install arm64 --persist --persist-with binfmt-support

    expect_rc "uninstall" 0 bs uninstall arm64 --persist-dir "$PERSIST"
    contains "database entry removed" "$WORK/out" "removed binfmt-support's entry 'qemu-aarch64' (package xarch)"
    [ ! -e "$admin/qemu-aarch64" ] || fail "uninstall left $admin/qemu-aarch64"
    [ ! -e "$records/qemu-aarch64" ] || fail "uninstall left the record of qemu-aarch64"
    expect "entries after uninstall" "$(entry_names)" ""

    # Another package's entry (Debian's qemu-user-static) is never replaced, nor removed.
    ub_ --package qemu-user-static --install qemu-aarch64 /usr/bin/qemu-aarch64-static \
        --magic "$ARM64_MAGIC" --mask "$ARM64_MASK" --fix-binary yes >/dev/null 2>&1 || fail "update-binfmts --install failed"
    echo -1 > $BINFMT/qemu-aarch64
    expect_rc "install --persist over another package's entry" 1 bs install arm64 --persist --persist-with binfmt-support
    contains "refused" "$WORK/err" "from package qemu-user-static"
    contains "the command" "$WORK/err" "update-binfmts --package qemu-user-static --remove qemu-aarch64 /usr/bin/qemu-aarch64-static"
    expect "entries after refused persist" "$(entry_names)" ""
    x install arm64 >/dev/null
    expect_rc "uninstall with another package's entry" 0 bs uninstall arm64 --persist-dir "$PERSIST"
    contains "boot note" "$WORK/out" "binfmt-support registers 'qemu-aarch64' again at boot"
    expect "other package's entry stays" "$(head -n 1 "$admin/qemu-aarch64")" qemu-user-static

    expect_rc "binfmt-support with --persist-dir" 2 bs install arm64 --persist --persist-with binfmt-support --persist-dir "$PERSIST"
    expect_rc "--persist-with without --persist" 2 bs install arm64 --persist-with binfmt-support
}

# A restart of systemd-binfmt (Debian's own program, run as systemd runs it: every entry removed,
# then what the binfmt.d files name registered) keeps what `install` registered until reboot,
# through xarch's /run/binfmt.d/xarch-qemu-aarch64.conf; `uninstall` takes that file away with
# the entry. Debian's own aarch64 file is masked (as `uninstall --persist` leaves it), so only
# xarch's file can bring the entry back. Then the package's postrm, on purge, removes the entry
# that file registered again (a new one, reading as xarch's) and leaves Debian's entries as the
# restart made them. /run is the test's own, so "systemd booted the machine" is made by a
# /run/systemd/system of its own.
prepare_systemd_binfmt() { prepare_bundle; }
case_systemd_binfmt() {
    [ "$ISOLATION" = userns ] || skip "systemd-binfmt would replace the machine's own entries"
    sb=/usr/lib/systemd/systemd-binfmt
    [ -x $sb ] || skip "$sb is not installed (apt-get install systemd)"
    bb=$WORK/bundle/rootfs/bin/busybox
    runtime=/run/binfmt.d/xarch-qemu-aarch64.conf
    if [ -d /var/lib/binfmts ]; then mkdir -p "$WORK/binfmts"; mount --bind "$WORK/binfmts" /var/lib/binfmts; fi

    # Not booted by systemd: nothing reads /run/binfmt.d, so nothing is written there.
    expect_rc "install arm64 (no systemd)" 0 x install arm64
    [ ! -e /run/binfmt.d ] || fail "install wrote into /run/binfmt.d where systemd did not boot: $(ls /run/binfmt.d)"
    expect_rc "uninstall arm64 (no systemd)" 0 x uninstall arm64

    mkdir -p /run/systemd/system /run/binfmt.d
    ln -s /dev/null /run/binfmt.d/qemu-aarch64.conf
    expect_rc "install arm64" 0 x install arm64
    [ -f $runtime ] || fail "install wrote no $runtime: $(ls -A /run/binfmt.d)"
    contains "runtime file" $runtime "# Written by xarch"
    contains "runtime file" $runtime ":qemu-aarch64:M:0:"
    inode=$(stat -c %i $BINFMT/qemu-aarch64)
    $sb > "$WORK/sb.log" 2>&1 || { cat "$WORK/sb.log"; fail "systemd-binfmt failed"; }
    [ "$(stat -c %i $BINFMT/qemu-aarch64)" != "$inode" ] || fail "systemd-binfmt did not register qemu-aarch64 again"
    expect "after a restart of systemd-binfmt" "$(run_prog "$bb" uname -m)" "aarch64"
    expect "flags after the restart" "$(entry_field qemu-aarch64 flags)" "POF"
    [ -f $BINFMT/qemu-s390x ] || fail "systemd-binfmt registered none of Debian's entries: $(entry_names)"

    # purge: the entry registered again from xarch's file is xarch's; Debian's stay as they are.
    entry_names | tr ' ' '\n' | grep -v -x -e qemu-aarch64 -e '' > "$WORK/expected"
    for e in $(cat "$WORK/expected"); do cat "$BINFMT/$e"; done > "$WORK/expected.text"
    sh "$(dirname "$0")/../../packaging/debian/postrm" purge || fail "postrm purge failed"
    entry_names | tr ' ' '\n' | grep -v -x '' | cmp -s - "$WORK/expected" || fail "entries after purge: $(entry_names)"
    for e in $(cat "$WORK/expected"); do cat "$BINFMT/$e"; done | cmp -s - "$WORK/expected.text" || fail "purge changed Debian's entries"
    [ ! -e $runtime ] && [ ! -e /run/xarch ] || fail "purge left $(ls -A /run/binfmt.d /run/xarch 2>&1 | tr '\n' ' ')"

    # uninstall: the entry and its file go; a restart then registers nothing for aarch64.
    expect_rc "install arm64 again" 0 x install arm64
    $sb > "$WORK/sb.log" 2>&1 || { cat "$WORK/sb.log"; fail "systemd-binfmt failed"; }
    expect_rc "uninstall arm64" 0 x uninstall arm64
    [ ! -e $runtime ] || fail "uninstall left $runtime"
    $sb > "$WORK/sb.log" 2>&1 || { cat "$WORK/sb.log"; fail "systemd-binfmt failed"; }
    expect "after uninstall and a restart" "$(run_prog "$bb" uname -m || true)" "ERRNO:ENOEXEC"
    [ -L /run/binfmt.d/qemu-aarch64.conf ] || fail "the mask of Debian's file is gone"

    # Debian's file not masked: it registers the same entry, so no runtime file; after a restart
    # the entry is Debian's (the same text, a new inode) and purge leaves it (the fault of old:
    # the record matched Debian's entry byte for byte, and purge removed it).
    rm /run/binfmt.d/qemu-aarch64.conf
    expect_rc "uninstall arm64 (Debian's)" 0 x uninstall arm64
    expect_rc "install arm64 (Debian's file unmasked)" 0 x install arm64
    [ ! -e $runtime ] || fail "install wrote $runtime though Debian's file registers the same entry"
    $sb > "$WORK/sb.log" 2>&1 || { cat "$WORK/sb.log"; fail "systemd-binfmt failed"; }
    view=$(cat $BINFMT/qemu-aarch64)
    sh "$(dirname "$0")/../../packaging/debian/postrm" purge || fail "postrm purge failed"
    [ "$(cat $BINFMT/qemu-aarch64 2>/dev/null)" = "$view" ] || fail "purge removed Debian's qemu-aarch64"
    mkdir -p /run/binfmt.d
    ln -s /dev/null /run/binfmt.d/qemu-aarch64.conf

    # --persist: /etc/binfmt.d registers it at boot and at restarts; no runtime file.
    expect_rc "install arm64 --persist" 0 x install arm64 --persist
    [ ! -e $runtime ] || fail "install --persist wrote $runtime as well"
    expect_rc "uninstall arm64 --persist" 0 x uninstall arm64 --persist
}

run_case "$1"
