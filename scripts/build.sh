#!/usr/bin/env bash
# Configures and builds mailcanary and its tests into build/ (or $MC_BUILD_DIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MC_BUILD_DIR:-$root/build}
# Extra arguments go to cmake, e.g. -DMAILCANARY_TESTS=OFF.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAILCANARY_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
