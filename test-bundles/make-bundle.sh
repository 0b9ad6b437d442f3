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

# One apt state per arch: an update with APT::Architectures=X prunes list files
# of other arches, so a shared state would thrash between parallel callers.
S=$CACHE/apt/$ARCH

# Private apt config, passed via APT_CONFIG because Dir::Etc::Parts is read
# before any -o option is parsed. Replacing the parts dir keeps the host's
# Post-Invoke hooks (appstream, packagekit) from firing on our private update;
# the host's Acquire settings (proxies, Check-Valid-Until for snapshot-served
# mirrors) are copied because without them the download may not work here.
write_apt_config() {
    mkdir -p "$S/etc/apt.conf.d" "$S/etc/sources.list.d" "$S/state/lists/partial" \
             "$S/cache/archives/partial" "$S/debs"
    apt-config dump Acquire | grep -v '^Acquire::IndexTargets' >"$S/etc/apt.conf.d/host"
    : > "$S/state/status"   # empty dpkg status: host packages are irrelevant
    cat > "$S/etc/apt.conf" <<EOF
Dir::Etc::Parts "$S/etc/apt.conf.d";
Dir::Etc::Main "$S/etc/none.conf";
Dir::Etc::SourceList "$S/etc/none.list";
Dir::Etc::SourceParts "$S/etc/sources.list.d";
Dir::State "$S/state";
Dir::State::status "$S/state/status";
Dir::Cache "$S/cache";
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
APT::Architecture "$ARCH";
APT::Architectures { "$ARCH"; };
APT::Sandbox::User "root";
EOF
    # No *pkgcache.bin: 70 MB per arch on disk for two apt calls per arch.
    # Sandbox::User root: _apt cannot enter a cache under /root; apt would
    # still work but warn on every call.
    write_sources "$S/etc/sources.list.d"
}

# Reuse the host's own bookworm mirrors (the only network reachable may be a
# specific mirror). Binary entries only; arch restrictions are dropped because
# they name the host arch, which would filter out the one we want.
write_sources() {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n -e 's/arch[-+]\{0,1\}=[^][:space:]]*[[:space:]]*//' \
               -e 's/\[[[:space:]]*\][[:space:]]*//' \
               -e '/^[[:space:]]*deb[[:space:]].*bookworm/p' "$f"
    done > "$1/host.list"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/ && /(^|\n)Suites:[^\n]*bookworm/ &&
             !/(^|\n)Enabled:[ \t]*[Nn][Oo]/' "$f"
    done | grep -v -i '^Architectures:' | sed 's/^Types:.*/Types: deb/' > "$1/host.sources"
    if [ ! -s "$1/host.list" ] && [ ! -s "$1/host.sources" ]; then
        # Host is not bookworm: fall back to the canonical archive.
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
             "http://deb.debian.org/debian bookworm main" > "$1/host.list"
    fi
}

papt() { APT_CONFIG=$S/etc/apt.conf apt-get -q "$@" >&2; }

# Exit status only warns: this mirror has been seen mid-sync for
# bookworm-security on some arches while bookworm/main (busybox-static) was
# fine. Whether the download then works is what decides.
apt_update() {
    papt update || echo "make-bundle.sh: apt-get update had errors ($ARCH)" >&2
    touch "$S/updated.stamp"
}

download_deb() {
    # Into a scratch dir first: a killed download must never look like a
    # cached .deb to the next caller.
    rm -rf "$TMP/dl"; mkdir -p "$TMP/dl"
    (cd "$TMP/dl" && papt download "busybox-static:$ARCH") || return 1
    mv "$TMP/dl"/busybox-static_*.deb "$S/debs/"
}

fetch_busybox() {
    exec 9>>"$CACHE/lock"
    flock 9                   # held until exit; serialises all cache writers
    [ -x "$BB" ] && return 0  # another caller filled it while we waited
    TMP=$(mktemp -d "$CACHE/tmp.XXXXXX")   # same fs as cache: mv is atomic
    write_apt_config
    set -- "$S/debs"/busybox-static_*_"$ARCH".deb
    if [ ! -f "$1" ]; then
        [ -e "$S/updated.stamp" ] || apt_update
        # A stale index names a .deb the mirror has dropped: refresh once.
        download_deb || { apt_update; download_deb; } || die "download failed for $ARCH"
        set -- "$S/debs"/busybox-static_*_"$ARCH".deb
    fi
    # Guard against a wrong APT::Architecture quietly giving us the host's deb.
    [ "$(dpkg-deb -f "$1" Architecture)" = "$ARCH" ] || die "$1 is not $ARCH"
    dpkg-deb -x "$1" "$TMP/x"
    mkdir -p "${BB%/*}"; cp "$TMP/x/bin/busybox" "$BB.tmp"; chmod 755 "$BB.tmp"
    mv -f "$BB.tmp" "$BB"     # atomic, so the unlocked fast path is safe
    rm -rf "$TMP"; TMP=
}

# Warm path: no lock, no apt, no network. (An `if`, not `||`: set -e is off
# inside a function called as the left side of ||.)
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
