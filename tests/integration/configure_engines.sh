#!/bin/sh
# configure_engines.sh ENGINE: `xarch configure` against the engine's real daemon and files of
# the test's own.
#   docker:     a dockerd started with the user's daemon.json; configure, reload (SIGHUP): the
#               runtime is listed and runs an arm64 image (binfmt entry without F, so only
#               xarch-runtime's mount makes it run); --default makes plain `docker run` use it;
#               --undo and a restart (a reload keeps known runtimes) remove it again, leaving the
#               user's file as it was
#   containerd: `containerd config dump` of the configured file shows the CRI handler with
#               xarch-runtime; the user's comments stay; --undo gives back the file byte for byte
. "$(dirname "$0")/lib.sh"
engine=$1
[ -n "${XARCH_CLI:-}" ] && [ -n "${XARCH_RUNTIME:-}" ] || fail "XARCH_CLI and XARCH_RUNTIME must be set; run through ctest"
x() { "$XARCH_CLI" configure "$@" > "$WORK/out" 2> "$WORK/err" || { cat "$WORK/out" "$WORK/err"; fail "xarch configure $* failed"; }; }

case $engine in
docker)
    command -v dockerd >/dev/null && command -v docker >/dev/null || skip "docker.io is not installed"
    make_bundle arm64 "$WORK/bundle"
    tar -C "$WORK/bundle/rootfs" -cf "$WORK/rootfs.tar" .
    cat > "$WORK/xarch.json" <<JSON
{"hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug"}
JSON
    printf '{\n    "log-level": "warn"\n}\n' > "$WORK/daemon.json"
    cp "$WORK/daemon.json" "$WORK/daemon.orig"
    sock=$WORK/docker.sock
    test_cleanup() { stop_daemon "$(cat "$WORK/docker.pid" 2>/dev/null)"; }
    dk() { docker -H "unix://$sock" "$@"; }
    start_dockerd() {
        XARCH_CONFIG="$WORK/xarch.json" dockerd --config-file "$WORK/daemon.json" --data-root "$WORK/data" --exec-root "$WORK/exec" \
            --pidfile "$WORK/docker.pid" -H "unix://$sock" --iptables=false --ip6tables=false --bridge=none \
            >> "$WORK/dockerd.log" 2>&1 &
        wait_for 30 dk info || { tail -20 "$WORK/dockerd.log"; fail "dockerd did not start"; }
    }
    start_dockerd
    runtimes() { dk info --format '{{range $name, $r := .Runtimes}}{{$name}} {{end}}'; }
    reload() { kill -HUP "$(cat "$WORK/docker.pid")"; }
    dk import --platform linux/arm64 "$WORK/rootfs.tar" xarch-test:latest >/dev/null || fail "docker import failed"
    binfmt_state arm64 debian

    x docker --config-file "$WORK/daemon.json" --runtime "$XARCH_RUNTIME"
    grep -q "systemctl reload docker" "$WORK/out" || fail "no reload advice: $(cat "$WORK/out")"
    reload
    wait_for 10 sh -c "docker -H unix://$sock info --format '{{range \$n, \$r := .Runtimes}}{{\$n}} {{end}}' | grep -qw xarch" \
        || fail "after configure and a reload Docker lists the runtimes '$(runtimes)'"
    got=$(timeout 120 docker -H "unix://$sock" run --rm --runtime xarch --network none xarch-test:latest uname -m 2>"$WORK/err") \
        || { cat "$WORK/err"; fail "docker run --runtime xarch failed"; }
    [ "$got" = aarch64 ] || fail "docker run --runtime xarch printed '$got'"

    x docker --config-file "$WORK/daemon.json" --runtime "$XARCH_RUNTIME" --default
    reload
    wait_for 10 sh -c "[ \"\$(docker -H unix://$sock info --format '{{.DefaultRuntime}}')\" = xarch ]" \
        || fail "the default runtime is '$(dk info --format '{{.DefaultRuntime}}')'"
    got=$(timeout 120 docker -H "unix://$sock" run --rm --network none xarch-test:latest uname -m 2>"$WORK/err") \
        || { cat "$WORK/err"; fail "plain docker run with xarch as the default failed"; }
    [ "$got" = aarch64 ] || fail "plain docker run printed '$got'"

    x docker --config-file "$WORK/daemon.json" --undo
    grep -q "systemctl restart docker" "$WORK/out" || fail "no restart advice after --undo: $(cat "$WORK/out")"
    stop_daemon "$(cat "$WORK/docker.pid")"
    start_dockerd
    if runtimes | grep -qw xarch; then fail "after --undo and a restart Docker still lists xarch: $(runtimes)"; fi
    [ "$(dk info --format '{{.DefaultRuntime}}')" = runc ] || fail "the default runtime stayed $(dk info --format '{{.DefaultRuntime}}')"
    cmp "$WORK/daemon.json" "$WORK/daemon.orig" || fail "--undo did not give back the user's daemon.json: $(cat "$WORK/daemon.json")"
    ;;
containerd)
    command -v containerd >/dev/null || skip "containerd is not installed"
    cat > "$WORK/config.toml" <<TOML
# the site's containerd, kept as written
version = 2
root = "$WORK/root"
state = "$WORK/state-c"

[grpc]
  address = "$WORK/containerd.sock"  # private socket
TOML
    cp "$WORK/config.toml" "$WORK/config.orig"
    "$XARCH_CLI" configure containerd --config-file "$WORK/config.toml" --runtime "$XARCH_RUNTIME" --dry-run > "$WORK/diff" \
        || fail "--dry-run failed"
    cmp "$WORK/config.toml" "$WORK/config.orig" || fail "--dry-run changed the file"
    grep -q "^+  BinaryName = \"$XARCH_RUNTIME\"" "$WORK/diff" || fail "the diff does not show the handler: $(cat "$WORK/diff")"
    x containerd --config-file "$WORK/config.toml" --runtime "$XARCH_RUNTIME"
    grep -q "systemctl restart containerd" "$WORK/out" || fail "no restart advice"
    grep -q "^# the site's containerd, kept as written" "$WORK/config.toml" || fail "the user's comment is gone"
    containerd --config "$WORK/config.toml" config dump > "$WORK/dump" 2> "$WORK/dump.err" || { cat "$WORK/dump.err"; fail "config dump failed"; }
    python3 - "$WORK/dump" "$XARCH_RUNTIME" <<'PY' || fail "containerd does not see the handler: $(grep -A12 'runtimes.xarch' "$WORK/dump")"
import re, sys
dump, runtime = open(sys.argv[1]).read(), sys.argv[2]
head = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.xarch]'
at = dump.index(head)
section = dump[at:at + 2000]
assert 'runtime_type = "io.containerd.runc.v2"' in section, section
assert re.search(r'\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.xarch\.options\]\s+BinaryName = "%s"' % re.escape(runtime), section), section
PY
    x containerd --config-file "$WORK/config.toml" --runtime "$XARCH_RUNTIME"
    grep -q "already configured" "$WORK/out" || fail "configuring twice changed the file again"
    x containerd --config-file "$WORK/config.toml" --undo
    cmp "$WORK/config.toml" "$WORK/config.orig" || fail "--undo did not give back the file byte for byte"
    printf 'version = 2\n[plugins\n' > "$WORK/broken.toml"
    "$XARCH_CLI" configure containerd --config-file "$WORK/broken.toml" --runtime "$XARCH_RUNTIME" 2> "$WORK/err" \
        && fail "a broken config.toml was accepted"
    grep -q "broken.toml': line 2" "$WORK/err" || fail "the error does not name the file and line: $(cat "$WORK/err")"
    [ "$(cat "$WORK/broken.toml")" = "$(printf 'version = 2\n[plugins')" ] || fail "the broken file was changed"
    ;;
*) fail "unknown engine $engine" ;;
esac
echo "PASS: xarch configure $engine"
