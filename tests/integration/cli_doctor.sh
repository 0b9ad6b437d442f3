#!/bin/sh
# xarch doctor and detect on an arm64 busybox rootfs, bundle and program, in each binfmt_misc
# state the issue names; every verdict is checked against what exec really does in a chroot of
# the rootfs (see cli_lib.sh for the isolation). Usage: cli_doctor.sh CASE.
. "$(dirname "$0")/cli_lib.sh"

prepare_states() { make_bundle arm64 "$WORK/bundle"; }
prepare_detect() { make_bundle arm64 "$WORK/bundle"; }

# doctor_state EXPECTED_STATE EXPECTED_RC EXPECTED_EXEC: checks doctor's text and JSON, then
# that exec in a chroot of the rootfs really does what doctor said.
doctor_state() {
    rootfs=$WORK/bundle/rootfs
    expect_rc "doctor ($1)" "$2" x doctor "$rootfs"
    cp "$WORK/out" "$WORK/doctor.txt"
    contains "doctor text ($1)" "$WORK/doctor.txt" "state        $1"
    contains "doctor text ($1)" "$WORK/doctor.txt" "image        linux/arm64, from ELF /bin/sh"
    x doctor --json "$rootfs" > "$WORK/doctor.json" || true
    expect "doctor json state" "$(json 'd["state"]' < "$WORK/doctor.json")" "$1"
    expect "doctor json platform" "$(json 'd["image"]["platform"]' < "$WORK/doctor.json")" "linux/arm64"
    actual=$(CHROOT=$rootfs run_prog /bin/busybox true && echo runs || true)
    expect "exec in the rootfs ($1)" "$actual" "$3"
    case $3 in
        runs) expect "json runs" "$(json 'd["runs"]' < "$WORK/doctor.json")" "True" ;;
        ERRNO:ENOEXEC) expect "json error" "$(json 'd["error"]' < "$WORK/doctor.json")" "exec format error" ;;
        ERRNO:ENOENT) expect "json error" "$(json 'd["error"]' < "$WORK/doctor.json")" "no such file or directory" ;;
    esac
}

# The five states of an arm64 rootfs from the issue: no handler, handler disabled, handler
# without F and interpreter absent in the rootfs, dynamic interpreter, covered by F.
case_states() {
    doctor_state no-handler 3 ERRNO:ENOEXEC
    contains "fix" "$WORK/doctor.txt" "fix          xarch install arm64"
    contains "hook" "$WORK/doctor.txt" "xarch-hook registers 'qemu-aarch64'"

    x install arm64 >/dev/null
    echo 0 > $BINFMT/qemu-aarch64
    doctor_state handler-disabled 3 ERRNO:ENOEXEC
    contains "fix" "$WORK/doctor.txt" "fix          echo 1 > $BINFMT/qemu-aarch64"
    x uninstall arm64 >/dev/null

    x install arm64 --mode execution --no-preserve-argv0 >/dev/null
    doctor_state interpreter-missing 3 ERRNO:ENOENT
    contains "in rootfs" "$WORK/doctor.txt" "in rootfs    /usr/bin/qemu-aarch64-static: absent"
    contains "fix" "$WORK/doctor.txt" "fix          xarch install arm64 --replace"
    contains "hook" "$WORK/doctor.txt" "xarch-hook bind-mounts /usr/bin/qemu-aarch64-static read-only at /usr/bin/qemu-aarch64-static"
    # The same entry with the interpreter inside the rootfs: it runs.
    mkdir -p "$WORK/bundle/rootfs/usr/bin"
    cp /usr/bin/qemu-aarch64-static "$WORK/bundle/rootfs/usr/bin/"
    doctor_state interpreter-present 0 runs
    rm "$WORK/bundle/rootfs/usr/bin/qemu-aarch64-static"
    x uninstall arm64 >/dev/null

    # A dynamically linked "emulator": any dynamic host program at a root-owned path will do.
    cp /bin/true "$WORK/qemu-aarch64-dynamic"
    register ":qemu-aarch64:M::$ARM64_MAGIC:$ARM64_MASK:$WORK/qemu-aarch64-dynamic:F"
    doctor_state dynamic-interpreter 3 ERRNO:ENOENT
    contains "dynamic" "$WORK/doctor.txt" "is dynamically linked"
    contains "fix" "$WORK/doctor.txt" "fix          xarch install arm64 --replace"
    x install arm64 --replace >/dev/null

    doctor_state covered 0 runs
    contains "hook" "$WORK/doctor.txt" "xarch-hook has nothing to do"
}

# detect and doctor on a bundle, a rootfs, a program, a script, and things with no program.
case_detect() {
    expect "detect rootfs" "$(x detect "$WORK/bundle/rootfs")" "linux/arm64"
    expect "detect bundle" "$(x detect "$WORK/bundle")" "linux/arm64"
    expect "detect program" "$(x detect "$WORK/bundle/rootfs/bin/busybox")" "linux/arm64"
    expect "detect host program" "$(x detect /bin/sh)" "$(x status --json | json 'd["host"]["platform"]')"
    expect "detect json kind" "$(x detect --json "$WORK/bundle" | json 'd["kind"]')" "bundle"
    printf '#!/bin/busybox sh\necho hi\n' > "$WORK/bundle/rootfs/script"
    chmod +x "$WORK/bundle/rootfs/script"
    expect "detect bundle via annotation" "$(python3 - "$WORK/bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("annotations", {})["io.xarch.platform"] = "linux/arm/v7"
json.dump(c, open(sys.argv[1], "w"))
PY
x detect "$WORK/bundle")" "linux/arm/v7"
    mkdir -p "$WORK/empty"
    expect_rc "detect empty dir" 3 x detect "$WORK/empty"
    contains "detect empty" "$WORK/err" "no ELF program found"
    echo "just text" > "$WORK/text"
    expect_rc "detect text file" 3 x detect "$WORK/text"
    expect_rc "detect missing path" 1 x detect "$WORK/missing"
    contains "detect missing" "$WORK/err" "xarch: detect '$WORK/missing': No such file or directory"
    expect_rc "doctor missing path" 1 x doctor "$WORK/missing"
    contains "doctor missing" "$WORK/err" "xarch: doctor '$WORK/missing': No such file or directory"
    expect_rc "doctor program" 3 x doctor "$WORK/bundle/rootfs/bin/busybox"
    contains "doctor program" "$WORK/out" "(program)"
    expect_rc "doctor bundle" 3 x doctor "$WORK/bundle"
    contains "doctor bundle" "$WORK/out" "(bundle)"
    expect_rc "doctor empty" 3 x doctor "$WORK/empty"
    expect_rc "doctor two paths" 2 x doctor "$WORK/empty" "$WORK/text"
}

# Bundles whose command cannot start whatever binfmt_misc holds: doctor names each cause
# (exit 3), where it used to judge the image's /bin/sh and say "runs".
prepare_start() { make_bundle arm64 "$WORK/bundle"; }
case_start() {
    x install arm64 >/dev/null
    set_args() {
        python3 - "$WORK/bundle/config.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = [sys.argv[2]]
json.dump(c, open(sys.argv[1], "w"))
PY
    }
    start_state() { # STATE ARGS0 TEXT
        set_args "$2"
        expect_rc "doctor ($1)" 3 x doctor "$WORK/bundle"
        expect "doctor state ($1)" "$(x doctor --json "$WORK/bundle" | json 'd["state"]')" "$1"
        contains "doctor text ($1)" "$WORK/out" "$3"
    }
    start_state command-missing nosuchcmd "'nosuchcmd' is not in the rootfs"
    printf '#!/usr/bin/nosuchinterp\necho hi\n' > "$WORK/bundle/rootfs/script"
    chmod +x "$WORK/bundle/rootfs/script"
    start_state script-interpreter-missing /script "interpreter '/usr/bin/nosuchinterp' is not in the rootfs"
    ln -s /nowhere "$WORK/bundle/rootfs/bin/dangling"
    start_state link-dangling /bin/dangling "'/bin/dangling' is a symlink to nothing"
    ln -s /bin/loop-b "$WORK/bundle/rootfs/bin/loop-a"
    ln -s /bin/loop-a "$WORK/bundle/rootfs/bin/loop-b"
    start_state link-loop /bin/loop-a "'/bin/loop-a' is a symlink that loops"
    # A dynamic program without its loader in the rootfs (the host's /bin/true: the rootfs has no /lib64).
    cp /bin/true "$WORK/bundle/rootfs/bin/dyntrue"
    loader=$(readelf -l /bin/true | sed -n 's/.*interpreter: \(.*\)]/\1/p')
    [ -n "$loader" ] || fail "cannot read the loader of /bin/true"
    start_state loader-missing /bin/dyntrue "its loader '$loader' is not in the rootfs"
    # And the command that works: runs.
    set_args /bin/busybox
    expect_rc "doctor (busybox)" 0 x doctor "$WORK/bundle"
}

run_case "$1"
