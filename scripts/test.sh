#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test tier with
# ctest. The end-to-end tier starts its own Postfix + Dovecot on loopback and stops them again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
"$root/scripts/build.sh" -DMAILCANARY_TESTS=ON
cd "${MC_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 600 "$@"
