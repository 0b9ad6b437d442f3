#!/bin/sh
# packaging.sh: the runtime snippets and hooks.d files xarch installs are well-formed and say
# what README.md says: containerd's loader accepts xarch.toml with BinaryName, daemon.json
# and the hooks.d entries are valid JSON pointing at the installed binaries.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
p=${XARCH_PACKAGING:?run through ctest}
for f in "$p/docker/daemon.json" "$p"/hooks.d/*.json; do
    python3 -m json.tool "$f" >/dev/null || fail "$f is not valid JSON"
done
python3 - "$p" <<'PY' || fail "hooks.d or daemon.json content"
import json, sys, os
p = sys.argv[1]
d = json.load(open(os.path.join(p, "docker/daemon.json")))
assert d["runtimes"]["xarch"]["path"].endswith("/xarch-runtime"), d
for stage in ("precreate", "prestart", "poststop"):
    h = json.load(open(os.path.join(p, "hooks.d/xarch-%s.json" % stage)))
    assert h["version"] == "1.0.0" and h["stages"] == [stage], h
    assert h["hook"]["path"].endswith("/xarch-hook") and h["hook"]["args"] == ["xarch-hook", stage], h
    assert h["when"] == {"always": True} and h["hook"]["timeout"] > 0, h
PY
if command -v containerd >/dev/null; then
    containerd --config "$p/containerd/xarch.toml" config dump > "${TMPDIR:-/tmp}/xarch-containerd-dump.$$" \
        || fail "containerd rejects xarch.toml"
    grep -q 'BinaryName = ".*/xarch-runtime"' "${TMPDIR:-/tmp}/xarch-containerd-dump.$$" \
        || fail "containerd's view of xarch.toml has no BinaryName"
    rm -f "${TMPDIR:-/tmp}/xarch-containerd-dump.$$"
else
    echo "containerd not installed: xarch.toml not checked"
fi
grep -q '^handler: xarch$' "$(dirname "$0")/../../packaging/kubernetes/runtimeclass.yaml" || fail "RuntimeClass handler"
echo "PASS: packaging snippets"
