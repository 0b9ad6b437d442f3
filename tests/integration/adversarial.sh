#!/bin/sh
# adversarial.sh KIND: an arm64 image built to make xarch-hook act outside its rootfs
# (see test-bundles/make-adversarial.sh). binfmt_misc has Debian's execution-time entry
# (flags OP), so the hook must create and mount inside the rootfs. Whatever the image does:
# nothing changes in the host directory it points at, the hook ends in time, and either
# the container runs (the trap resolved inside the rootfs) or the hook fails with a message.
. "$(dirname "$0")/lib.sh"
kind=$1
command -v runc >/dev/null || skip "runc is not installed"
escape=$WORK/escape
mkdir -p "$escape"
echo "host file" > "$escape/victim"
bundle=$WORK/bundle
"$(dirname "$XARCH_MAKE_BUNDLE")/make-adversarial.sh" --cache "${XARCH_BUNDLE_CACHE:-$WORK/cache}" "$kind" "$bundle" "$escape" \
    || skip "cannot build the $kind bundle"
write_settings "$WORK/settings.json"
binfmt_state arm64 debian
snapshot_escape() { (cd "$escape" && find . -exec stat -c '%n %s %Y %i' {} + | sort; cat victim); }
snapshot_escape > "$WORK/escape.before"

case $kind in
    entry-*|shebang-*)
        # The entry point itself is the trap: runc could not exec it anyway, so run the hook
        # directly at precreate and check what it decided from the image's /bin/sh.
        start=$(date +%s)
        (cd "$bundle" && timeout 20 "$XARCH_HOOK" --config "$WORK/settings.json" precreate < config.json > "$WORK/out") \
            || fail "hook failed or hung on $kind"
        [ $(( $(date +%s) - start )) -lt 10 ] || fail "hook took too long on $kind"
        grep -q '/usr/libexec/qemu-binfmt/aarch64-binfmt-P' "$WORK/out" \
            || fail "$kind: the hook did not detect the arm64 image from /bin/sh (it looked outside?)"
        ;;
    *)
        set_hooks "$bundle" "$WORK/settings.json" prestart poststop
        if run_container "$bundle" "xarch-adv-$$"; then
            [ "$(cat "$WORK/out")" = aarch64 ] || fail "$kind: container printed '$(cat "$WORK/out")'"
        else
            grep -q "xarch-hook" "$WORK/err" || fail "$kind: container failed without a message from xarch-hook"
            echo "container refused with: $(grep xarch-hook "$WORK/err" | head -1)"
        fi
        ;;
esac
snapshot_escape > "$WORK/escape.after"
diff "$WORK/escape.before" "$WORK/escape.after" || fail "$kind: the host directory changed"
mount | grep -q "$escape" && fail "$kind: something is mounted in the host directory"
echo "PASS: $kind stayed inside the rootfs"
