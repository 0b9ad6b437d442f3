#!/bin/sh
# configure_engines.sh ENGINE: `xarch configure` against the engine's real daemon and files of
# the test's own.
#   docker:     a dockerd started with the user's daemon.json; configure, reload (SIGHUP): the
#               runtime is listed and runs an arm64 image (binfmt entry without F, so only
#               xarch-runtime's mount makes it run); --default makes plain `docker run` use it;
#               --undo and a restart (a reload keeps known runtimes) remove it again, leaving the
#               user's file as it was
#   containerd: `containerd config dump` of the configured file shows the CRI handler with
#               xarch-runtime; the user's comments stay; containerd started with it loads the
#               CRI plugin (a Debian-like CRI section without runtimes needs runc named too);
#               --undo gives back the file byte for byte. With `imports`: the handler goes into a
#               drop-in the import glob covers and config.toml stays as it was, unless
#               config.toml has the CRI section (containerd 1.6 would replace it whole with the
#               drop-in's): then config.toml gets the block and its CRI settings stay
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
    # Debian 12's Docker 20.10 without systemd: BuildKit is told by hand, and ignores it anyway.
    grep -q "start dockerd with DOCKER_BUILDKIT_RUNC_COMMAND=$XARCH_RUNTIME in its environment" "$WORK/out" ||
        fail "no advice for BuildKit's runc command: $(cat "$WORK/out")"
    if [ "$(dockerd --version | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')" -lt 26 ]; then
        grep -q "ignores DOCKER_BUILDKIT_RUNC_COMMAND.*xarch install PLATFORM" "$WORK/out" ||
            fail "no word that this Docker's BuildKit ignores its runc command: $(cat "$WORK/out")"
    fi
    [ ! -e /etc/systemd/system/docker.service.d/xarch.conf ] || fail "a docker.service drop-in where systemd does not run dockerd"
    # Under --unit-dir, the drop-in, its --dry-run and exactly its --undo.
    "$XARCH_CLI" configure docker --config-file "$WORK/d2.json" --runtime "$XARCH_RUNTIME" --unit-dir "$WORK/units" --dry-run > "$WORK/dry"
    grep -q '^+Environment="DOCKER_BUILDKIT_RUNC_COMMAND='"$XARCH_RUNTIME"'"$' "$WORK/dry" || fail "--dry-run shows no drop-in: $(cat "$WORK/dry")"
    [ ! -e "$WORK/units" ] || fail "--dry-run wrote $WORK/units"
    "$XARCH_CLI" configure docker --config-file "$WORK/d2.json" --runtime "$XARCH_RUNTIME" --unit-dir "$WORK/units" > "$WORK/out2"
    grep -q "systemctl daemon-reload && systemctl restart docker" "$WORK/out2" || fail "no restart advice: $(cat "$WORK/out2")"
    grep -qx 'Environment="DOCKER_BUILDKIT_RUNC_COMMAND='"$XARCH_RUNTIME"'"' "$WORK/units/docker.service.d/xarch.conf" ||
        fail "the drop-in does not set BuildKit's runc command"
    "$XARCH_CLI" configure docker --config-file "$WORK/d2.json" --unit-dir "$WORK/units" --undo >/dev/null
    [ -z "$(ls -A "$WORK/units")" ] && [ ! -e "$WORK/d2.json" ] || fail "--undo left $(find "$WORK/units" "$WORK/d2.json" 2>&1)"
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
    command -v ctr >/dev/null || skip "ctr is not installed"
    cat > "$WORK/config.toml" <<TOML
# the site's containerd, kept as written
version = 2
root = "$WORK/root"
state = "$WORK/state-c"

[grpc]
  address = "$WORK/containerd.sock"  # private socket

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
TOML
    test_cleanup() { stop_daemon "$(cat "$WORK/containerd.pid" 2>/dev/null)"; }
    # cri_loads CONFIG: containerd started with CONFIG loads its CRI plugin.
    cri_loads() {
        rm -f "$WORK/containerd.sock"
        containerd --config "$1" > "$WORK/containerd.log" 2>&1 &
        echo $! > "$WORK/containerd.pid"
        wait_for 30 ctr -a "$WORK/containerd.sock" version >/dev/null 2>&1 || { tail -20 "$WORK/containerd.log"; fail "containerd did not start"; }
        status=$(ctr -a "$WORK/containerd.sock" plugins ls | awk '$2 == "cri" {print $4}')
        stop_daemon "$(cat "$WORK/containerd.pid")"
        rm -f "$WORK/containerd.pid"
        [ "$status" = ok ] || { grep -i 'cri' "$WORK/containerd.log" | tail -5; fail "containerd's CRI plugin is '$status' with $1"; }
    }
    # dump_has CONFIG PATTERN...: `containerd config dump` of CONFIG matches each pattern.
    dump_has() {
        conf=$1
        shift
        containerd --config "$conf" config dump > "$WORK/dump" 2> "$WORK/dump.err" || { cat "$WORK/dump.err"; fail "config dump of $conf failed"; }
        python3 - "$WORK/dump" "$@" <<'PY' || fail "containerd does not read what was expected from $conf"
import re, sys
dump = open(sys.argv[1]).read()
for p in sys.argv[2:]:
    if not re.search(p, dump):
        sys.exit("not in the dump: " + p)
PY
    }
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
    cri_loads "$WORK/config.toml"
    x containerd --config-file "$WORK/config.toml" --runtime "$XARCH_RUNTIME"
    grep -q "already configured" "$WORK/out" || fail "configuring twice changed the file again"
    x containerd --config-file "$WORK/config.toml" --undo
    cmp "$WORK/config.toml" "$WORK/config.orig" || fail "--undo did not give back the file byte for byte"

    # imports: a drop-in where a glob of config.toml's imports covers one.
    mkdir -p "$WORK/conf.d"
    cat > "$WORK/imports.toml" <<TOML
version = 2
imports = ["$WORK/conf.d/*.toml"]
root = "$WORK/root"
state = "$WORK/state-c"
[grpc]
  address = "$WORK/containerd.sock"
TOML
    printf 'version = 2\n[debug]\n  level = "info"\n' > "$WORK/conf.d/10-site.toml"
    cp "$WORK/imports.toml" "$WORK/imports.orig"
    "$XARCH_CLI" configure containerd --config-file "$WORK/imports.toml" --runtime "$XARCH_RUNTIME" --dry-run > "$WORK/diff" \
        || fail "--dry-run with imports failed"
    grep -q "^--- $WORK/conf.d/xarch.toml\$" "$WORK/diff" && [ ! -e "$WORK/conf.d/xarch.toml" ] \
        || fail "the dry run does not show the drop-in as a diff, or wrote it: $(cat "$WORK/diff")"
    x containerd --config-file "$WORK/imports.toml" --runtime "$XARCH_RUNTIME"
    grep -q "wrote $WORK/conf.d/xarch.toml" "$WORK/out" || fail "no drop-in written: $(cat "$WORK/out")"
    cmp "$WORK/imports.toml" "$WORK/imports.orig" || fail "config.toml was edited although its imports cover a drop-in"
    q='\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes'
    dump_has "$WORK/imports.toml" "imports = .*$WORK/conf.d/xarch.toml" "$q\.xarch\.options\]\s+BinaryName = \"$XARCH_RUNTIME\"" \
        "$q\.runc\]" 'level = "info"'
    cri_loads "$WORK/imports.toml"
    x containerd --config-file "$WORK/imports.toml" --undo
    grep -q "removed $WORK/conf.d/xarch.toml" "$WORK/out" || fail "--undo did not remove the drop-in: $(cat "$WORK/out")"
    [ "$(ls "$WORK/conf.d")" = 10-site.toml ] || fail "--undo left files in conf.d: $(ls "$WORK/conf.d")"
    cmp "$WORK/imports.toml" "$WORK/imports.orig" || fail "--undo changed config.toml"

    # With the CRI section in config.toml a drop-in would replace it whole: config.toml is edited.
    printf '[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "example.org/pause:9"\n' >> "$WORK/imports.toml"
    cp "$WORK/imports.toml" "$WORK/imports.orig"
    x containerd --config-file "$WORK/imports.toml" --runtime "$XARCH_RUNTIME"
    [ ! -e "$WORK/conf.d/xarch.toml" ] || fail "a drop-in was written although config.toml has the CRI section"
    dump_has "$WORK/imports.toml" 'sandbox_image = "example.org/pause:9"' "$q\.xarch\.options\]\s+BinaryName = \"$XARCH_RUNTIME\""
    x containerd --config-file "$WORK/imports.toml" --undo
    cmp "$WORK/imports.toml" "$WORK/imports.orig" || fail "--undo did not give back config.toml byte for byte"

    printf 'version = 2\n[plugins\n' > "$WORK/broken.toml"
    "$XARCH_CLI" configure containerd --config-file "$WORK/broken.toml" --runtime "$XARCH_RUNTIME" 2> "$WORK/err" \
        && fail "a broken config.toml was accepted"
    grep -q "broken.toml': line 2" "$WORK/err" || fail "the error does not name the file and line: $(cat "$WORK/err")"
    [ "$(cat "$WORK/broken.toml")" = "$(printf 'version = 2\n[plugins')" ] || fail "the broken file was changed"
    ;;
*) fail "unknown engine $engine" ;;
esac
echo "PASS: xarch configure $engine"
