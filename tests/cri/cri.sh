#!/bin/sh
# cri.sh CASE: containerd's CRI plugin driven as a kubelet drives it (tests/cri/cri.py: Version,
# RunPodSandbox with a runtime handler, CreateContainer, StartContainer, ContainerStatus, the
# container's log, StopPodSandbox, RemovePodSandbox), on a containerd of the test's own (root,
# state, sockets, config file; in a mount namespace of its own), configured only by `xarch
# configure containerd --config-file`. Images are imported with `ctr -n k8s.io images import`:
# the sandbox ("pause") image is tests/tools/pause.c built static, the containers Debian's arm64
# and amd64 busybox (test bundles). Cases:
#   arm64.none    an arm64 pod with handler xarch, nothing registered: its log says aarch64
#   arm64.exec    the same with Debian's entry without F: through the emulator's bind mount,
#                 seen in the running container's config.json
#   arm64.F       the same with Debian's F entry: config.json exactly as handler runc gets it
#   native        an amd64 pod with handler xarch: config.json exactly as handler runc gets it
#   control       the arm64 pod with containerd's default handler runc, nothing registered:
#                 exec format error
#   exit1         an arm64 container (entry without F) that exits 1: the status says exit code
#                 1, and nothing of xarch's is left (records, mounts, registrations)
#   node          the DaemonSet's node agent (packaging/image/node.sh in the image of
#                 scripts/build-image.sh) run as packaging/kubernetes/xarch.yaml's pod through
#                 the CRI against this containerd's config, containerd restarted, then the
#                 arm64 pod with handler xarch runs
#   bench [RUNS]  not a test (tests/bench/cri_bench.sh runs it): pod start to container running
#                 with handler xarch vs runc, native image, as a ratio
# Environment (ctest): XARCH_CLI, XARCH_BUILD_DIR and lib.sh's.
. "$(dirname "$0")/../integration/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
case=$1
PY=/usr/bin/python3 # Debian's, which has python3-grpcio and python3-protobuf
command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd is not installed"
command -v protoc >/dev/null || skip "protoc is not installed (protobuf-compiler)"
$PY -c 'import grpc, google.protobuf' 2>/dev/null || skip "python3-grpcio and python3-protobuf are not installed"
for v in XARCH_CLI XARCH_RUNTIME XARCH_BUILD_DIR; do
    eval "[ -n \"\${$v:-}\" ]" || fail "$v is not set; run through ctest"
done

# The CRI API from Debian's golang-github-kubernetes-cri-api-dev (trixie), without its gogoproto
# import and options (Go code generation only), compiled for Python.
deb=$("$SRC/scripts/fetch-debs.sh" --cache "$XARCH_BUNDLE_CACHE" --suite trixie amd64 golang-github-kubernetes-cri-api-dev) ||
    skip "cannot fetch golang-github-kubernetes-cri-api-dev (Debian archive unreachable?)"
proto=./usr/share/gocode/src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto
mkdir -p "$WORK/proto"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$proto" | grep -v -e 'gogoproto/gogo.proto' -e 'option (gogoproto' > "$WORK/proto/api.proto"
(cd "$WORK/proto" && protoc --python_out=. api.proto) || fail "protoc cannot compile the CRI API"

# Images.
mkdir -p "$WORK/pause"
cc -O2 -static -o "$WORK/pause/pause" "$SRC/tests/tools/pause.c" || fail "cannot build the pause program"
python3 "$SRC/tests/tools/oci_image.py" --cmd /pause "$WORK/pause" "$WORK/pause.tar" localhost/xarch-pause:1 amd64
make_bundle arm64 "$WORK/arm64"
make_bundle amd64 "$WORK/amd64"
python3 "$SRC/tests/tools/oci_image.py" "$WORK/arm64/rootfs" "$WORK/arm64.tar" localhost/arm64-busybox:1 arm64
python3 "$SRC/tests/tools/oci_image.py" "$WORK/amd64/rootfs" "$WORK/amd64.tar" localhost/amd64-busybox:1 amd64

# containerd, in a mount namespace held by a process of its own (mounts made there, as /opt of
# the node case, vanish with it).
sock=$WORK/containerd.sock
etc=$WORK/node/etc
config=$etc/containerd/config.toml
mkdir -p "$etc/containerd" "$etc/binfmt.d" "$WORK/state"
{ containerd_config "$sock"; cat <<TOML; } > "$config"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/xarch-pause:1"
  # The kubelet asks for oom_score_adj -998 for sandboxes; a machine that withholds
  # CAP_SYS_RESOURCE (as this build machine's sandbox does) refuses to lower it.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$WORK/cni/bin"
    conf_dir = "$WORK/cni/conf"
TOML
cat > "$WORK/xarch.json" <<JSON
{"hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug", "log_file": "$WORK/xarch.log"}
JSON
unshare -m --propagation private sleep 100000 &
holder=$!
ns() { nsenter -t "$holder" -m -- "$@"; }
wait_for 10 ns true || fail "no mount namespace"
cpid=
start_containerd() {
    # nsenter (no pid namespace to enter) and env exec: $! is containerd itself.
    nsenter -t "$holder" -m -- env XARCH_CONFIG="$WORK/xarch.json" containerd --config "$config" >> "$WORK/containerd.log" 2>&1 &
    cpid=$!
    wait_for 30 ctr -a "$sock" version || { tail -20 "$WORK/containerd.log"; fail "containerd did not start"; }
}
test_cleanup() {
    # Pods the test left (a failed step): their shims are in the namespace, and die with it.
    for s in $(ctr -a "$sock" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$sock" -n k8s.io tasks kill -s KILL "$s"; done
    pkill -KILL -f "containerd-shim-runc-v2 -namespace k8s.io -address $sock" 2>/dev/null
    stop_daemon "$cpid"
    kill "$holder" 2>/dev/null
    return 0
}
configure() {
    "$XARCH_CLI" configure containerd --config-file "$config" --runtime "$XARCH_RUNTIME" >/dev/null ||
        fail "xarch configure containerd failed"
}
import_images() {
    for t in pause arm64 amd64 "$@"; do
        ctr -a "$sock" -n k8s.io images import --all-platforms "$WORK/$t.tar" >/dev/null || fail "ctr images import $t.tar failed"
    done
}
# pod HANDLER IMAGE NAME [cri.py pod options] -- ARGS...: the pod's JSON result in $WORK/NAME.json.
pod() {
    handler=$1 image=$2 name=$3
    shift 3
    $PY "$SRC/tests/cri/cri.py" --socket "$sock" --proto-dir "$WORK/proto" --timeout 120 pod --handler "$handler" \
        --image "localhost/$image" --name "$name" --log-dir "$WORK/logs" "$@" > "$WORK/$name.json" ||
        { cat "$WORK/$name.json"; tail -20 "$WORK/containerd.log"; fail "the pod $name (handler $handler) failed"; }
    cat "$WORK/$name.json"
}
# field NAME KEY: a member of pod NAME's result.
field() { $PY -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$WORK/$1.json" "$2"; }
expect_log() {
    got=$(field "$1" log)
    [ "$got" = "$2" ] || fail "pod $1: its log is '$got', expected '$2'"
}
# same_config A B: pods A and B got the same config.json, but for their own ids and paths.
same_config() {
    $PY - "$WORK/$1.json" "$WORK/$2.json" <<'PY' || fail "handler xarch's config.json differs from handler runc's"
import json, re, sys
def load(path):
    r = json.load(open(path))
    text = open(r["config"]).read()
    for key in ("container_id", "sandbox_id"):
        text = text.replace(r[key], "<" + key + ">")
    # The pod's namespaces, joined through its sandbox's process.
    text = re.sub(r'"/proc/[0-9]+/ns/', '"/proc/<sandbox-pid>/ns/', text)
    c = json.loads(text)
    c.get("annotations", {}).pop("io.kubernetes.cri.sandbox-log-directory", None)
    c.get("annotations", {}).pop("io.kubernetes.cri.sandbox-uid", None)
    c.get("annotations", {}).pop("io.kubernetes.cri.sandbox-name", None)
    c.get("annotations", {}).pop("io.kubernetes.cri.container-name", None)
    return c
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print("config.json differs at %s:\n  runc:  %s\n  xarch: %s" % (k, json.dumps(a.get(k)), json.dumps(b.get(k))))
    sys.exit(1)
PY
}
bundles=$WORK/state-c/io.containerd.runtime.v2.task
hold="--wait-log aarch64 --bundle-root $bundles"

configure
start_containerd
import_images
version=$($PY "$SRC/tests/cri/cri.py" --socket "$sock" --proto-dir "$WORK/proto" version) || fail "CRI Version failed: $version"
echo "$version"

case $case in
    arm64.none)
        binfmt_state arm64 none
        pod xarch arm64-busybox:1 a1 -- uname -m
        expect_log a1 aarch64
        [ -f $BINFMT/qemu-aarch64 ] || fail "no qemu-aarch64 entry after the pod"
        ;;
    arm64.exec)
        binfmt_state arm64 debian
        pod xarch arm64-busybox:1 a1 $hold --config-out "$WORK/a1.config.json" -- sh -c 'uname -m; exec sleep 100'
        $PY - "$WORK/a1.config.json" <<'PY' || fail "the running container's config.json has no read-only bind mount of the emulator"
import json, sys
c = json.load(open(sys.argv[1]))
m = [m for m in c["mounts"] if m["destination"] == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"]
assert len(m) == 1 and m[0]["source"] == "/usr/bin/qemu-aarch64-static" and "ro" in m[0]["options"], m
print("emulator mount:", json.dumps(m[0]))
PY
        ;;
    arm64.F|native)
        if [ "$case" = native ]; then image=amd64-busybox:1 want=x86_64; binfmt_state arm64 none
        else image=arm64-busybox:1 want=aarch64; binfmt_state arm64 F; fi
        for h in runc xarch; do
            pod "$h" "$image" "$h" --wait-log "$want" --bundle-root "$bundles" --config-out "$WORK/$h.config.json" \
                -- sh -c 'uname -m; exec sleep 100'
            expect_log "$h" "$want"
        done
        same_config runc xarch
        echo "config.json under handler xarch is handler runc's"
        ;;
    control)
        binfmt_state arm64 none
        pod runc arm64-busybox:1 c1 -- uname -m
        [ "$(field c1 exit_code)" != 0 ] || fail "the arm64 pod ran under handler runc with nothing registered"
        field c1 log | grep -q 'exec format error' || fail "pod c1's log does not say exec format error: $(field c1 log)"
        [ ! -e $BINFMT/qemu-aarch64 ] || fail "handler runc registered qemu-aarch64"
        ;;
    exit1)
        binfmt_state arm64 debian
        before=$(ls $BINFMT)
        pod xarch arm64-busybox:1 e1 -- sh -c 'uname -m; exit 1'
        expect_log e1 aarch64
        [ "$(field e1 exit_code)" = 1 ] || fail "exit code $(field e1 exit_code), expected 1"
        [ "$(field e1 reason)" = Error ] || fail "reason '$(field e1 reason)', expected Error"
        grep -q 'poststop' "$WORK/xarch.log" || fail "xarch-hook poststop did not run"
        left=$(find "$WORK/state" -mindepth 1 ! -name '.lock' ! -type d)
        [ -z "$left" ] || { cat $left; tail -n 30 "$WORK/xarch.log"; fail "xarch left records: $left"; }
        ! ns grep -q qemu /proc/self/mountinfo || fail "an emulator mount is left: $(ns grep qemu /proc/self/mountinfo)"
        [ "$(ls $BINFMT)" = "$before" ] || fail "binfmt_misc changed: $(ls $BINFMT)"
        [ -z "$(ls "$bundles/k8s.io" 2>/dev/null)" ] || fail "bundles are left: $(ls "$bundles/k8s.io")"
        ;;
    node)
        command -v podman >/dev/null || skip "podman is not installed (scripts/build-image.sh)"
        $PY -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
        binfmt_state arm64 none
        # The node's /opt is a tmpfs of the namespace: containerd's BinaryName and the emulators
        # the agent registers are at the same path in the pod and on the node.
        ns mount -t tmpfs -o mode=0755 xarch-test-opt /opt || fail "cannot mount /opt in the namespace"
        PODMAN="podman --root $WORK/storage --runroot $WORK/runroot --storage-driver overlay" \
            "$SRC/scripts/build-image.sh" --build-dir "$XARCH_BUILD_DIR" --cache "$XARCH_BUNDLE_CACHE" \
            --output "oci-archive:$WORK/xarch.tar" > "$WORK/tag" || fail "build-image.sh failed"
        podman --root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver overlay rmi -af >/dev/null 2>&1
        umount -R "$WORK/storage/overlay" 2>/dev/null || true
        ctr -a "$sock" -n k8s.io images import "$WORK/xarch.tar" >/dev/null || fail "ctr images import xarch.tar failed"
        # The DaemonSet's pod as the kubelet makes it (xarch.yaml: command, env, privileged,
        # hostPID, hostPath volumes; /etc under the test's node directory).
        # shellcheck disable=SC2046
        set -- $(ns $PY "$SRC/tests/integration/k8s_pod.py" cri-args "$SRC/packaging/kubernetes/xarch.yaml" "$WORK/node" /opt/xarch)
        pod runc "$(cat "$WORK/tag" | sed 's|^localhost/||')" agent --wait-log 'xarch-node: ready' "$@"
        grep -q '^ *BinaryName = "/opt/xarch/bin/xarch-runtime"$' "$config" || fail "the agent did not configure containerd: $(cat "$config")"
        [ -f $BINFMT/qemu-aarch64 ] && grep -q '^flags: .*F' $BINFMT/qemu-aarch64 || fail "the agent registered no F entry for aarch64"
        stop_daemon "$cpid"
        start_containerd
        pod xarch arm64-busybox:1 a1 -- uname -m
        expect_log a1 aarch64
        ;;
    bench)
        $PY "$SRC/tests/cri/cri.py" --socket "$sock" --proto-dir "$WORK/proto" bench --handler xarch --vs runc \
            --image localhost/amd64-busybox:1 --log-dir "$WORK/logs" --runs "${2:-20}" -- true || fail "the benchmark failed"
        exit 0
        ;;
    *) fail "unknown case $case" ;;
esac
echo "PASS: cri.$case ($(echo "$version" | $PY -c 'import json,sys; v=json.load(sys.stdin)["version"]; print(v["runtime"], v["runtime_version"], "CRI", v["api"])'))"
