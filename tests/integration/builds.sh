#!/bin/sh
# builds.sh ENGINE: a multi-arch build, the most common reason to want emulation, with nothing
# registered beforehand: a Containerfile whose RUN steps execute arm64 programs, built for
# linux/arm64 on this host.
#   podman: `podman build --platform linux/arm64`, xarch-hook through hooks.d (prestart; what the
#           .deb installs in /usr/share/containers/oci/hooks.d, here in a directory of the test's)
#   docker: the classic builder (DOCKER_BUILDKIT=0) of a dockerd whose default runtime is
#           xarch (set with `xarch configure docker --default`)
# Each image's `RUN uname -m` output, kept in the image, must be aarch64.
. "$(dirname "$0")/lib.sh"
engine=$1
make_bundle arm64 "$WORK/bundle"
tar -C "$WORK/bundle/rootfs" -cf "$WORK/rootfs.tar" .
mkdir -p "$WORK/context"
cat > "$WORK/context/Containerfile" <<'EOF2'
FROM localhost/xarch-base
RUN uname -m > /built-on && echo "built with $(cat /built-on)"
RUN ls /bin/busybox > /dev/null
EOF2
# Nothing registered: the build itself must get emulation through xarch.
binfmt_state arm64 none

case $engine in
podman)
    command -v podman >/dev/null || skip "podman is not installed"
    write_settings "$WORK/settings.json"
    write_hooks_d "$WORK/hooks.d" "$XARCH_HOOK" "$WORK/settings.json" prestart poststop
    private_podman
    pm import --arch arm64 "$WORK/rootfs.tar" localhost/xarch-base >/dev/null || fail "podman import failed"
    # The build's RUN containers take hooks from build's own --hooks-dir, not podman's global one.
    timeout 300 $PODMAN build --hooks-dir "$WORK/hooks.d" --platform linux/arm64 --network none -f "$WORK/context/Containerfile" -t localhost/xarch-built \
        "$WORK/context" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" "$WORK/hook.log" 2>/dev/null; fail "podman build failed"; }
    got=$(pm run --rm --network none localhost/xarch-built cat /built-on) || fail "the built image does not run"
    ;;
docker)
    command -v dockerd >/dev/null && command -v docker >/dev/null || skip "docker.io is not installed"
    [ -n "${XARCH_CLI:-}" ] && [ -n "${XARCH_RUNTIME:-}" ] || fail "XARCH_CLI and XARCH_RUNTIME must be set; run through ctest"
    cat > "$WORK/xarch.json" <<JSON
{"hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug", "log_file": "$WORK/hook.log"}
JSON
    "$XARCH_CLI" configure docker --config-file "$WORK/daemon.json" --runtime "$XARCH_RUNTIME" --default > /dev/null \
        || fail "xarch configure docker --default failed"
    sock=$WORK/docker.sock
    test_cleanup() { stop_daemon "$(cat "$WORK/docker.pid" 2>/dev/null)"; }
    XARCH_CONFIG="$WORK/xarch.json" dockerd --config-file "$WORK/daemon.json" --data-root "$WORK/data" --exec-root "$WORK/exec" \
        --pidfile "$WORK/docker.pid" -H "unix://$sock" --iptables=false --ip6tables=false --bridge=none \
        > "$WORK/dockerd.log" 2>&1 &
    dk() { docker -H "unix://$sock" "$@"; }
    wait_for 30 dk info || { tail -20 "$WORK/dockerd.log"; fail "dockerd did not start"; }
    dk import --platform linux/arm64 "$WORK/rootfs.tar" localhost/xarch-base >/dev/null || fail "docker import failed"
    DOCKER_BUILDKIT=0 timeout 300 docker -H "unix://$sock" build --platform linux/arm64 --network none \
        -f "$WORK/context/Containerfile" -t xarch-built "$WORK/context" > "$WORK/build.log" 2>&1 \
        || { cat "$WORK/build.log" "$WORK/hook.log" 2>/dev/null; tail -20 "$WORK/dockerd.log"; fail "docker build failed"; }
    got=$(dk run --rm --network none xarch-built cat /built-on) || fail "the built image does not run"
    ;;
*) fail "unknown engine $engine" ;;
esac
grep -q "built with aarch64" "$WORK/build.log" || fail "the RUN step did not print aarch64: $(cat "$WORK/build.log")"
[ "$got" = aarch64 ] || fail "RUN uname -m wrote '$got' into the $engine image, expected aarch64"
echo "PASS: $engine build for linux/arm64 ran its RUN steps as aarch64"
