#!/bin/sh
# Build a minimal OCI bundle (static busybox + runc config.json) for any Debian
# architecture, so xarch can be tested against real foreign-arch binaries
# without multiarch on the host. See README.md next to this file.
set -eu

usage() {
    echo "usage: make-bundle.sh [--cache DIR] [--args 'CMD ARG...'] ARCH OUTDIR [CMD [ARG...]]
  ARCH: amd64 i386 arm64 armhf armel ppc64el s390x mips64el (see README.md)" >&2
    exit 2
}
die() { echo "make-bundle.sh: $*" >&2; exit 1; }

CACHE=${XARCH_BUNDLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xarch-test-bundles}
ARGS_STR=${XARCH_BUNDLE_ARGS:-uname -m}
while [ $# -gt 0 ]; do
    case $1 in
        --cache) [ $# -ge 2 ] || usage; CACHE=$2; shift 2 ;;
        --args) [ $# -ge 2 ] || usage; ARGS_STR=$2; shift 2 ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || usage
ARCH=$1 OUTDIR=$2; shift 2
case $ARCH in
    amd64|i386|arm64|armhf|armel|ppc64el|s390x|mips64el) ;;
    *) die "unsupported ARCH '$ARCH'" ;;
esac
# No trailing command given: word-split the string form (globbing off so a '*'
# in it reaches the container verbatim).
# shellcheck disable=SC2086
if [ $# -eq 0 ]; then set -f; set -- $ARGS_STR; set +f; fi
[ $# -ge 1 ] || die "empty process args"

mkdir -p "$CACHE" "$OUTDIR"
CACHE=$(cd "$CACHE" && pwd)   # absolute: apt and we cd around below
OUTDIR=$(cd "$OUTDIR" && pwd)
BB=$CACHE/busybox/$ARCH/busybox
TMP=; trap '[ -z "$TMP" ] || rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# Downloads go through the project's one private apt state (scripts/fetch-debs.sh), which
# keeps each arch's state and .debs in $CACHE/apt/ARCH.
FETCH_DEBS=$(dirname "$0")/../scripts/fetch-debs.sh

fetch_busybox() {
    deb=$("$FETCH_DEBS" --cache "$CACHE" "$ARCH" busybox-static) || die "download failed for $ARCH"
    TMP=$(mktemp -d "$CACHE/tmp.XXXXXX")   # same fs as cache: mv is atomic
    dpkg-deb -x "$deb" "$TMP/x"
    mkdir -p "${BB%/*}"; cp "$TMP/x/bin/busybox" "$TMP/busybox"; chmod 755 "$TMP/busybox"
    mv -f "$TMP/busybox" "$BB"   # atomic, so the unlocked fast path is safe
    rm -rf "$TMP"; TMP=
}

# Warm path: no apt, no network. (An `if`, not `||`: set -e is off inside a function
# called as the left side of ||.)
if [ ! -x "$BB" ]; then fetch_busybox; fi

R=$OUTDIR/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc" "$R/usr/bin"; chmod 1777 "$R/tmp"
cp -f "$BB" "$R/bin/busybox"
for a in sh uname echo cat ls true false sleep env test [ printf pwd id \
         mkdir rm cp mv head grep wc hostname ps kill; do
    ln -sfn busybox "$R/bin/$a"
done

# runc refuses to overwrite an existing config.json; regenerate it so the
# bundle always matches this runc's defaults.
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}
rm -f "$OUTDIR/config.json"
(cd "$OUTDIR" && "$RUNC" spec)
# python3 rather than jq: it is present on every dev/CI machine already.
python3 -c '
import json, sys
path, args = sys.argv[1], sys.argv[2:]
spec = json.load(open(path))
spec["process"]["terminal"] = False
spec["process"]["args"] = args
spec["root"]["readonly"] = False
open(path, "w").write(json.dumps(spec, indent="\t") + "\n")
' "$OUTDIR/config.json" "$@"
