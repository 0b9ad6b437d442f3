#!/bin/sh
# concurrent_register.sh: eight hooks for arm64 containers start at once with nothing
# registered. Every one must succeed (the losers of the registration race see EEXIST, look
# again and find the winner's F entry), and exactly one entry must exist afterwards.
. "$(dirname "$0")/lib.sh"
make_bundle arm64 "$WORK/bundle"
write_settings "$WORK/settings.json"
binfmt_state arm64 none
pids=""
for i in 1 2 3 4 5 6 7 8; do
    (cd "$WORK/bundle" && timeout 30 "$XARCH_HOOK" --config "$WORK/settings.json" precreate < config.json \
        > "$WORK/out.$i" 2> "$WORK/err.$i"; echo $? > "$WORK/rc.$i") &
    pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
for i in 1 2 3 4 5 6 7 8; do
    [ "$(cat "$WORK/rc.$i")" = 0 ] || { cat "$WORK/err.$i"; fail "hook $i failed"; }
    cmp -s "$WORK/out.$i" "$WORK/bundle/config.json" || fail "hook $i changed a config that an F entry covers"
done
entries=$(ls $BINFMT | grep -c '^qemu-aarch64$' || true)
[ "$entries" = 1 ] || fail "expected one qemu-aarch64 entry, found $entries"
grep -q '^flags: .*F' $BINFMT/qemu-aarch64 || fail "the entry has no F flag"
registered=$(grep -h "registered binfmt_misc handler" "$WORK/hook.log" | wc -l)
echo "PASS: 8 concurrent hooks, $registered registration(s) written, one entry"
