#!/bin/sh
# fetch-debs.sh --cache DIR [--suite SUITE] ARCH PKG...: Debian bookworm .debs (or SUITE's: trixie,
# sid) of any architecture, downloaded once through a private apt state under DIR/apt/ARCH
# (DIR/apt/SUITE-ARCH for another suite) and kept in its debs/. Prints
# the path of each package's .deb, one a line, in the order asked. No multiarch, no
# `dpkg --add-architecture`, and the machine's apt configuration is read, never changed.
# A package already in the cache costs no apt call and no network; a flock on DIR/lock makes
# parallel callers safe. Used for test bundles (test-bundles/make-bundle.sh), the arm64
# sysroot (scripts/build-arm64.sh), the arm64 host lane (tests/arm64-host/) and, with --suite,
# the distro-host lane (tests/distro-host/).
set -eu

usage() { echo "usage: fetch-debs.sh --cache DIR [--suite SUITE] ARCH PKG..." >&2; exit 2; }
die() { echo "fetch-debs.sh: $*" >&2; exit 1; }

CACHE=
SUITE=bookworm
while [ $# -gt 0 ]; do
    case $1 in
        --cache) [ $# -ge 2 ] || usage; CACHE=$2; shift 2 ;;
        --suite) [ $# -ge 2 ] || usage; SUITE=$2; shift 2 ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
if [ -z "$CACHE" ] || [ $# -lt 2 ]; then usage; fi
ARCH=$1; shift
case $ARCH in *[!a-z0-9]*|'') die "bad architecture '$ARCH'" ;; esac
case $SUITE in *[!a-z]*|'') die "bad suite '$SUITE'" ;; esac

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)   # absolute: apt runs in other directories below
# One apt state per arch: an update with APT::Architectures=X prunes list files of other
# arches, so a shared state would thrash between parallel callers.
S=$CACHE/apt/$ARCH
[ "$SUITE" = bookworm ] || S=$CACHE/apt/$SUITE-$ARCH
TMP=; trap '[ -z "$TMP" ] || rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# cached PKG: the newest cached .deb of PKG (this arch or arch-independent), or nothing.
cached() {
    for f in "$S/debs/$1"_*_"$ARCH".deb "$S/debs/$1"_*_all.deb; do
        [ -f "$f" ] && echo "$f"
    done | sort -V | tail -n 1
}

# Private apt config, passed via APT_CONFIG because Dir::Etc::Parts is read before any -o
# option is parsed. Replacing the parts dir keeps the host's Post-Invoke hooks (appstream,
# packagekit) from firing on our private update; the host's Acquire settings (proxies,
# Check-Valid-Until for snapshot-served mirrors) are copied because without them the download
# may not work here. No *pkgcache.bin (70 MB per arch for a few apt calls); Sandbox::User
# root: _apt cannot enter a cache under /root (apt would still work but warn on every call).
write_apt_config() {
    mkdir -p "$S/etc/apt.conf.d" "$S/etc/sources.list.d" "$S/state/lists/partial" \
             "$S/cache/archives/partial" "$S/debs"
    apt-config dump Acquire | grep -v '^Acquire::IndexTargets' >"$S/etc/apt.conf.d/host"
    : > "$S/state/status"   # empty dpkg status: the machine's packages are irrelevant
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
    write_sources "$S/etc/sources.list.d"
    # Another suite from the same mirrors: bookworm-updates becomes trixie-updates and so on
    # (one that does not exist, such as sid-security, only warns at update).
    if [ "$SUITE" != bookworm ]; then
        sed -i "s/bookworm/$SUITE/g" "$S/etc/sources.list.d/host.list" "$S/etc/sources.list.d/host.sources"
    fi
}

# Reuse the machine's own bookworm mirrors (the only network reachable may be a specific
# mirror). Binary entries only; arch restrictions are dropped because they name the machine's
# arch, which would filter out the one we want.
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
        # The machine is not bookworm: fall back to the canonical archive.
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
             "http://deb.debian.org/debian bookworm main" > "$1/host.list"
    fi
}

papt() { APT_CONFIG=$S/etc/apt.conf apt-get -q "$@" >&2; }

# The exit status only warns: the mirror has been seen mid-sync for bookworm-security on
# some arches while bookworm/main was fine. Whether the download then works is what decides.
apt_update() {
    papt update || echo "fetch-debs.sh: apt-get update had errors ($ARCH)" >&2
    touch "$S/updated.stamp"
}

# Into a scratch dir first: a killed download must never look like a cached .deb.
download() {
    rm -rf "$TMP/dl"; mkdir -p "$TMP/dl"
    (cd "$TMP/dl" && papt download "$@") || return 1
    mv "$TMP/dl"/*.deb "$S/debs/"
}

missing() {
    for p; do [ -n "$(cached "$p")" ] || echo "$p"; done
}

# Warm path: no lock, no apt, no network (a cached .deb was moved in whole).
want=$(missing "$@")
if [ -n "$want" ]; then
    exec 9>>"$CACHE/lock"
    flock 9   # held until exit; serialises all writers of this cache
    want=$(missing "$@")   # another caller may have fetched them while we waited
    if [ -n "$want" ]; then
        TMP=$(mktemp -d "$CACHE/tmp.XXXXXX")   # same file system as the cache: mv is atomic
        write_apt_config
        [ -e "$S/updated.stamp" ] || apt_update
        # A stale index names a .deb the mirror has dropped: refresh once.
        # shellcheck disable=SC2086
        download $want || { apt_update; download $want; } || die "download failed for $ARCH:" $want
        rm -rf "$TMP"; TMP=
    fi
fi
for p; do
    f=$(cached "$p")
    [ -n "$f" ] || die "$p ($ARCH) is not in the cache after downloading"
    # Guard against a wrong APT::Architecture quietly giving us the machine's own package.
    a=$(dpkg-deb -f "$f" Architecture)
    [ "$a" = "$ARCH" ] || [ "$a" = all ] || die "$f is $a, not $ARCH"
    echo "$f"
done
