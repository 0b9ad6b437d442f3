#!/bin/sh
# hook_fail.sh CASE: a foreign container xarch cannot make runnable stops with one clear
# message from xarch-hook (image platform, host platform, what is missing, the fix) instead
# of a bare "exec format error"; the runtime shows it to the user.
#   policy-fail: nothing registered and policy "fail"
#   disabled:    Debian's entry registered but disabled
#   no-emulator: nothing registered and no emulator in the configured directories
. "$(dirname "$0")/lib.sh"
case=$1
command -v runc >/dev/null || skip "runc is not installed"
bundle=$WORK/bundle
make_bundle arm64 "$bundle"
host=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
mkdir -p "$WORK/state" "$WORK/empty"
policy=register dirs='"/usr/bin", "/usr/libexec/qemu-binfmt"'
case $case in
    policy-fail) binfmt_state arm64 none; policy=fail; want='register one: xarch install arm64' ;;
    disabled) binfmt_state arm64 F; echo 0 > $BINFMT/qemu-aarch64; want='is disabled; enable it: echo 1 > /proc/sys/fs/binfmt_misc/qemu-aarch64' ;;
    no-emulator) binfmt_state arm64 none; dirs="\"$WORK/empty\""; want='apt-get install qemu-user-static' ;;
    *) fail "unknown case $case" ;;
esac
cat > "$WORK/settings.json" <<JSON
{"policy": "$policy", "emulator_dirs": [$dirs], "state_dir": "$WORK/state"}
JSON
set_hooks "$bundle" "$WORK/settings.json" prestart
if run_container "$bundle" "xarch-fail-$$" >/dev/null; then fail "$case: the container ran"; fi
grep -q "xarch-hook: error: cannot run linux/arm64 image on linux/$host host" "$WORK/err" \
    || { cat "$WORK/err"; fail "$case: no clear message naming both platforms"; }
grep -qF "$want" "$WORK/err" || { cat "$WORK/err"; fail "$case: the message does not say '$want'"; }
[ "$(grep -c 'xarch-hook: error' "$WORK/err")" -le 2 ] || fail "$case: more than one message"
echo "PASS: $case: $(grep -o 'xarch-hook: error: [^\\]*' "$WORK/err" | head -1)"
