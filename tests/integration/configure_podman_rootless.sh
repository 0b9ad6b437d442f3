#!/bin/sh
# configure_podman_rootless.sh: `xarch configure podman` run by a rootless user (a throwaway one,
# see rootless_lib.sh). podman 4.3 reads hooks.d entries only from containers.conf's hooks_dir,
# whose default (/usr/share/containers/oci/hooks.d) is the same for root and users, so the user's
# own entries need a containers.conf drop-in as well. Host state 'debian' (an arm64 entry without
# F): before, plain `podman run` of the arm64 image fails (the interpreter is not in the image);
# after configure it prints aarch64 with no flag (and not without the drop-in); --undo leaves the
# user's files as they were. Then root's configure (/etc/containers) serves the user too.
. "$(dirname "$0")/lib.sh"
[ -n "${XARCH_CLI:-}" ] || fail "XARCH_CLI must be set; run through ctest"
for d in /usr/share/containers/oci/hooks.d /etc/containers/oci/hooks.d; do
    ! ls "$d"/xarch-* >/dev/null 2>&1 || skip "xarch's entries are installed in $d: every user's podman already runs them"
done
. "$(dirname "$0")/rootless_lib.sh"

cp "$XARCH_CLI" "$WORK/xarch"
chmod 755 "$WORK/xarch"
binfmt_state arm64 debian
rl_import arm64 localhost/xarch-test
rl_fresh_namespace
# user_files: every file of the user's ~/.config with its checksum.
user_files() { as_user "cd .config && find . -type f | sort | xargs sha256sum"; }
user_files > "$WORK/files.before"
run_arm64() { as_user "timeout 120 podman run --rm --network none localhost/xarch-test uname -m" 2>"$WORK/err"; }

if got=$(run_arm64); then fail "the arm64 image ran before configure ('$got'): the test's premise is gone"; fi
echo "before configure: $(tail -1 "$WORK/err")"

as_user "$WORK/xarch configure podman --hook $WORK/xarch-hook --dry-run" > "$WORK/diff" || fail "--dry-run failed: $(cat "$WORK/diff")"
grep -q "^+hooks_dir = \[" "$WORK/diff" || fail "the dry run does not show the containers.conf drop-in: $(cat "$WORK/diff")"
user_files | cmp -s - "$WORK/files.before" || fail "--dry-run changed the user's files"
as_user "$WORK/xarch configure podman --hook $WORK/xarch-hook" > "$WORK/out" 2>&1 || fail "configure podman failed: $(cat "$WORK/out")"
cat "$WORK/out"
conf=$RL_HOME/.config/containers
for f in containers.conf.d/xarch.conf oci/hooks.d/xarch-prestart.json oci/hooks.d/xarch-poststop.json; do
    [ "$(stat -c %U "$conf/$f")" = "$RL_USER" ] || fail "$conf/$f is missing or not the user's"
done
grep -q "\"$conf/oci/hooks.d\"" "$conf/containers.conf.d/xarch.conf" || fail "the drop-in does not name the user's hooks.d"
grep -q '"/usr/share/containers/oci/hooks.d"' "$conf/containers.conf.d/xarch.conf" || fail "the drop-in drops podman's default hooks.d"

got=$(run_arm64) || { cat "$WORK/err"; fail "rootless podman run of the arm64 image failed after configure"; }
[ "$got" = aarch64 ] || fail "after configure the arm64 image printed '$got'"
# The entries alone are not read: podman needs hooks_dir to name the user's directory.
mv "$conf/containers.conf.d/xarch.conf" "$WORK/xarch.conf.aside"
if got=$(run_arm64); then fail "podman ran the user's hooks.d entries without the drop-in ('$got')"; fi
mv "$WORK/xarch.conf.aside" "$conf/containers.conf.d/xarch.conf"

as_user "$WORK/xarch configure podman --undo" > "$WORK/out" 2>&1 || fail "configure podman --undo failed: $(cat "$WORK/out")"
user_files > "$WORK/files.after"
diff "$WORK/files.before" "$WORK/files.after" || fail "--undo did not give back the user's files"
if got=$(run_arm64); then fail "the arm64 image still ran after --undo ('$got')"; fi

# root's `xarch configure podman` (/etc/containers) serves rootless users as well: they read
# /etc/containers/containers.conf.d too. Taken out again on any exit.
for f in /etc/containers/oci/hooks.d/xarch-prestart.json /etc/containers/oci/hooks.d/xarch-poststop.json \
    /etc/containers/containers.conf.d/xarch.conf; do
    [ ! -e "$f" ] || skip "$f exists: this machine's podman is configured already"
done
made=""
for d in /etc/containers/oci /etc/containers/oci/hooks.d /etc/containers/containers.conf.d; do [ -d "$d" ] || made="$d $made"; done
root_cleanup() {
    "$XARCH_CLI" configure podman --undo >/dev/null 2>&1 || true
    for d in $made; do rmdir "$d" 2>/dev/null || true; done
}
test_cleanup() { root_cleanup; [ -z "$rl_user_created" ] || rl_cleanup; }
"$XARCH_CLI" configure podman --hook "$WORK/xarch-hook" > "$WORK/out" 2>&1 || fail "configure podman as root failed: $(cat "$WORK/out")"
grep -q "wrote /etc/containers/containers.conf.d/xarch.conf" "$WORK/out" || fail "root's configure wrote no drop-in: $(cat "$WORK/out")"
got=$(run_arm64) || { cat "$WORK/err"; fail "after root's configure the user's podman cannot run the arm64 image"; }
[ "$got" = aarch64 ] || fail "after root's configure the arm64 image printed '$got'"
mv /etc/containers/containers.conf.d/xarch.conf "$WORK/xarch.conf.aside"
if got=$(run_arm64); then fail "podman ran /etc/containers/oci/hooks.d's entries without the drop-in ('$got')"; fi
mv "$WORK/xarch.conf.aside" /etc/containers/containers.conf.d/xarch.conf
"$XARCH_CLI" configure podman --undo > "$WORK/out" 2>&1 || fail "configure podman --undo as root failed: $(cat "$WORK/out")"
for f in /etc/containers/oci/hooks.d/xarch-prestart.json /etc/containers/containers.conf.d/xarch.conf; do
    [ ! -e "$f" ] || fail "--undo left $f"
done
root_cleanup
echo "PASS: rootless xarch configure podman: the arm64 image printed aarch64; --undo gave back the user's files; root's configuration served the user"
