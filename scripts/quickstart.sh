#!/bin/sh
# quickstart.sh [--undo]: from a fresh Debian/Ubuntu machine to an arm64 container printing
# "aarch64". Installs what the build and the demo need (scripts/install-deps.sh --quickstart),
# builds xarch without its tests in build-quickstart/ (or $XARCH_QUICKSTART_BUILD), installs it
# under /usr/local (or $PREFIX), then runs an arm64 busybox bundle under runc with xarch-hook as
# its prestart hook (`xarch inject`). At the end it says what it left on the machine and how to
# remove each part; `quickstart.sh --undo` removes all of it but the Debian packages.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
build=${XARCH_QUICKSTART_BUILD:-build-quickstart}
prefix=${PREFIX:-/usr/local}
state=$build/quickstart.state   # what the last run left, for --undo
records=/run/xarch/registrations

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (it installs packages and may register binfmt_misc)" >&2; exit 1; }

undo() {
    [ -f "$state" ] || { echo "quickstart: nothing to undo ($state is missing)"; return 0; }
    registered=$(sed -n 's/^registered=//p' "$state")
    uprefix=$(sed -n 's/^prefix=//p' "$state")
    # Only an entry the demo's hook registered, and only while it is still xarch's record.
    if [ -n "$registered" ] && [ -f "$records/$registered" ]; then
        "$uprefix/bin/xarch" uninstall "$registered" || echo "quickstart: could not remove binfmt_misc entry $registered" >&2
    fi
    if [ -f "$build/install_manifest.txt" ]; then
        # cmake writes the manifest without a final newline.
        while IFS= read -r f || [ -n "$f" ]; do
            case $f in "$uprefix"/*) rm -f "$f"; echo "removed $f" ;; esac
        done < "$build/install_manifest.txt"
        # Directories the install made and left empty (share/xarch and its subdirectories).
        for d in "$uprefix/share/xarch/docker" "$uprefix/share/xarch/containerd" "$uprefix/share/xarch/kubernetes" \
                 "$uprefix/share/xarch/hooks.d" "$uprefix/share/xarch" "$uprefix/share/doc/xarch" "$uprefix/share/containers/oci/hooks.d" \
                 "$uprefix/share/containers/oci" "$uprefix/share/containers"; do
            rmdir "$d" 2>/dev/null || true
        done
    fi
    rm -f "$state"
    echo "quickstart: undone (the Debian packages it installed stay; see its last run's output)"
}
if [ "${1:-}" = --undo ]; then undo; exit 0; fi
[ $# -eq 0 ] || { echo "usage: quickstart.sh [--undo]" >&2; exit 2; }

t0=$(date +%s)
packages=$(scripts/install-deps.sh --quickstart --missing)
scripts/install-deps.sh --quickstart
echo "quickstart: building xarch in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DXARCH_TESTS=OFF -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1 || { cat "$build/build.log" >&2; exit 1; }
cmake --install "$build" --strip >/dev/null
xarch=$prefix/bin/xarch

# The demo: an arm64 busybox bundle, xarch-hook added to its config.json, run by runc.
before=$(ls "$records" 2>/dev/null || true)
demo=$(mktemp -d /tmp/xarch-demo.XXXXXX)
trap 'runc delete -f "xarch-demo-$$" >/dev/null 2>&1 || true; rm -rf "$demo"' EXIT
test-bundles/make-bundle.sh --cache "$build/bundle-cache" arm64 "$demo/bundle" uname -m >/dev/null
"$xarch" inject "$demo/bundle" >/dev/null
echo "quickstart: runc run of an arm64 busybox bundle with xarch-hook prints:"
(cd "$demo/bundle" && runc run "xarch-demo-$$")
registered=
for r in $(ls "$records" 2>/dev/null); do
    echo "$before" | grep -qx "$r" || registered=$r
done
printf 'prefix=%s\nregistered=%s\n' "$prefix" "$registered" >"$state"

files=$(grep -c . "$build/install_manifest.txt")
echo
echo "quickstart: done in $(( $(date +%s) - t0 )) s. What it left on this machine, and how to remove it (in this order):"
if [ -n "$registered" ]; then
    cat <<EOF
- the binfmt_misc entry $registered, registered host-wide by xarch-hook because nothing handled
  arm64 yet; it lasts until reboot (recorded in $records).
  Remove: $xarch uninstall $registered
EOF
fi
cat <<EOF
- xarch under $prefix ($files files, listed in $build/install_manifest.txt): xarch, xarch-hook and
  xarch-runtime in $prefix/bin, hooks.d entries in $prefix/share/containers/oci/hooks.d (podman
  reads them only after '$xarch configure podman'), snippets in $prefix/share/xarch, the man page.
  Remove: xargs -d '\\n' rm -f < $src/$build/install_manifest.txt
EOF
if [ -n "$packages" ]; then
    echo "- Debian packages: $packages"
    echo "  Remove: apt-get purge $packages"
fi
echo "Undo all but the packages: $src/scripts/quickstart.sh --undo"
