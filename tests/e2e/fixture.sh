#!/usr/bin/env bash
# ctest fixture for the end-to-end tier: starts (or stops) the loopback Postfix + Dovecot in DIR.
# The probe account gets a sentinel password with characters that need quoting in IMAP, so the
# tests can prove it never appears in any output.
set -euo pipefail
cmd=$1 dir=$2
here=$(cd "$(dirname "$0")" && pwd)
# Ports of their own, so the README's demo platform may keep running beside the tests; another
# MC_E2E_PORT_BASE (a multiple of 1000; CMake's MAILCANARY_E2E_PORT_BASE) lets two build trees
# run the tier at once.
base=${MC_E2E_PORT_BASE:-11000}
export MC_MX_PORT=$((base + 25)) MC_SUBMISSION_PORT=$((base + 587)) MC_SMTPS_PORT=$((base + 465))
export MC_IMAP_PORT=$((base + 143)) MC_IMAPS_PORT=$((base + 993)) MC_POP3_PORT=$((base + 110))
export MC_POP3S_PORT=$((base + 995)) MC_SHORTCERT_PORT=$((base + 466))
# The tier's platform signs and verifies DKIM (tests/e2e/milters.sh); the demo's does not.
export MC_WITH_OPENDKIM=1 MC_OPENDKIM_PORT=$((base + 891))
# Its LMTP files messages marked for Junk into Junk with Sieve (tests/e2e/sieve.sh); the demo's does not.
export MC_WITH_SIEVE=1
# dnsmasq serves tests/e2e/dns/*.conf for dns.mx, smtp.send "mx:" and dnsbl.check (tests/e2e/dns.sh).
export MC_WITH_DNS=1 MC_DNS_PORT=$((base + 53))
# A greylisting MX and a sender-checking submission (tests/e2e/policy.sh), when CMake names the
# policy server; the demo's platform has neither.
export MC_GREYLIST_PORT=$((base + 426)) MC_POLICY_SERVER_PORT=$((base + 427))
export MC_SENDER_CHECK_PORT=$((base + 588))
# A second Dovecot offering SCRAM-SHA-256 to scram@ and OAuth 2.0 tokens to oauth@, checked at
# the test's introspection endpoint on MC_OAUTH_PORT (tests/e2e/sasl.sh); the demo's has none.
export MC_WITH_SASL=1 MC_SASL_IMAPS_PORT=$((base + 994)) MC_SASL_POP3S_PORT=$((base + 996))
export MC_OAUTH_PORT=$((base + 444)) MC_OAUTH_TOKEN_PORT=$((base + 445))
export MC_PROBE_PASSWORD='sentinel-Pw "q\uoted" 7f3a9c'
# Every test run starts from empty mailboxes and an empty queue.
if [[ $cmd == start ]]; then
  "$here/mailservers.sh" stop "$dir"
  rm -rf -- "$dir/mail" "$dir/postfix/queue"
fi
# The web servers for http.get (tests/e2e/web.sh) run beside the mail platform.
if [[ $cmd == stop ]]; then
  "$here/web.sh" stop "$dir"
  exec "$here/mailservers.sh" stop "$dir"
fi
"$here/mailservers.sh" "$cmd" "$dir"
exec "$here/web.sh" "$cmd" "$dir"
