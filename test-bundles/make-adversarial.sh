#!/bin/sh
# Build an arm64 busybox bundle whose rootfs tries to make xarch-hook act outside it.
#   make-adversarial.sh [--cache DIR] KIND OUTDIR ESCAPE
# ESCAPE is a host directory the image points at; a correct hook never creates, opens for
# writing or mounts anything there. KINDs:
#   libexec-abs      /usr/libexec -> ESCAPE (absolute symlink)
#   libexec-dotdot   /usr/libexec -> ../../../../../../../../ESCAPE
#   target-symlink   /usr/libexec/qemu-binfmt/aarch64-binfmt-P -> ESCAPE/victim
#   target-dir       /usr/libexec/qemu-binfmt/aarch64-binfmt-P is a directory
#   entry-fifo       process.args[0] is a FIFO
#   entry-device     process.args[0] is a character device (1,3)
#   entry-escape     process.args[0] -> ESCAPE/../../bin/true (a host binary, outside)
#   entry-loop       process.args[0] is a symlink loop
#   shebang-loop     process.args[0] is a script whose interpreter is itself
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=""
if [ "${1:-}" = --cache ]; then cache="--cache $2"; shift 2; fi
[ $# -eq 3 ] || { echo "usage: make-adversarial.sh [--cache DIR] KIND OUTDIR ESCAPE" >&2; exit 2; }
kind=$1 out=$2 escape=$3
# shellcheck disable=SC2086
"$here/make-bundle.sh" $cache arm64 "$out" uname -m >/dev/null
r=$out/rootfs
set_args() {
    python3 - "$out/config.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = sys.argv[2:]
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
}
case $kind in
    libexec-abs) ln -s "$escape" "$r/usr/libexec" ;;
    libexec-dotdot) ln -s "../../../../../../../..$escape" "$r/usr/libexec" ;;
    target-symlink) mkdir -p "$r/usr/libexec/qemu-binfmt"; ln -s "$escape/victim" "$r/usr/libexec/qemu-binfmt/aarch64-binfmt-P" ;;
    target-dir) mkdir -p "$r/usr/libexec/qemu-binfmt/aarch64-binfmt-P" ;;
    entry-fifo) mkfifo "$r/bin/fifo"; chmod 755 "$r/bin/fifo"; set_args /bin/fifo ;;
    entry-device) mknod -m 755 "$r/bin/dev" c 1 3; set_args /bin/dev ;;
    entry-escape) ln -s "$escape/../../../../../../bin/true" "$r/bin/evil"; set_args /bin/evil ;;
    entry-loop) ln -s loop2 "$r/bin/loop1"; ln -s loop1 "$r/bin/loop2"; set_args /bin/loop1 ;;
    shebang-loop) printf '#!/bin/selfish\n' > "$r/bin/selfish"; chmod 755 "$r/bin/selfish"; set_args /bin/selfish ;;
    *) echo "make-adversarial.sh: unknown kind '$kind'" >&2; exit 2 ;;
esac
