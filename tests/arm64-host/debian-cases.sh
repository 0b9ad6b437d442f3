# The cases of the Debian 13 arm64 host (debian-image.sh; sourced by init.sh, dash): what a user
# of an arm64 machine does with the arm64 package, podman and Docker. The payload at /lane
# (read-only, made by lane.sh) holds the package and the images' root filesystems:
#   /lane/xarch.deb          the cross-built arm64 package (scripts/build-arm64.sh --deb)
#   /lane/img/whalesay.tar   amd64-only: Debian's cowsay with perl-base and libc6, no shell
#   /lane/img/native.tar     arm64 busybox
# Nothing is registered in binfmt_misc when the guest starts (it runs no systemd-binfmt) and
# xarch's settings are the package's own; a case that needs "nothing registered" clears what an
# earlier one left. Names (in this order):
#   debian.install         dpkg -i of the package: its scripts run, nothing gets registered
#   debian.podman.native   an arm64 image under podman: runs, nothing registered
#   debian.podman.whalesay podman import --arch amd64, podman run: the cow is drawn
#   debian.podman.rootless the same as user alice (rootless, in her own binfmt_misc)
#   debian.docker.whalesay xarch configure docker --default, dockerd, docker run: the cow
#   debian.docker.native   an arm64 image through xarch-runtime: config.json as runc's
#   debian.purge           configure --undo, dpkg --purge: binfmt_misc as before the install
# Each engine call is bounded (timeout) so that a hang fails its case, not the lane.

# shellcheck source=tests/arm64-host/lib.sh
. /lane/lib.sh
XARCH_LOG=/dev/null   # the package's settings: warnings and errors go to the engine's stderr
STATE=/var/lane
COW='moo from an amd64-only image'
export DOCKER_HOST=unix:///run/docker.sock

# run CMD...: CMD bounded to 10 minutes, stdout in $OUT, stderr in $ERR.
run() { timeout 600 "$@" >"$OUT" 2>"$ERR"; }

# snapshot FILE: every binfmt_misc entry, name and contents.
snapshot() {
    for e in $(entries); do echo "== $e"; cat "$BINFMT/$e"; done >"$1"
}

# as_alice CMD...: CMD as the unprivileged user alice, in a login-like environment.
as_alice() {
    timeout 600 setpriv --reuid alice --regid alice --init-groups \
        env -i HOME=/home/alice USER=alice LOGNAME=alice PATH=/usr/bin:/bin \
        XDG_RUNTIME_DIR="/run/user/$(id -u alice)" "$@"
}

drew_cow() { grep -q "$COW" "$OUT" && grep -q '(oo)' "$OUT"; }

case_install() {
    snapshot "$STATE/binfmt.before"
    run dpkg -i /lane/xarch.deb || { fail "dpkg -i exited $?"; return; }
    cat "$OUT"
    [ "$(dpkg-query -W -f '${Status} ${Architecture}' xarch)" = "install ok installed arm64" ] ||
        { fail "dpkg says: $(dpkg-query -W -f '${Status} ${Architecture}' xarch)"; return; }
    for f in /usr/bin/xarch-hook /usr/bin/xarch-runtime /usr/share/containers/oci/hooks.d/xarch-prestart.json; do
        [ -e "$f" ] || { fail "$f is not installed"; return; }
    done
    snapshot "$STATE/binfmt.installed"
    cmp -s "$STATE/binfmt.before" "$STATE/binfmt.installed" || { fail "installing registered something"; return; }
    pass "xarch $(dpkg-query -W -f '${Version}' xarch) arm64 installed by dpkg; binfmt_misc as before ($(entries | wc -l) entries)"
}

# podman.native: the hook is in the container's config.json (podman puts the hooks.d entries
# there) and does nothing: no mount in the container, nothing registered.
case_podman_native() {
    snapshot "$STATE/bf"
    run podman import --arch arm64 /lane/img/native.tar localhost/native || { fail "podman import exited $?"; return; }
    run podman run --rm --network none localhost/native sh -c 'uname -m; grep -c qemu /proc/self/mountinfo' &&
        { fail "the container sees a qemu mount: $(cat "$OUT")"; return; }
    [ "$(cat "$OUT")" = "aarch64
0" ] || { fail "printed '$(cat "$OUT")'"; return; }
    id=$(timeout 300 podman run -d --network none localhost/native sleep 600) || { fail "podman run -d exited $?"; return; }
    config=$(podman inspect --format '{{.OCIConfigPath}}' "$id")
    grep -q '/usr/bin/xarch-hook' "$config" || { fail "no xarch-hook in $config"; return; }
    timeout 300 podman rm -f -t 0 "$id" >/dev/null
    snapshot "$STATE/bf.after"
    cmp -s "$STATE/bf" "$STATE/bf.after" || { fail "a native container changed binfmt_misc"; return; }
    pass "printed aarch64 with the hook in config.json, no qemu mount, binfmt_misc unchanged ($(podman --version))"
}

case_podman_whalesay() {
    clear_binfmt
    run podman import --arch amd64 /lane/img/whalesay.tar localhost/whalesay || { fail "podman import exited $?"; return; }
    run podman run --rm --network none localhost/whalesay /usr/games/cowsay "$COW" || { fail "podman run exited $?"; return; }
    cat "$OUT"
    drew_cow || { fail "no cow"; return; }
    pass "the cow was drawn with nothing registered before; now: $(entries | tr '\n' ' ')"
}

case_podman_rootless() {
    clear_binfmt
    uid=$(id -u alice)
    mkdir -p "/run/user/$uid"; chown alice:alice "/run/user/$uid"; chmod 700 "/run/user/$uid"
    as_alice podman import --arch amd64 /lane/img/whalesay.tar localhost/whalesay >"$OUT" 2>"$ERR" ||
        { fail "podman import as alice exited $?"; return; }
    as_alice podman run --rm --network none localhost/whalesay /usr/games/cowsay "$COW" >"$OUT" 2>"$ERR" ||
        { fail "rootless podman run exited $?"; return; }
    cat "$OUT"
    drew_cow || { fail "no cow"; return; }
    [ -z "$(entries)" ] || { fail "a rootless container registered host-wide: $(entries | tr '\n' ' ')"; return; }
    pass "the cow was drawn by alice's podman; the host's binfmt_misc still empty"
}

# dockerd without a network (the guest has none: no bridge, no iptables rules), in the
# background; waits until it answers.
start_dockerd() {
    dockerd --bridge=none --iptables=false --ip6tables=false -H "$DOCKER_HOST" >"$STATE/dockerd.log" 2>&1 &
    t0=$(uptime_s)
    until docker version >/dev/null 2>&1; do
        awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { exit !(b - a < 300) }' || return 1
        sleep 1
    done
    mark "FACT dockerd_answered_after=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')s"
}

case_docker_whalesay() {
    clear_binfmt
    run xarch configure docker --default || { fail "xarch configure docker --default exited $?"; return; }
    cat "$OUT" "$ERR"
    start_dockerd || { tail -n 30 "$STATE/dockerd.log"; fail "dockerd did not answer within 300 s"; return; }
    run docker import --platform linux/amd64 /lane/img/whalesay.tar localhost/whalesay || { fail "docker import exited $?"; return; }
    run docker run --rm --network none localhost/whalesay /usr/games/cowsay "$COW" || { fail "docker run exited $?"; return; }
    cat "$OUT"
    drew_cow || { fail "no cow"; return; }
    runtime=$(docker info --format '{{.DefaultRuntime}}')
    [ "$runtime" = xarch ] || { fail "the default runtime is $runtime"; return; }
    pass "the cow was drawn by Docker $(docker version --format '{{.Server.Version}}') (default runtime xarch) with nothing registered before"
}

# native_config RUNTIME: the config.json the runtime got for a native container started under
# RUNTIME, with what differs between any two containers (ids, the network namespace) replaced.
native_config() {
    id=$(timeout 300 docker run -d --runtime "$1" --network none localhost/native sleep 600) || return 1
    # Under dockerd's own containerd (/run/docker/containerd) or the machine's (/run/containerd).
    f=$(find /run -path "*/moby/$id/config.json" 2>/dev/null | head -n 1)
    [ -n "$f" ] || { echo "no config.json of container $id under /run" >&2; return 1; }
    short=$(echo "$id" | cut -c1-12)
    sed -e "s/$id/ID/g" -e "s/$short/SHORT/g" -e 's|/var/run/docker/netns/[0-9a-f]*|NETNS|g' \
        -e 's|/var/lib/docker/overlay2/[0-9a-f]*/merged|ROOTFS|g' "$f"
    timeout 300 docker rm -f "$id" >/dev/null
}

case_docker_native() {
    snapshot "$STATE/bf"
    run docker import --platform linux/arm64 /lane/img/native.tar localhost/native || { fail "docker import exited $?"; return; }
    run docker run --rm --network none localhost/native uname -m || { fail "docker run exited $?"; return; }
    [ "$(cat "$OUT")" = aarch64 ] || { fail "printed '$(cat "$OUT")'"; return; }
    native_config xarch >"$STATE/config.xarch" 2>"$ERR" || { fail "a container under runtime xarch did not start"; return; }
    native_config runc >"$STATE/config.runc" 2>"$ERR" || { fail "a container under runtime runc did not start"; return; }
    diff "$STATE/config.runc" "$STATE/config.xarch" || { fail "xarch-runtime changed a native container's config.json"; return; }
    snapshot "$STATE/bf.after"
    cmp -s "$STATE/bf" "$STATE/bf.after" || { fail "a native container changed binfmt_misc"; return; }
    pass "printed aarch64; config.json as runc's ($(wc -c <"$STATE/config.xarch") bytes); binfmt_misc unchanged"
}

case_purge() {
    run xarch configure docker --undo || { fail "xarch configure docker --undo exited $?"; return; }
    [ -n "$(entries)" ] || { fail "nothing registered to purge (docker.whalesay should have left qemu-x86_64)"; return; }
    registered=$(entries | tr '\n' ' ')
    run dpkg --purge xarch || { fail "dpkg --purge exited $?"; return; }
    snapshot "$STATE/binfmt.purged"
    diff "$STATE/binfmt.before" "$STATE/binfmt.purged" || { fail "binfmt_misc is not as before the install"; return; }
    for f in /usr/bin/xarch /run/xarch /etc/docker/daemon.json /usr/share/containers/oci/hooks.d/xarch-prestart.json; do
        [ ! -e "$f" ] || { fail "$f is left"; return; }
    done
    pass "purge removed $registered; binfmt_misc as before the install; no daemon.json left"
}

run_case() {
    CASE=$1
    rm -f "$OUT" "$ERR"
    mark "CASE $CASE"
    case $CASE in
        debian.install) case_install ;;
        debian.podman.native) case_podman_native ;;
        debian.podman.whalesay) case_podman_whalesay ;;
        debian.podman.rootless) case_podman_rootless ;;
        debian.docker.whalesay) case_docker_whalesay ;;
        debian.docker.native) case_docker_native ;;
        debian.purge) case_purge ;;
        *) result FAIL "unknown case" ;;
    esac
}

run_plan() {
    mkdir -p "$STATE"
    mark "PLAN $* dpkg=$(dpkg-query -W -f '${Version}' dpkg) kernel=$(uname -r)"
    for c; do run_case "$c"; done
}
