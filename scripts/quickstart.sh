#!/bin/sh
# From a fresh Debian/Ubuntu machine to an arm64 container printing "aarch64": installs the
# build dependencies, builds and installs xarch (prefix /usr/local, or $PREFIX), then runs a
# busybox arm64 bundle under runc with xarch-hook as its prestart hook.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (installs packages, registers binfmt_misc)" >&2; exit 1; }
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_INSTALL_PREFIX="${PREFIX:-/usr/local}" >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
cmake --install build --strip >/dev/null
hook="${PREFIX:-/usr/local}/bin/xarch-hook"

demo=$(mktemp -d /tmp/xarch-demo.XXXXXX)
trap 'runc delete -f "xarch-demo-$$" >/dev/null 2>&1 || true; rm -rf "$demo"' EXIT
test-bundles/make-bundle.sh arm64 "$demo/bundle" uname -m >/dev/null
python3 - "$demo/bundle/config.json" "$hook" <<'PY'
import json, sys
path, hook = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["hooks"] = {"prestart": [{"path": hook, "args": ["xarch-hook", "prestart"]}],
                   "poststop": [{"path": hook, "args": ["xarch-hook", "poststop"]}]}
json.dump(config, open(path, "w"), indent=2)
PY
cd "$demo/bundle" && runc run "xarch-demo-$$"
