#!/bin/sh
# runc_inject.sh STATE: `xarch inject` adds the hook to a plain arm64 bundle, and `runc run`
# then prints aarch64 from binfmt_misc state STATE; injecting again changes nothing.
. "$(dirname "$0")/lib.sh"
state=$1
command -v runc >/dev/null || skip "runc is not installed"
[ -n "${XARCH_CLI:-}" ] || fail "XARCH_CLI is not set; run through ctest"
bundle=$WORK/bundle
# The injected hook runs with the machine's default settings, so its records go to /run/xarch:
# taken away again if this test made it.
if [ -e /run/xarch ]; then made_run_xarch=; else made_run_xarch=1; fi
test_cleanup() { if [ -n "$made_run_xarch" ]; then rm -rf /run/xarch; fi; return 0; }
make_bundle arm64 "$bundle"
write_settings "$WORK/settings.json"
"$XARCH_CLI" inject --hook "$XARCH_HOOK" "$bundle" || fail "xarch inject failed"
cp "$bundle/config.json" "$WORK/injected"
"$XARCH_CLI" inject --hook "$XARCH_HOOK" "$bundle" | grep -q "already there" || fail "second inject did not say so"
cmp "$bundle/config.json" "$WORK/injected" || fail "second inject changed config.json"
python3 - "$bundle/config.json" "$XARCH_HOOK" <<'PY' || fail "hooks not as expected"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["hooks"]["prestart"] == [{"path": sys.argv[2], "args": ["xarch-hook", "prestart"]}], c["hooks"]
assert c["hooks"]["poststop"] == [{"path": sys.argv[2], "args": ["xarch-hook", "poststop"]}], c["hooks"]
assert c["process"]["args"] == ["uname", "-m"]
PY
binfmt_state arm64 "$state"
run_container "$bundle" "xarch-inject-$$" || fail "runc run after xarch inject failed in state '$state'"
[ "$(cat "$WORK/out")" = aarch64 ] || fail "printed '$(cat "$WORK/out")'"
echo "PASS: xarch inject + runc run in state '$state' printed aarch64"
