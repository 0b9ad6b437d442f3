#!/bin/sh
# rootless_attack.sh CAPS: the remount-rw attack against the emulator xarch-hook bind-mounts
# into a rootless container (Debian's entry without F). Rootful containers whose own user
# namespace maps host root are refused this mode, because root there can remount the bind
# writable and rewrite the host's file. Rootless, host root is unmapped: the container may
# remount the bind writable (its mount namespace belongs to the user's namespace), but writing a
# file host root owns still fails. CAPS: "sysadmin" (--cap-add SYS_ADMIN, no seccomp) or
# "default". The host emulator's sha256 must not change, whatever the container manages.
. "$(dirname "$0")/lib.sh"
caps=$1
. "$(dirname "$0")/rootless_lib.sh"

rl_hooks prestart poststop
binfmt_state arm64 debian
rl_import arm64 localhost/xarch-test
rl_fresh_namespace
emulator=$(readlink -f /usr/bin/qemu-aarch64-static)
sum_before=$(sha256sum "$emulator")
target=/usr/libexec/qemu-binfmt/aarch64-binfmt-P

case $caps in
    sysadmin) opts="--cap-add SYS_ADMIN --security-opt seccomp=unconfined" ;;
    default) opts="" ;;
    *) fail "unknown CAPS $caps" ;;
esac
# Each step prints what it managed; the container itself runs under the emulator it attacks.
script="
if mount -o remount,bind,rw $target 2>/dev/null; then echo remounted-rw; fi
if (echo x >> $target) 2>/dev/null; then echo wrote-target; fi
sleep 30 & p=\$!
if (echo x > /proc/\$p/exe) 2>/dev/null; then echo wrote-exe; fi
if (: > /proc/\$p/exe) 2>/dev/null; then echo truncated-exe; fi
kill \$p
echo done"
printf '%s\n' "$script" > "$WORK/attack.sh"
chmod a+r "$WORK/attack.sh"
out=$(rl_podman "run --rm --network none $opts -v $WORK/attack.sh:/attack.sh:ro localhost/xarch-test sh /attack.sh" 2>"$WORK/err") \
    || { cat "$WORK/err"; cat "$WORK/hook.log"; fail "the attack container did not run"; }
echo "container reported: $(echo "$out" | tr '\n' ' ')"
echo "$out" | grep -qx done || fail "the attack script did not finish"
[ "$(sha256sum "$emulator")" = "$sum_before" ] || fail "the host's emulator $emulator was changed from inside the container"
if echo "$out" | grep -q wrote-; then fail "a write to the emulator reported success"; fi
if echo "$out" | grep -q truncated-; then fail "truncating the emulator reported success"; fi
if [ "$caps" = sysadmin ]; then
    # The attack's first step works here: what protects the host is ownership, not the mount flag.
    echo "$out" | grep -qx remounted-rw || fail "the remount was refused: this case no longer tests the write through a writable bind"
fi
echo "PASS: rootless container ($caps capabilities) could not change $emulator (sha256 unchanged)"
