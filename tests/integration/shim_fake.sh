#!/bin/sh
# shim_fake.sh: xarch-runtime in front of a fake runtime that records its argv and the
# config.json it was handed. Proves passthrough (same argv, exit status and stdout, nothing
# written by the wrapper to stdout), the rewrite on create/run, idempotence, and that a
# native bundle's config.json stays byte-for-byte identical.
. "$(dirname "$0")/lib.sh"
[ -n "${XARCH_RUNTIME:-}" ] || fail "XARCH_RUNTIME is not set; run through ctest"
fake=$WORK/fake-runc
cat > "$fake" <<FAKE
#!/bin/sh
printf '%s\n' "\$@" > "$WORK/argv"
bundle=.
prev=
for a in "\$@"; do
    case \$prev in --bundle|-b) bundle=\$a ;; esac
    case \$a in --bundle=*) bundle=\${a#--bundle=} ;; esac
    prev=\$a
done
[ -f "\$bundle/config.json" ] && cp "\$bundle/config.json" "$WORK/seen.json"
echo FAKE
exit \${FAKE_EXIT:-0}
FAKE
chmod 755 "$fake"
cat > "$WORK/xarch.json" <<JSON
{"runtimes": ["$fake"], "hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug"}
JSON
export XARCH_CONFIG="$WORK/xarch.json"
shim() { "$XARCH_RUNTIME" "$@"; }
expect_argv() {
    printf '%s\n' "$@" > "$WORK/want"
    diff "$WORK/want" "$WORK/argv" || fail "the real runtime got other arguments"
}

# Passthrough: other subcommands, global flags, exit status, stdout.
out=$(FAKE_EXIT=42 shim --root /run/x --log "$WORK/log.json" --log-format json state some-id) && fail "exit status lost" || rc=$?
[ "$rc" = 42 ] || fail "exit status $rc, expected 42"
[ "$out" = FAKE ] || fail "stdout was '$out', expected only the runtime's"
expect_argv --root /run/x --log "$WORK/log.json" --log-format json state some-id

# --version: the wrapper's own line, then the real runtime's output, which gets the same argv.
out=$(shim --version)
version=$("$XARCH_HOOK" --version)
[ "$out" = "xarch-runtime ${version#xarch-hook } (running $fake)
FAKE" ] || fail "--version printed '$out'"
expect_argv --version
out=$(shim -v) && [ "$(echo "$out" | tail -1)" = FAKE ] && echo "$out" | grep -q '^xarch-runtime ' || fail "-v printed '$out'"
# A subcommand's own --version flag is passed through untouched, with nothing of ours.
out=$(shim state --version)
[ "$out" = FAKE ] || fail "'state --version' printed '$out'"

# Native bundle: untouched, byte for byte.
make_bundle amd64 "$WORK/native"
cp "$WORK/native/config.json" "$WORK/native.before"
out=$(shim --systemd-cgroup create --bundle "$WORK/native" --pid-file "$WORK/pid" native-id)
[ "$out" = FAKE ] || fail "stdout '$out'"
cmp "$WORK/native/config.json" "$WORK/native.before" || fail "native config.json changed"
expect_argv --systemd-cgroup create --bundle "$WORK/native" --pid-file "$WORK/pid" native-id

# Foreign bundle, execution-time registration: the mount appears in config.json, once.
make_bundle arm64 "$WORK/arm64"
python3 - "$WORK/arm64/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["x-unknown-field"] = {"kept": True}
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_AARCH64"],
                         "syscalls": [{"names": ["getpid", "no_such_syscall"], "action": "SCMP_ACT_ALLOW"}]}
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
binfmt_state arm64 debian
(cd "$WORK/arm64" && shim --log "$WORK/log.json" --log-format json run arm-id >/dev/null)
expect_argv --log "$WORK/log.json" --log-format json run arm-id
python3 - "$WORK/seen.json" "$XARCH_HOOK" <<'PY' || fail "config.json was not rewritten as expected"
import json, sys
c = json.load(open(sys.argv[1]))
mounts = [m for m in c["mounts"] if m["destination"] == "/usr/libexec/qemu-binfmt/aarch64-binfmt-P"]
assert len(mounts) == 1 and mounts[0]["type"] == "bind", mounts
assert set(["ro", "nosuid", "nodev"]) <= set(mounts[0]["options"]), mounts
assert c["x-unknown-field"] == {"kept": True}
assert "SCMP_ARCH_X86_64" in c["linux"]["seccomp"]["architectures"], c["linux"]["seccomp"]
assert any(h["path"] == sys.argv[2] for h in c["hooks"]["poststop"])
PY
grep -q '"level":"warning","msg":"seccomp: the host does not know system call .no_such_syscall' "$WORK/log.json" \
    || { cat "$WORK/log.json"; fail "no JSON warning about the unknown syscall in --log"; }
cp "$WORK/arm64/config.json" "$WORK/arm64.once"
(cd "$WORK/arm64" && shim create -b . arm-id2 >/dev/null)
cmp "$WORK/arm64/config.json" "$WORK/arm64.once" || fail "a second create changed config.json again"

# log_file in the configuration: the wrapper writes there too (with runc's --log, and without it,
# as Docker and containerd call it both ways), with timestamps and pids; --log keeps its JSON lines.
cat > "$WORK/xarch.json" <<JSON
{"runtimes": ["$fake"], "hook": "$XARCH_HOOK", "state_dir": "$WORK/state", "log_level": "debug", "log_file": "$WORK/xarch.log"}
JSON
make_bundle arm64 "$WORK/arm64-log"
rm -f "$WORK/log.json"
(cd "$WORK/arm64-log" && shim --log "$WORK/log.json" --log-format json create log-id >/dev/null)
grep -q 'xarch-runtime\[[0-9]*\] debug: .*aarch64-binfmt-P' "$WORK/xarch.log" \
    || { cat "$WORK/xarch.log"; fail "xarch-runtime wrote no decision to the configuration's log_file"; }
grep -q '"level":"debug","msg":' "$WORK/log.json" || { cat "$WORK/log.json"; fail "--log lost its JSON lines"; }
lines=$(wc -l < "$WORK/xarch.log")
(cd "$WORK/arm64-log" && shim create log-id2 >/dev/null 2>"$WORK/stderr")
[ "$(wc -l < "$WORK/xarch.log")" -gt "$lines" ] || fail "without --log, nothing was added to log_file"
grep -q 'xarch-runtime: debug: ' "$WORK/stderr" || { cat "$WORK/stderr"; fail "without --log, stderr lost the messages"; }

# A foreign image that cannot run: one clear message, non-zero, the runtime never called.
rm -f "$WORK/argv"
cat > "$WORK/xarch.json" <<JSON
{"runtimes": ["$fake"], "policy": "fail", "state_dir": "$WORK/state"}
JSON
binfmt_state arm64 none
make_bundle arm64 "$WORK/arm64b"
if err=$(shim create --bundle "$WORK/arm64b" id3 2>&1 >/dev/null); then fail "an unrunnable image was passed on"; fi
echo "$err" | grep -q "cannot run linux/arm64 image on linux/amd64 host" || fail "unclear message: $err"
[ ! -e "$WORK/argv" ] || fail "the runtime was called for an unrunnable image"
echo "PASS: passthrough, rewrite, idempotence, native untouched, clear failure"
