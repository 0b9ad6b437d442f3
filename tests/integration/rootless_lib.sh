# Rootless podman for the integration tests (sourced after lib.sh): a throwaway user with its
# own subordinate ids, containers.conf and storage, xarch-hook in hooks.d files it can read,
# and everything removed again on exit (its processes, the user, its subuid/subgid lines).
command -v podman >/dev/null || skip "podman is not installed"
command -v runc >/dev/null || skip "runc is not installed"
command -v newuidmap >/dev/null || fail "newuidmap is missing: install uidmap (scripts/install-deps.sh does)"

RL_USER=xarch-rl$$
# A subordinate range of its own: 65536 ids somewhere above 2^20, picked by pid.
RL_SUB=$(( 1048576 + ($$ % 4096) * 65536 ))
rl_cleanup() {
    pkill -KILL -u "$RL_USER" 2>/dev/null || true
    for _ in $(seq 50); do pgrep -u "$RL_USER" >/dev/null || break; sleep 0.1; done
    grep -o " $WORK[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
    userdel -r "$RL_USER" >/dev/null 2>&1 || true
    sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
}
rl_user_created=""
test_cleanup() { [ -z "$rl_user_created" ] || rl_cleanup; }

useradd -m -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER" || fail "useradd $RL_USER failed"
rl_user_created=1
echo "$RL_USER:$RL_SUB:65536" >> /etc/subuid
echo "$RL_USER:$RL_SUB:65536" >> /etc/subgid
RL_HOME=$(getent passwd "$RL_USER" | cut -d: -f6)
RL_UID=$(id -u "$RL_USER")
mkdir -p "$RL_HOME/.config/containers"
write_containers_conf "$RL_HOME/.config/containers/containers.conf"
chown -R "$RL_USER:" "$RL_HOME/.config"

# The user must reach the hook, its settings and the hooks.d files; the log and the records
# are the user's own.
chmod 755 "$WORK"
cp "$XARCH_HOOK" "$WORK/xarch-hook"
chmod 755 "$WORK/xarch-hook"
mkdir -p "$WORK/state"
touch "$WORK/hook.log"
chown "$RL_USER:" "$WORK/state" "$WORK/hook.log"
chmod 700 "$WORK/state"
cat > "$WORK/settings.json" <<JSON
{"policy": "${RL_POLICY:-register}", "log_level": "debug", "log_file": "$WORK/hook.log", "state_dir": "$WORK/state"}
JSON

# rl_hooks STAGE...: hooks.d entries for these stages.
rl_hooks() {
    write_hooks_d "$WORK/hooks.d" "$WORK/xarch-hook" "$WORK/settings.json" "$@"
    chmod -R a+rX "$WORK/hooks.d" "$WORK/settings.json"
}

# as_user CMD...: a login shell of the test user runs CMD (one string).
as_user() { su - "$RL_USER" -c "cd && $1"; }

# rl_podman ARGS: podman as the test user, with the test's hooks.d.
rl_podman() { as_user "timeout 120 podman --hooks-dir $WORK/hooks.d $1"; }

# rl_import ARCH IMAGE: a busybox image of ARCH in the user's storage.
rl_import() {
    make_bundle "$1" "$WORK/bundle-$1"
    tar -C "$WORK/bundle-$1/rootfs" -cf "$WORK/rootfs-$1.tar" .
    chmod a+r "$WORK/rootfs-$1.tar"
    as_user "podman import --arch $(echo "$1" | sed 's/armhf/arm/; s/ppc64el/ppc64le/') $WORK/rootfs-$1.tar $2" >/dev/null \
        || fail "podman import of the $1 image failed"
}

# rl_fresh_namespace: ends the user's rootless namespace, so that the next podman command makes
# a new one that sees the host's binfmt_misc as it is now (a namespace made before the host
# mounted binfmt_misc never sees that mount; on machines that mount it at boot this never arises).
rl_fresh_namespace() { as_user "podman system migrate" >/dev/null 2>&1 || fail "podman system migrate failed"; }

# host_binfmt_digest: every host binfmt_misc entry and the host's binfmt_misc mounts.
host_binfmt_digest() {
    if [ -d "$BINFMT" ]; then
        for f in "$BINFMT"/*; do echo "== $f"; cat "$f" 2>/dev/null || true; done
    fi
    grep binfmt_misc /proc/self/mountinfo | cut -d' ' -f5,9- || true
}

# userns_instances: how many binfmt_misc instances xarch mounted in the user's namespace.
userns_instances() { as_user "podman unshare cat /proc/self/mountinfo" | grep -c ' - binfmt_misc xarch ' || true; }
