#!/bin/sh
# One bounded fuzz run (ctest -L fuzz): run.sh FUZZER CORPUS SECONDS MAX_LEN DICT|- ARTIFACT_DIR
# The seed corpus in the tree is only read: new inputs go to a temporary directory, a crash
# or a contract failure to ARTIFACT_DIR (add it to CORPUS as a regression input once fixed).
# Every seed runs first, so a regression input that crashes again fails at once.
set -eu
fuzzer=$1 corpus=$2 seconds=$3 max_len=$4 dict=$5 artifacts=$6
[ -d "$corpus" ] || { echo "FAIL: no seed corpus at $corpus" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/xarch-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
set --
[ "$dict" = - ] || set -- -dict="$dict"
"$fuzzer" "$@" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$corpus"
