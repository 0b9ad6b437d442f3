# The cases run inside the emulated arm64 host (sourced by init.sh; busybox sh, POSIX only).
# Each case starts with '@@ CASE NAME' and ends with exactly one
# '@@ RESULT NAME PASS|FAIL detail'; what a failing case saw (runtime stderr, the hook's log)
# is printed between the two. The bundles were made on the build machine (lane.sh):
#   /bundles/amd64 /bundles/i386 /bundles/armhf /bundles/arm64   busybox, `uname -m`
#   /bundles/amd64-seccomp   the amd64 one with a seccomp profile for the x86 architectures
#   /bundles/whalesay   amd64 rootfs of Debian's cowsay, perl-base and libc6, /usr/games/cowsay
# Cases get fresh copies under /var/lane (the ext4 disk), never the originals.
# Names: RUNTIME.ARCH.STATE (runc, crun; binfmt_misc states as in tests/integration/lib.sh:
# none, exec, debian, F), whalesay.runc, arm64.native.{runc,shim}, shim.amd64.{none,debian,seccomp},
# status, cli.install, cli.doctor.installed, cli.uninstall, cli.doctor.missing,
# cli.install.native.

# shellcheck source=tests/arm64-host/lib.sh
. /lane/lib.sh
XARCH_LOG=/tmp/xarch.log
LANE=/var/lane
mkdir -p /etc/xarch
cat > /etc/xarch/config.json <<JSON
{"policy": "register", "log_level": "debug", "log_file": "$XARCH_LOG"}
JSON

# qemu target and `uname -m` under qemu, per Debian architecture.
target_of() {
    case $1 in amd64) echo x86_64 ;; i386) echo i386 ;; armhf) echo arm ;; arm64) echo aarch64 ;; esac
}
machine_of() {
    case $1 in amd64) echo x86_64 ;; i386) echo i686 ;; armhf) echo armv7l ;; arm64) echo aarch64 ;; esac
}

# binfmt_state TARGET STATE: nothing registered but, for STATE
#   none: nothing; exec: no F, interpreter /usr/bin/qemu-TARGET-static; debian: Debian's own
#   line from /usr/lib/binfmt.d without F (/usr/libexec/qemu-binfmt/TARGET-binfmt-P, OP);
#   F: Debian's own line with F.
binfmt_state() {
    clear_binfmt
    [ "$2" = none ] && return 0
    conf=/usr/lib/binfmt.d/qemu-$1.conf
    [ -f "$conf" ] || { echo "no $conf"; return 1; }
    line=$(cat "$conf")
    flags=${line##*:}
    case $2 in
        exec) line="${line%:*:*}:/usr/bin/qemu-$1-static:" ;;
        debian) line="${line%:*}:$(echo "$flags" | tr -d F)" ;;
        F) case $flags in *F*) ;; *) line="$line"F ;; esac ;;
        *) echo "unknown state $2"; return 1 ;;
    esac
    printf '%s' "$line" >"$BINFMT/register"
}

# fresh NAME SOURCE: a copy of bundle SOURCE at $LANE/NAME.
fresh() {
    rm -rf "${LANE:?}/$1"
    cp -a "/bundles/$2" "$LANE/$1"
    echo "$LANE/$1"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# run_in RUNTIME BUNDLE ID: the container's stdout in $OUT, stderr in $ERR. RUNTIME may be
# xarch-runtime, whose delete goes straight through to runc.
run_in() {
    (cd "$2" && timeout 300 "$1" run "$3" >"$OUT" 2>"$ERR")
    rc=$?
    "$1" delete -f "$3" >/dev/null 2>&1
    return $rc
}

# The guest's own fact, independent of xarch: does it run 32-bit arm code natively (AArch32 at
# EL0)? Asked of the armhf busybox with nothing registered.
aarch32_native() {
    clear_binfmt
    /bundles/armhf/rootfs/bin/busybox true 2>/dev/null
}

# runtime_case RUNTIME ARCH STATE: a busybox container of ARCH prints its `uname -m` under
# RUNTIME with xarch-hook injected (runc: prestart, crun: createRuntime; and poststop), from
# binfmt_misc state STATE. config.json stays as injected, the rootfs as it was after poststop;
# state none must end with an F registration made by the hook unless the host runs ARCH
# natively, which must end with none.
runtime_case() {
    runtime=$1 arch=$2 state=$3
    target=$(target_of "$arch")
    want=$(machine_of "$arch")
    native=no
    clear_binfmt
    if "/bundles/$arch/rootfs/bin/busybox" true 2>/dev/null; then
        native=yes
        [ "$state" = none ] && want=$("/bundles/$arch/rootfs/bin/busybox" uname -m)
    fi
    b=$(fresh "$CASE" "$arch")
    stage=prestart
    [ "$runtime" = crun ] && stage=createRuntime
    xarch inject --stage "$stage" "$b" >"$OUT" 2>"$ERR" || { fail "xarch inject failed"; return; }
    binfmt_state "$target" "$state" >"$ERR" 2>&1 || { fail "cannot set binfmt_misc state $state"; return; }
    before=$(sha "$b/config.json")
    find "$b/rootfs" | sort >/tmp/rootfs.before
    run_in "$runtime" "$b" "c-$$-$CASE" || { fail "$runtime run exited $rc"; return; }
    got=$(cat "$OUT")
    [ "$got" = "$want" ] || { fail "printed '$got', expected '$want'"; return; }
    [ "$(sha "$b/config.json")" = "$before" ] || { fail "config.json changed"; return; }
    find "$b/rootfs" | sort >/tmp/rootfs.after
    cmp -s /tmp/rootfs.before /tmp/rootfs.after || { fail "rootfs left changed after poststop"; return; }
    if [ "$state" = none ] && [ $native = yes ]; then
        [ -z "$(entries)" ] || { fail "a native container caused a registration"; return; }
        pass "printed '$got' natively, nothing registered"
        return
    fi
    [ -f "$BINFMT/qemu-$target" ] || { fail "no entry qemu-$target"; return; }
    flags=$(entry_flags "qemu-$target")
    if [ "$state" = none ]; then
        case $flags in *F*) ;; *) fail "the hook made no F registration qemu-$target"; return ;; esac
    fi
    pass "printed '$got' through qemu-$target (flags '$flags'$([ $native = yes ] && echo ', native without the entry'))"
}

# whalesay: the amd64-only image case. /usr/games/cowsay is a perl script: detection follows
# '#!/usr/bin/perl' to a dynamically linked amd64 perl. Nothing is registered beforehand.
whalesay_case() {
    b=$(fresh "$CASE" whalesay)
    xarch inject "$b" >"$OUT" 2>"$ERR" || { fail "xarch inject failed"; return; }
    clear_binfmt
    run_in runc "$b" "c-$$-whalesay" || { fail "runc run exited $rc"; return; }
    cat "$OUT"
    grep 'decision for' "$XARCH_LOG"
    if ! grep -q 'hello from an amd64-only image' "$OUT" || ! grep -q '(oo)' "$OUT"; then fail "no cow"; return; fi
    case $(entry_flags qemu-x86_64) in *F*) ;; *) fail "the hook made no F registration qemu-x86_64"; return ;; esac
    pass "the cow was drawn ($(wc -l <"$OUT") lines) by amd64 perl under qemu-x86_64"
}

# arm64.native.runc: the hook leaves a native container alone (no registration, config.json
# as injected). arm64.native.shim: xarch-runtime leaves a native bundle's config.json byte for
# byte as it was.
native_case() {
    clear_binfmt
    b=$(fresh "$CASE" arm64)
    if [ "$1" = runc ]; then
        xarch inject "$b" >"$OUT" 2>"$ERR" || { fail "xarch inject failed"; return; }
        before=$(sha "$b/config.json")
        run_in runc "$b" "c-$$-native" || { fail "runc run exited $rc"; return; }
    else
        before=$(sha "$b/config.json")
        run_in xarch-runtime "$b" "c-$$-native-shim" || { fail "xarch-runtime run exited $rc"; return; }
    fi
    got=$(cat "$OUT")
    [ "$got" = aarch64 ] || { fail "printed '$got', expected 'aarch64'"; return; }
    [ "$(sha "$b/config.json")" = "$before" ] || { fail "config.json changed"; return; }
    [ -z "$(entries)" ] || { fail "a native container caused a registration"; return; }
    pass "printed 'aarch64', config.json sha256 $before unchanged, nothing registered"
}

# shim.amd64.STATE: `xarch-runtime run` of the amd64 bundle (no hooks in it) with runc behind.
# none: xarch-runtime registers first (F); debian: an entry without F, so config.json gains
# the emulator's bind mount at the entry's interpreter path.
shim_case() {
    state=$1
    b=$(fresh "$CASE" amd64)
    binfmt_state x86_64 "$state" >"$ERR" 2>&1 || { fail "cannot set binfmt_misc state $state"; return; }
    run_in xarch-runtime "$b" "c-$$-shim-$state" || { fail "xarch-runtime run exited $rc"; return; }
    got=$(cat "$OUT")
    [ "$got" = x86_64 ] || { fail "printed '$got', expected 'x86_64'"; return; }
    case $state in
        none)
            case $(entry_flags qemu-x86_64) in *F*) ;; *) fail "no F registration qemu-x86_64 was made"; return ;; esac
            detail="registered qemu-x86_64 flags '$(entry_flags qemu-x86_64)'" ;;
        *)
            grep -q '"/usr/libexec/qemu-binfmt/x86_64-binfmt-P"' "$b/config.json" ||
                { cat "$b/config.json"; fail "config.json has no bind mount of the emulator"; return; }
            detail="config.json got the emulator's bind mount" ;;
    esac
    pass "printed 'x86_64', $detail"
}

# shim.amd64.seccomp: the bundle's seccomp profile lists the x86 architectures only; with an F
# entry, xarch-runtime's one edit adds the host's SCMP_ARCH_AARCH64 (the emulator's system
# calls are arm64's) and reports 'open', which arm64 does not have.
shim_seccomp_case() {
    b=$(fresh "$CASE" amd64-seccomp)
    binfmt_state x86_64 F >"$ERR" 2>&1 || { fail "cannot register qemu-x86_64"; return; }
    run_in xarch-runtime "$b" "c-$$-seccomp" || { fail "xarch-runtime run exited $rc"; return; }
    got=$(cat "$OUT")
    [ "$got" = x86_64 ] || { fail "printed '$got', expected 'x86_64'"; return; }
    grep -q '"SCMP_ARCH_AARCH64"' "$b/config.json" || { fail "SCMP_ARCH_AARCH64 was not added"; return; }
    cat "$ERR"
    grep -q "system call 'open'" "$ERR" "$XARCH_LOG" 2>/dev/null || { fail "'open' was not reported"; return; }
    grep "system call 'kexec_load'" "$ERR" "$XARCH_LOG" 2>/dev/null && { fail "'kexec_load' reported, arm64 has it"; return; }
    pass "printed 'x86_64' under the profile, SCMP_ARCH_AARCH64 added, 'open' reported"
}

# status: `xarch status --json` with Debian's F entry for x86_64 and nothing else registered.
# The document goes to the console as one line (DATA status-json); the machine outside checks
# it against the facts printed here (the guest's own exec of each test program).
status_case() {
    binfmt_state x86_64 F >"$ERR" 2>&1 || { fail "cannot register qemu-x86_64"; return; }
    if aarch32_native; then a32=yes; else a32=no; fi
    binfmt_state x86_64 F >"$ERR" 2>&1
    if /bundles/i386/rootfs/bin/busybox true 2>/dev/null; then i386=yes; else i386=no; fi
    if /bundles/amd64/rootfs/bin/busybox true 2>/dev/null; then amd64=yes; else amd64=no; fi
    mark "FACT aarch32=$a32 i386_runs=$i386 amd64_runs=$amd64"
    xarch status --json >"$OUT" 2>"$ERR"
    rc=$?
    mark "DATA status-json $(tr -d '\n' <"$OUT")"
    [ $rc = 0 ] || { fail "xarch status --json exited $rc"; return; }
    xarch status 2>&1
    result CHECK "status-json (decided outside)"
}

# cli.*: install, doctor, uninstall, doctor again, on the amd64 bundle.
cli_case() {
    b=$LANE/cli-amd64
    case $1 in
        install)
            clear_binfmt
            rm -rf "$b"; cp -a /bundles/amd64 "$b"
            xarch install amd64 >"$OUT" 2>"$ERR" || { fail "xarch install amd64 exited $?"; return; }
            cat "$OUT"
            flags=$(entry_flags qemu-x86_64)
            case $flags in *F*) ;; *) fail "no F entry qemu-x86_64 after install"; return ;; esac
            got=$("$b/rootfs/bin/busybox" uname -m 2>&1)
            [ "$got" = x86_64 ] || { fail "amd64 busybox printed '$got' after install"; return; }
            pass "registered qemu-x86_64 flags '$flags'; amd64 busybox printed '$got'" ;;
        install.native)
            # The host's own platform never gets an emulator, nor arm where the CPU runs it:
            # binfmt_misc comes before the kernel's ELF loader.
            if aarch32_native; then a32=yes; else a32=no; fi
            xarch install arm64 >"$OUT" 2>"$ERR"
            rc=$?
            cat "$OUT" "$ERR"
            if [ $rc = 0 ] || ! grep -q natively "$ERR" || [ -n "$(entries)" ]; then
                fail "install arm64 on an arm64 host: exit $rc"; return
            fi
            xarch install arm/v7 >"$OUT" 2>"$ERR"
            rc=$?
            cat "$OUT" "$ERR"
            if [ $a32 = yes ]; then
                if [ $rc = 0 ] || ! grep -q natively "$ERR" || [ -n "$(entries)" ]; then
                    fail "install arm/v7 with AArch32: exit $rc"; return
                fi
                pass "arm64 and arm/v7 refused as native (AArch32), nothing registered"
            else
                case $(entry_flags qemu-arm) in *F*) ;; *) fail "install arm/v7 without AArch32 registered no qemu-arm"; return ;; esac
                pass "arm64 refused as native; arm/v7 registered qemu-arm (no AArch32)"
            fi ;;
        doctor.installed|doctor.missing)
            xarch doctor "$b" >"$OUT" 2>"$ERR"
            rc=$?
            cat "$OUT"
            want=0
            [ "$1" = doctor.missing ] && want=3
            [ $rc = $want ] || { fail "xarch doctor exited $rc, expected $want"; return; }
            grep -q 'linux/amd64' "$OUT" || { fail "doctor did not name linux/amd64"; return; }
            if [ $want = 3 ]; then
                grep -q 'xarch install' "$OUT" || { fail "doctor gave no 'xarch install' fix"; return; }
            fi
            pass "exit $rc, names linux/amd64" ;;
        uninstall)
            xarch uninstall amd64 >"$OUT" 2>"$ERR" || { fail "xarch uninstall amd64 exited $?"; return; }
            cat "$OUT"
            [ ! -e "$BINFMT/qemu-x86_64" ] || { fail "qemu-x86_64 still registered"; return; }
            "$b/rootfs/bin/busybox" true 2>/dev/null && { fail "amd64 busybox still runs"; return; }
            pass "qemu-x86_64 removed; amd64 busybox no longer runs" ;;
    esac
}

run_case() {
    CASE=$1
    rm -f "$OUT" "$ERR" "$XARCH_LOG"
    mark "CASE $CASE"
    # shellcheck disable=SC2046
    set -- $(echo "$CASE" | tr . ' ')
    case $1 in
        runc|crun) runtime_case "$1" "$2" "$3" ;;
        whalesay) whalesay_case ;;
        arm64) native_case "$3" ;;
        shim) if [ "$3" = seccomp ]; then shim_seccomp_case; else shim_case "$3"; fi ;;
        status) status_case ;;
        cli) shift; cli_case "$(echo "$*" | tr ' ' .)" ;;
        *) result FAIL "unknown case" ;;
    esac
}

run_plan() {
    if aarch32_native; then a32=yes; else a32=no; fi
    mark "PLAN $* aarch32=$a32 runc=$(runc --version | head -n 1 | cut -d' ' -f3) crun=$(crun --version | head -n 1 | cut -d' ' -f3)"
    for c; do run_case "$c"; done
    clear_binfmt
}
