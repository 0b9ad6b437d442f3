#!/bin/sh
# runc_hook.sh ARCH STATE: a busybox container of Debian architecture ARCH prints its
# `uname -m` under runc (or crun, with RUNTIME=crun) with xarch-hook at prestart (and
# poststop; createRuntime with crun), starting from
# binfmt_misc state STATE (none, exec, debian, F). Native architectures must come out
# untouched: same config.json, no registration, output of the host.
. "$(dirname "$0")/lib.sh"
arch=$1 state=$2
command -v "$RUNTIME" >/dev/null || skip "$RUNTIME is not installed"
target=$(qemu_target "$arch")
want=$(expected_machine "$arch")

bundle=$WORK/bundle
make_bundle "$arch" "$bundle"
"$XARCH_BINFMT_SNAPSHOT" clear
# binfmt_misc comes before the kernel's own loader: with an entry registered, even code the
# host runs natively goes through qemu.
if runs_natively "$bundle"; then native=1; else native=0; fi
[ $native = 1 ] && [ "$state" = none ] && want=$(uname -m)
write_settings "$WORK/settings.json"
if [ "$RUNTIME" = crun ]; then set_hooks "$bundle" "$WORK/settings.json" createRuntime poststop
else set_hooks "$bundle" "$WORK/settings.json" prestart poststop; fi
binfmt_state "$arch" "$state"
cp "$bundle/config.json" "$WORK/config.before"
find "$bundle/rootfs" | sort > "$WORK/rootfs.before"

run_container "$bundle" "xarch-$arch-$state-$$" || fail "$arch container failed under $RUNTIME in binfmt state '$state'"
got=$(cat "$WORK/out")
[ "$got" = "$want" ] || fail "$arch in state '$state': uname -m printed '$got', expected '$want'"

cmp -s "$bundle/config.json" "$WORK/config.before" || fail "the hook changed config.json"
find "$bundle/rootfs" | sort > "$WORK/rootfs.after"
diff "$WORK/rootfs.before" "$WORK/rootfs.after" || fail "the rootfs was left changed after poststop"

if [ "$state" = none ] && [ $native = 0 ]; then
    grep -q '^flags: .*F' "$BINFMT/qemu-$target" || fail "no F registration qemu-$target was made"
    grep -q "^interpreter /" "$BINFMT/qemu-$target" || fail "registration without interpreter"
fi
if [ $native = 1 ] && [ "$state" = none ]; then
    [ -z "$(ls $BINFMT | grep -v -x -e register -e status)" ] || fail "a native container caused a registration"
fi
echo "PASS: $arch in binfmt state '$state' printed '$got'"
