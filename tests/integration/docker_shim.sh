#!/bin/sh
# docker_shim.sh ARCH STATE: a dockerd of the test's own (private data root, exec root and
# socket) with xarch-runtime registered through packaging/docker/daemon.json runs an imported ARCH busybox image with
# `docker run --runtime xarch` and prints its `uname -m`, from binfmt_misc state STATE.
. "$(dirname "$0")/lib.sh"
arch=$1 state=$2
command -v dockerd >/dev/null && command -v docker >/dev/null || skip "docker.io is not installed"
[ -n "${XARCH_RUNTIME:-}" ] || fail "XARCH_RUNTIME is not set; run through ctest"
want=$(expected_machine "$arch")
make_bundle "$arch" "$WORK/bundle"
tar -C "$WORK/bundle/rootfs" -cf "$WORK/rootfs.tar" .
cat > "$WORK/xarch.json" <<JSON
{"hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug"}
JSON

sock=$WORK/docker.sock
test_cleanup() { stop_daemon "$(cat "$WORK/docker.pid" 2>/dev/null)"; }
# The runtime is registered with the daemon.json snippet xarch ships, pointed at this build.
sed "s|\"path\": \".*\"|\"path\": \"$XARCH_RUNTIME\"|" "$XARCH_PACKAGING/docker/daemon.json" > "$WORK/daemon.json"
XARCH_CONFIG="$WORK/xarch.json" dockerd --config-file "$WORK/daemon.json" --data-root "$WORK/data" --exec-root "$WORK/exec" \
    --pidfile "$WORK/docker.pid" -H "unix://$sock" --iptables=false --ip6tables=false --bridge=none \
    > "$WORK/dockerd.log" 2>&1 &
dk() { docker -H "unix://$sock" "$@"; }
wait_for 30 dk info || { tail -20 "$WORK/dockerd.log"; fail "dockerd did not start"; }

platform=linux/$(echo "$arch" | sed 's/armhf/arm\/v7/; s/ppc64el/ppc64le/')
dk import --platform "$platform" "$WORK/rootfs.tar" xarch-test:latest >/dev/null || fail "docker import failed"
binfmt_state "$arch" "$state"
if ! got=$(timeout 120 docker -H "unix://$sock" run --rm --runtime xarch --network none xarch-test:latest uname -m 2>"$WORK/err"); then
    cat "$WORK/err"; tail -20 "$WORK/dockerd.log"
    fail "docker run --runtime xarch of the $arch image failed in binfmt state '$state'"
fi
[ "$got" = "$want" ] || fail "$arch under Docker ('$state'): uname -m printed '$got', expected '$want'"
echo "PASS: $arch under Docker with xarch-runtime in binfmt state '$state' printed '$got'"
