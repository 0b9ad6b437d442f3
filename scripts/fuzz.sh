#!/bin/sh
# Long fuzz runs: scripts/fuzz.sh TARGET [SECONDS] (default 600), or scripts/fuzz.sh list.
# Builds the libFuzzer targets with clang into ${XARCH_FUZZ_BUILD_DIR:-build-fuzz}, then runs
# fuzz_TARGET from its seed corpus (fuzz/corpus/TARGET, only read). Inputs it finds are kept in
# the build directory for the next run; a crash is written to <build>/fuzz/artifacts/TARGET/.
# FUZZ_JOBS=N runs N processes (libFuzzer -fork). Extra arguments go to libFuzzer.
set -eu
cd "$(dirname "$0")/.."
build=${XARCH_FUZZ_BUILD_DIR:-build-fuzz}
targets=$(sed -n 's/^xarch_fuzz_target(\([a-z_]*\) .*/\1/p' fuzz/CMakeLists.txt | tr '\n' ' ')
if [ "${1:-}" = list ]; then
    echo $targets
    exit 0
fi
if [ $# -lt 1 ]; then
    echo "usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags...]; targets:" $targets >&2
    exit 2
fi
target=$1 seconds=${2:-600}
shift; [ $# -gt 0 ] && shift
echo " $targets " | grep -q " $target " || { echo "fuzz.sh: no target '$target'; targets:" $targets >&2; exit 2; }
max_len=$(sed -n "s/^xarch_fuzz_target($target \([0-9]*\) .*/\1/p" fuzz/CMakeLists.txt)
dict=$(sed -n "s/^xarch_fuzz_target($target [0-9]* \([^ ]*\) .*/\1/p" fuzz/CMakeLists.txt)

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DXARCH_FUZZ=ON -DXARCH_TESTS=OFF -DXARCH_WERROR=ON >/dev/null
cmake --build "$build" --target "fuzz_$target" -j"$(nproc)"
corpus=$build/fuzz/corpus/$target artifacts=$build/fuzz/artifacts/$target
mkdir -p "$corpus" "$artifacts"
started=$build/fuzz/.started-$target
touch "$started"
set -- -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@"
[ "$dict" = - ] || set -- -dict="fuzz/$dict" "$@"
[ -n "${FUZZ_JOBS:-}" ] && set -- -fork="$FUZZ_JOBS" -ignore_crashes=1 "$@"
status=0
"$build/fuzz/fuzz_$target" "$@" "$corpus" "fuzz/corpus/$target" || status=$?
found=$(find "$artifacts" -type f -newer "$started")
if [ -n "$found" ]; then
    echo "fuzz.sh: findings:" $found >&2
    echo "Reproduce with: $build/fuzz/fuzz_$target FILE. Once fixed, copy FILE into fuzz/corpus/$target/" >&2
    echo "(a regression input: ctest -L fuzz runs every seed first)." >&2
    exit 1
fi
exit $status
