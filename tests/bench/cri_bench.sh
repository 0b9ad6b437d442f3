#!/bin/sh
# cri_bench.sh BUILD_DIR [RUNS]: pod start to container running through containerd's CRI API
# (RunPodSandbox to StartContainer's answer), runtime handler xarch vs runc, native busybox
# image, alternately in one run (tests/cri/cri.sh bench on a containerd of its own); prints the
# medians and their ratio (target <= 1.02). As root, with containerd, protoc and python3-grpcio.
set -eu
[ $# -ge 1 ] || { echo "usage: cri_bench.sh BUILD_DIR [RUNS]" >&2; exit 2; }
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
export XARCH_HOOK="$build/hook/xarch-hook" XARCH_RUNTIME="$build/shim/xarch-runtime" XARCH_CLI="$build/cli/xarch" \
       XARCH_BINFMT_SNAPSHOT="$build/tests/binfmt_snapshot" XARCH_MAKE_BUNDLE="$src/test-bundles/make-bundle.sh" \
       XARCH_BUNDLE_CACHE="$build/bundle-cache" XARCH_BUILD_DIR="$build"
exec "$src/tests/cri/cri.sh" bench "${2:-20}"
