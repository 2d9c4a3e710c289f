#!/usr/bin/env bash
# Installs everything mailcanary needs to build and test, from Debian 12's packages only.
# Idempotent: skips apt when every package is already installed. Must run as root.
set -euo pipefail

#   deps.sh        everything: building, the demo and every test tier
#   deps.sh demo   only what the demo needs: building mailcanary and a local Postfix + Dovecot
profile=${1:-all}
if [[ $profile != all && $profile != demo ]]; then
  echo "deps.sh: unknown profile '$profile'; give none (everything) or 'demo'" >&2
  exit 2
fi
packages=(
  cmake g++ make pkg-config
  libboost1.81-dev libssl-dev libcurl4-openssl-dev libexpat1-dev nlohmann-json3-dev libcli11-dev
  libc-ares-dev openssl ca-certificates util-linux
  postfix dovecot-imapd dovecot-lmtpd dovecot-pop3d
)
if [[ $profile == all ]]; then
  # The test tiers: Catch2, and the servers and tools the integration tier checks against;
  # OpenDKIM, the e2e platform's milter; Pigeonhole Sieve, which files its marked messages into
  # Junk; dnsmasq, the e2e platform's DNS server; Radicale and Roundcube (with PHP's own
  # server), the web servers of http.get's e2e tests.
  packages+=(catch2 libxml2-utils chromium prometheus-pushgateway prometheus jq
    opendkim opendkim-tools dovecot-sieve dnsmasq-base
    radicale roundcube roundcube-sqlite3 php-cli)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
(( ${#missing[@]} == 0 )) && exit 0

if (( EUID != 0 )); then
  echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
