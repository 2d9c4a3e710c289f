#!/usr/bin/env bash
# ctest fixture for the end-to-end tier: starts (or stops) the loopback Postfix + Dovecot in DIR.
# The probe account gets a sentinel password with characters that need quoting in IMAP, so the
# tests can prove it never appears in any output.
set -euo pipefail
cmd=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
# Ports of their own, so the README's demo platform may keep running beside the tests.
export MC_MX_PORT=11025 MC_SUBMISSION_PORT=11587 MC_SMTPS_PORT=11465 MC_IMAP_PORT=11143
export MC_IMAPS_PORT=11993 MC_POP3_PORT=11110 MC_POP3S_PORT=11995
export MC_PROBE_PASSWORD='sentinel-Pw "q\uoted" 7f3a9c'
# Every test run starts from empty mailboxes and an empty queue.
if [[ $cmd == start ]]; then
  "$here/mailservers.sh" stop "$dir"
  rm -rf -- "$dir/mail" "$dir/postfix/queue"
fi
exec "$here/mailservers.sh" "$cmd" "$dir"
