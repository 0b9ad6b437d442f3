#!/bin/sh
# The whole test suite: dependencies, a -Werror build, then every unit and integration
# test (integration tests need root; they report SKIP otherwise).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${XARCH_BUILD_DIR:-build}
# Prefix /usr, as the .deb: the package test installs what cpack makes of this build.
cmake -S . -B "$build" -DXARCH_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure --timeout 600 -j"$(nproc)"
