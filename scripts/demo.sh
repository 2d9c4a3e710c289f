#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts a local Postfix + Dovecot
# on 127.0.0.1 under /tmp/mailcanary-local, and runs examples/local-roundtrip.json against it.
# The servers keep running afterwards; stop them with
#   tests/e2e/mailservers.sh stop /tmp/mailcanary-local
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=/tmp/mailcanary-local
"$root/scripts/deps.sh" demo
"$root/scripts/build.sh" -DMAILCANARY_TESTS=OFF
"$root/tests/e2e/mailservers.sh" start "$dir"
echo
exec "${MC_BUILD_DIR:-$root/build}/mailcanary" run "$root/examples/local-roundtrip.json" \
  --json "$dir/result.json"
