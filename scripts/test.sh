#!/bin/sh
# The whole test suite: dependencies, a -Werror build, then every unit and integration test
# (integration tests need root; they report SKIP otherwise); then the same tests again built
# with clang, ASan and UBSan, and every fuzz target for a bounded time (libFuzzer).
# Build directories: XARCH_BUILD_DIR (build), XARCH_SANITIZE_BUILD_DIR (build-asan).
# XARCH_FUZZ_SECONDS: seconds per fuzz target (30).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc)
build=${XARCH_BUILD_DIR:-build}
# Prefix /usr, as the .deb: the package test installs what cpack makes of this build.
cmake -S . -B "$build" -DXARCH_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr
cmake --build "$build" -j"$jobs"

# Sanitized and fuzzed: one clang build with ASan and UBSan (XARCH_SANITIZE) and the libFuzzer
# targets (XARCH_FUZZ). Its ctest runs the unit tests, the integration suite with the sanitized
# xarch-hook, xarch-runtime and xarch, and each fuzz target from its seeds in fuzz/corpus (only
# read). The programs' reports go to a directory of their own (a hook's stderr is often not
# shown, and a test that expects a failure would pass on one): any report there fails the run.
asan=${XARCH_SANITIZE_BUILD_DIR:-build-asan}
reports=$(mktemp -d "${TMPDIR:-/tmp}/xarch-sanitizer.XXXXXX")
chmod 1777 "$reports" # hooks of rootless containers run as the user
# -O1 with line tables only builds faster than -O2 -g and keeps line numbers in reports; no
# NDEBUG, so the assertions in nlohmann::json catch misuse too.
cmake -S . -B "$asan" -DCMAKE_CXX_COMPILER=clang++ -DXARCH_WERROR=ON -DXARCH_SANITIZE=ON -DXARCH_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DXARCH_FUZZ_SECONDS="${XARCH_FUZZ_SECONDS:-30}" -DXARCH_SANITIZER_LOG_DIR="$reports" \
    -DXARCH_BUNDLE_CACHE="$(cd "$build" && pwd)/bundle-cache"
# It compiles while the first build's tests run (mostly waiting on runtimes and emulators).
cmake --build "$asan" -j"$jobs" >"$asan/build.log" 2>&1 &
asan_build=$!
status=0
ctest --test-dir "$build" --output-on-failure --timeout 600 -j"$jobs" || status=$?
built=0
wait "$asan_build" || built=$?
[ "$built" = 0 ] || { cat "$asan/build.log" >&2; echo "FAIL: the sanitized build" >&2; }
if [ "$status" != 0 ] || [ "$built" != 0 ]; then rm -rf "$reports"; exit 1; fi
# The lanes in VMs (the arm64 host's cross-built programs, the Debian 13 machine's .deb) and the
# package test (the .deb of the first build) ran in the first pass; the sanitized build has
# nothing new to show them.
# hostile.proc-overmount takes /proc away from the hook, and the sanitizer runtime itself needs
# it (stack bounds for exceptions, LeakSanitizer's thread list): it ran in the first pass.
ctest --test-dir "$asan" --output-on-failure --timeout 600 -j"$jobs" -LE 'arm64-host|distro-host' \
    -E '^(package\.deb|hostile\.proc-overmount)$' || status=$?
if [ -n "$(ls -A "$reports")" ]; then
    echo "FAIL: sanitizer reports:" >&2
    for r in "$reports"/*; do echo "== $r" >&2; cat "$r" >&2; done
    status=1
fi
rm -rf "$reports"
exit "$status"
