#!/bin/sh
# podman_rootless.sh STAGE ARCH STATE: rootless podman (a throwaway user) with xarch-hook in
# hooks.d at STAGE (precreate or prestart, plus poststop) runs an ARCH busybox image and prints
# its `uname -m` through a pipe (busybox's shell re-executes itself for `cat`, so argv[0] must
# survive emulation), starting from host binfmt_misc state STATE (none, debian, F). ARCH amd64 is
# the native image, which must run untouched in every state.
#   none: the user's namespace gets its own binfmt_misc (Linux >= 6.7); the host's stays byte
#         for byte as it was and no mount appears on the host.
#   debian: Debian's entry without F: the emulator, owned by host root (`nobody` in there), is
#         bind-mounted read-only; poststop leaves nothing in the container's /usr.
#   F: the host's F entry covers the image; xarch changes nothing.
. "$(dirname "$0")/lib.sh"
stage=$1 arch=$2 state=$3
. "$(dirname "$0")/rootless_lib.sh"

rl_hooks "$stage" poststop
# The native image meets the arm64 entries of each state.
if [ "$arch" = amd64 ]; then binfmt_state arm64 "$state"; else binfmt_state "$arch" "$state"; fi
rl_import "$arch" localhost/xarch-test
rl_fresh_namespace
want=$(expected_machine "$arch")
before=$(host_binfmt_digest)

kernel_ok=$(python3 -c 'import os; v=os.uname().release.split("."); print(int((int(v[0]), int(v[1])) >= (6, 7)))')
name=xarch-$$
if ! got=$(rl_podman "run --name $name --network none localhost/xarch-test sh -c 'uname -m | cat'" 2>"$WORK/err"); then
    if [ "$state" = none ] && [ "$arch" != amd64 ] && [ "$kernel_ok" = 0 ]; then
        grep -q "Linux 6.7" "$WORK/err" || { cat "$WORK/err"; fail "no clear message on a kernel without per-namespace binfmt_misc"; }
        echo "PASS: kernel $(uname -r) has no per-namespace binfmt_misc and xarch-hook said so"
        exit 0
    fi
    cat "$WORK/err"; echo "--- hook log:"; cat "$WORK/hook.log"
    fail "rootless podman run of the $arch image failed in host state '$state' with the $stage hook"
fi
[ "$got" = "$want" ] || { cat "$WORK/hook.log"; fail "$arch rootless ($stage, '$state'): uname -m printed '$got', expected '$want'"; }

after=$(host_binfmt_digest)
[ "$before" = "$after" ] || { echo "$before" > "$WORK/b"; echo "$after" > "$WORK/a"; diff "$WORK/b" "$WORK/a"; fail "the host's binfmt_misc changed"; }
instances=$(userns_instances)
case $arch.$state in
    amd64.*|*.F|*.debian) [ "$instances" = 0 ] || fail "xarch gave the user's namespace a binfmt_misc although the host's served" ;;
    *.none) [ "$instances" = 1 ] || fail "expected one binfmt_misc instance in the user's namespace, found $instances" ;;
esac

# poststop took the emulator's mount target out of the container's layer again.
as_user "podman unshare sh -c 'cd \$(podman mount $name)/usr && find . | sort'" > "$WORK/usr.after" \
    || fail "cannot inspect the container's /usr"
(cd "$WORK/bundle-$arch/rootfs/usr" && find . | sort) > "$WORK/usr.before"
diff "$WORK/usr.before" "$WORK/usr.after" || fail "files left in the container's /usr after poststop"
echo "PASS: rootless $arch with the $stage hook in host state '$state' printed '$got' (user namespace instances: $instances)"
