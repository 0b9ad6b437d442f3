#!/bin/sh
# containerd_shim.sh ARCH STATE: a containerd of the test's own runs an ARCH busybox image
# (an OCI image layout packed by tests/tools/oci_image.py) with
# `ctr run --runc-binary xarch-runtime` and prints its `uname -m`, from binfmt_misc state STATE.
. "$(dirname "$0")/lib.sh"
arch=$1 state=$2
command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd is not installed"
[ -n "${XARCH_RUNTIME:-}" ] || fail "XARCH_RUNTIME is not set; run through ctest"
want=$(expected_machine "$arch")
make_bundle "$arch" "$WORK/bundle"
case $arch in
    armhf) oci_arch=arm variant=v7 ;; ppc64el) oci_arch=ppc64le variant= ;; *) oci_arch=$arch variant= ;;
esac
python3 "$(dirname "$0")/../tools/oci_image.py" "$WORK/bundle/rootfs" "$WORK/image.tar" xarch-test:latest $oci_arch $variant

sock=$WORK/containerd.sock
containerd_config "$sock" > "$WORK/containerd.toml"
test_cleanup() {
    ctr -a "$sock" -n xarch-test tasks kill -s KILL c1 >/dev/null 2>&1
    ctr -a "$sock" -n xarch-test containers rm c1 >/dev/null 2>&1
    pkill -f "containerd-shim-runc-v2 -namespace xarch-test -address $sock" 2>/dev/null
    stop_daemon "${cpid:-}"
}
cat > "$WORK/xarch.json" <<JSON
{"hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug"}
JSON
XARCH_CONFIG="$WORK/xarch.json" containerd --config "$WORK/containerd.toml" > "$WORK/containerd.log" 2>&1 &
cpid=$!
c() { ctr -a "$sock" -n xarch-test "$@"; }
wait_for 30 c version || { tail -20 "$WORK/containerd.log"; fail "containerd did not start"; }
c images import --all-platforms "$WORK/image.tar" >/dev/null || fail "ctr images import failed"
binfmt_state "$arch" "$state"
platform=linux/$oci_arch${variant:+/$variant}
if ! got=$(timeout 120 ctr -a "$sock" -n xarch-test run --rm --platform "$platform" --runc-binary "$XARCH_RUNTIME" \
        docker.io/library/xarch-test:latest c1 uname -m 2>"$WORK/err"); then
    cat "$WORK/err"; tail -20 "$WORK/containerd.log"
    fail "ctr run --runc-binary xarch-runtime of the $arch image failed in binfmt state '$state'"
fi
[ "$got" = "$want" ] || fail "$arch under containerd ('$state'): uname -m printed '$got', expected '$want'"
echo "PASS: $arch under containerd with xarch-runtime in binfmt state '$state' printed '$got'"
