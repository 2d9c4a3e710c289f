#!/usr/bin/env bash
# mailservers.sh - run a throw-away Postfix + Dovecot mail platform on loopback
# for mailcanary's end-to-end tests and demo.
#
#   tests/e2e/mailservers.sh start DIR   # (re)start; everything lives under DIR
#   tests/e2e/mailservers.sh stop DIR    # stop; idempotent
#
# The platform serves the domain example.test on 127.0.0.1 only (MC_LISTEN_ADDR
# picks another loopback address, see "Dovecot and localhost" below):
#   MC_MX_PORT          (10025) Postfix MX: plain SMTP, optional STARTTLS, no AUTH
#   MC_SUBMISSION_PORT  (10587) Postfix submission: STARTTLS required before AUTH
#   MC_SMTPS_PORT       (10465) Postfix submission over implicit TLS
#   MC_IMAP_PORT        (10143) Dovecot IMAP (STARTTLS; no plaintext login before TLS)
#   MC_IMAPS_PORT       (10993) Dovecot IMAP over implicit TLS
#   MC_POP3_PORT        (10110) Dovecot POP3 (STLS; no plaintext login before TLS)
#   MC_POP3S_PORT       (10995) Dovecot POP3 over implicit TLS
#   MC_SHORTCERT_PORT   (unset) only when set: a Postfix MX whose certificate expires in
#                       3 days (see shortcert_listener)
# MC_WITH_OPENDKIM=1 adds OpenDKIM as a milter (MC_OPENDKIM_PORT; see milters.sh).
# MC_WITH_SIEVE=1 has LMTP file messages marked "X-Mailcanary-Test: junk" into Junk (sieve.sh).
# MC_WITH_DNS=1 adds dnsmasq serving tests/e2e/dns/*.conf (MC_DNS_PORT; see dns.sh).
# MC_GREYLIST_POLICY_BIN adds a greylisting MX and a sender-checking submission (policy.sh).
# MC_WITH_SASL=1 adds scram@ with a {SCRAM-SHA-256} password and a second Dovecot offering
# SCRAM-SHA-256 (MC_SASL_IMAPS_PORT, MC_SASL_POP3S_PORT; see sasl.sh).
# Postfix hands mail for example.test to Dovecot over LMTP (unix socket), which
# stores it as Maildir under DIR/mail owned by the system user "vmail".
#
# Bounces: mail for any address at bounce.test is accepted and then bounced (5.1.1), so that
# the sender gets Postfix's own delivery status notification (see write_bounce_domain).
#
# Accounts: probe@example.test, user01..user50@example.test, and held@example.test, whose
# incoming mail Postfix puts on hold until `postsuper -c DIR/postfix/etc -H ALL` releases
# it. Passwords are random per start unless MC_PROBE_PASSWORD / MC_USERS_PASSWORD are set
# (held@ has the users' password); they are
# written to DIR/probe.password and DIR/users.password (0600, no newline).
# On success DIR/env holds shell-sourceable KEY=VALUE lines describing it all.
#
# Dovecot and localhost: Dovecot 2.3 treats a connection whose client address
# equals its server address as "secured", so on 127.0.0.1 <-> 127.0.0.1 it
# allows plaintext LOGIN/USER+PASS before STARTTLS and omits LOGINDISABLED,
# despite disable_plaintext_auth=yes (hard-coded; no setting turns it off).
# Tests that need the real "no login before TLS" behaviour can start with
# MC_LISTEN_ADDR=127.0.0.2: clients connecting there still use source
# address 127.0.0.1, so Dovecot no longer sees them as local. The server
# certificate then also carries IP:127.0.0.2.
#
# Both daemons run from the binaries directly with private configs under DIR;
# no system service, systemd unit or /etc config file is used or modified (the
# only system change is creating the "vmail" user/group if missing). Mail in
# DIR/mail and the CA/certificates survive restarts; delete DIR for a clean
# slate. Must run as root (the Postfix/Dovecot masters drop privileges), and
# every parent of DIR must be searchable by the postfix/dovecot/vmail users.

set -euo pipefail

readonly DOMAIN=example.test
readonly HOST=${MC_LISTEN_ADDR:-127.0.0.1}
readonly MAIL_HOSTNAME=mail.example.test
readonly NUM_USERS=50
readonly PROBE_USER="probe@${DOMAIN}"
readonly HELD_USER="held@${DOMAIN}"
readonly BOUNCE_DOMAIN=bounce.test
readonly CERT_DAYS=30
# Certificates are re-issued when they expire within this many seconds, so a
# reused certificate never expires in the middle of a test run.
readonly CERT_MIN_REMAINING=86400
# Upper bound for "every port accepts connections" after launching the daemons.
readonly STARTUP_TIMEOUT_S=30

readonly POSTFIX_DAEMON_DIR=/usr/lib/postfix/sbin

# The milters (OpenDKIM), off unless the caller asks: their functions live apart.
# shellcheck source=tests/e2e/milters.sh
source "$(dirname "${BASH_SOURCE[0]}")/milters.sh"
# Pigeonhole Sieve in Dovecot's LMTP, off unless the caller asks.
# shellcheck source=tests/e2e/sieve.sh
source "$(dirname "${BASH_SOURCE[0]}")/sieve.sh"
# dnsmasq serving tests/e2e/dns/*.conf, off unless the caller asks.
# shellcheck source=tests/e2e/dns.sh
source "$(dirname "${BASH_SOURCE[0]}")/dns.sh"
# The policy listeners (greylisting, sender login checks), off unless the caller asks.
# shellcheck source=tests/e2e/policy.sh
source "$(dirname "${BASH_SOURCE[0]}")/policy.sh"
# A second Dovecot offering SCRAM-SHA-256 to one account of its own, off unless the caller asks.
# shellcheck source=tests/e2e/sasl.sh
source "$(dirname "${BASH_SOURCE[0]}")/sasl.sh"

MX_PORT=${MC_MX_PORT:-10025}
SUBMISSION_PORT=${MC_SUBMISSION_PORT:-10587}
SMTPS_PORT=${MC_SMTPS_PORT:-10465}
IMAP_PORT=${MC_IMAP_PORT:-10143}
IMAPS_PORT=${MC_IMAPS_PORT:-10993}
POP3_PORT=${MC_POP3_PORT:-10110}
POP3S_PORT=${MC_POP3S_PORT:-10995}
SHORTCERT_PORT=${MC_SHORTCERT_PORT:-}

# Set by main(); all other paths derive from it.
DIR=
START_OK=0       # becomes 1 once start succeeded; the EXIT trap cleans up otherwise
LAUNCHED=0       # becomes 1 once we launched a daemon

log() { printf 'mailservers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    cat >&2 <<'EOF'
usage: mailservers.sh start DIR    start (or restart) Postfix + Dovecot under DIR
       mailservers.sh stop DIR     stop them (succeeds if nothing runs)
Ports: MC_MX_PORT MC_SUBMISSION_PORT MC_SMTPS_PORT MC_IMAP_PORT MC_IMAPS_PORT
       MC_POP3_PORT MC_POP3S_PORT [MC_SHORTCERT_PORT]. Passwords: MC_PROBE_PASSWORD MC_USERS_PASSWORD.
EOF
    exit 2
}

all_ports() {
    echo "$MX_PORT $SUBMISSION_PORT $SMTPS_PORT $IMAP_PORT $IMAPS_PORT $POP3_PORT $POP3S_PORT${SHORTCERT_PORT:+ $SHORTCERT_PORT}" \
        $(opendkim_ports) $(dns_ports) $(policy_ports) $(sasl_ports)
}

# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------

set_paths() {
    # The queue/data directories are siblings of (not inside) config_directory:
    # "postfix start" wants everything below config_directory owned by root.
    PF_BASE=$DIR/postfix
    PF_DIR=$PF_BASE/etc                 # config_directory (main.cf, master.cf)
    PF_QUEUE=$PF_BASE/queue             # queue_directory (root-owned, subdirs postfix)
    PF_DATA=$PF_BASE/data               # data_directory (must be owned by postfix)
    PF_LOG=$PF_BASE/maillog
    PF_START_LOG=$PF_BASE/start.log
    DC_DIR=$DIR/dovecot
    DC_CONF=$DC_DIR/dovecot.conf
    DC_RUN=$DC_DIR/run                  # Dovecot base_dir: all its sockets + master.pid
    DC_LOG=$DC_DIR/dovecot.log
    DC_START_LOG=$DC_DIR/start.log
    DC_USERS=$DC_DIR/users              # passwd-file
    MAIL_ROOT=$DIR/mail
    LMTP_SOCKET=$DC_RUN/lmtp
    SASL_SOCKET=$DC_RUN/auth-postfix
    opendkim_paths
    sieve_paths
    sasl_paths
    dns_paths
    policy_paths
}

# Resolve DIR to an absolute, symlink-free path. It need not exist ("stop" must
# still find daemons whose DIR was deleted under them).
resolve_dir() {
    DIR=$(realpath -m -- "$1")
    set_paths
}

# Reject names that would break Postfix's whitespace/comma separated lists,
# Dovecot's config syntax or the env file.
validate_dir() {
    [[ $DIR =~ ^/[A-Za-z0-9._/+@-]*$ ]] ||
        die "DIR '$DIR' may only contain letters, digits and ._/+@- (Postfix/Dovecot config syntax)"
    # Unix socket paths are limited to 107 bytes; the longest one under DIR is
    # DIR/dovecot/run/token-login/imap-urlauth (DIR + 37 chars).
    (( ${#DIR} <= 60 )) || die "DIR '$DIR' is too long (max 60 chars; unix socket paths under it must fit in 107 bytes)"
}

# ---------------------------------------------------------------------------
# Process handling (we never rely on init systems; only on pid files and /proc)
# ---------------------------------------------------------------------------

# A zombie counts as dead: daemons are re-parented to pid 1, which in some
# containers never reaps them.
pid_alive() {
    local stat
    [[ -n ${1:-} ]] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Print the pid stored in FILE if that process still runs EXE (guards against
# pid reuse after a crash or reboot).
pid_from_file() {
    local file=$1 exe=$2 pid
    [[ -r $file ]] || return 0
    pid=$(tr -dc '0-9' < "$file" | head -c 10)
    [[ -n $pid ]] && pid_alive "$pid" || return 0
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] && echo "$pid"
    return 0
}

# All processes (excluding ourselves) whose environment contains exactly VAR=VALUE.
# Postfix's master and every daemon it spawns carry MAIL_CONFIG=<config dir>.
pids_with_env() {
    local f pid
    # environ entries are NUL-terminated: -z makes each one a "line" for -x.
    # (We never export MAIL_CONFIG ourselves, so this shell can't match.)
    while IFS= read -r f; do
        pid=${f#/proc/}; pid=${pid%/environ}
        echo "$pid"
    done < <(grep -lzxF -- "$1" /proc/[0-9]*/environ 2>/dev/null || true)
}

# Descendants of PID (children, grandchildren, ...), by walking /proc/*/stat.
descendants() {
    local root=$1
    awk -v root="$root" '
        { sub(/^.*\) /, ""); ppid[FILENAME] = $2 }      # field 2 after "(comm) " is ppid
        END {
            for (f in ppid) { split(f, p, "/"); parent[p[3]] = ppid[f] }
            changed = 1; want[root] = 1
            while (changed) {
                changed = 0
                for (c in parent) if (!(c in want) && (parent[c] in want)) { want[c] = 1; changed = 1 }
            }
            for (c in want) if (c != root) print c
        }' /proc/[0-9]*/stat 2>/dev/null || true
}

# Send TERM to MASTER, wait up to ~8 s for it and the given other pids to go
# away, then KILL whatever is left.
terminate() {
    local master=$1; shift
    local pids=("$master" "$@") p i alive
    kill -TERM "$master" 2>/dev/null || true
    for ((i = 0; i < 80; i++)); do
        alive=0
        for p in "${pids[@]}"; do pid_alive "$p" && alive=1 && break; done
        (( alive )) || return 0
        sleep 0.1
    done
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.2
}

stop_postfix() {
    local master others p
    master=$(pid_from_file "$PF_QUEUE/pid/master.pid" "$POSTFIX_DAEMON_DIR/master")
    mapfile -t others < <(pids_with_env "MAIL_CONFIG=$PF_DIR")
    if [[ -z $master ]]; then
        # No pid file (e.g. DIR was deleted): look for the master among them.
        for p in "${others[@]}"; do
            [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$POSTFIX_DAEMON_DIR/master" ]] && master=$p && break
        done
    fi
    if [[ -n $master ]]; then
        log "stopping Postfix (master pid $master)"
        terminate "$master" "${others[@]}"
    elif (( ${#others[@]} )); then
        # Master gone (e.g. killed) but daemons linger: clean them up too.
        log "killing leftover Postfix processes: ${others[*]}"
        kill -KILL "${others[@]}" 2>/dev/null || true
    fi
}

# Dovecot masters started with "-c DC_CONF": from the pid file, plus a scan of
# command lines in case base_dir (and its master.pid) is gone.
dovecot_masters() {
    local f pid
    pid_from_file "$DC_RUN/master.pid" /usr/sbin/dovecot
    while IFS= read -r f; do
        pid=${f#/proc/}; pid=${pid%/cmdline}
        [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == /usr/sbin/dovecot ]] && echo "$pid"
    done < <(grep -lzxF -- "$DC_CONF" /proc/[0-9]*/cmdline 2>/dev/null || true)
}

stop_dovecot() {
    local master others
    for master in $(dovecot_masters | sort -u); do
        pid_alive "$master" || continue
        mapfile -t others < <(descendants "$master")
        log "stopping Dovecot (master pid $master)"
        terminate "$master" "${others[@]}"
    done
}

do_stop() {
    stop_postfix
    stop_dovecot
    stop_opendkim
    stop_dns
    stop_policy
    stop_sasl
}

# ---------------------------------------------------------------------------
# System prerequisites (idempotent; safe on a fresh Debian 12 with the packages)
# ---------------------------------------------------------------------------

check_prereqs() {
    (( EUID == 0 )) || die "must run as root"
    local cmd
    for cmd in postfix postconf dovecot doveconf openssl setpriv flock; do
        command -v "$cmd" >/dev/null || die "missing command: $cmd (apt-get install postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd openssl)"
    done
    [[ -x $POSTFIX_DAEMON_DIR/master ]] || die "missing $POSTFIX_DAEMON_DIR/master"
    [[ -d /usr/lib/dovecot && -x /usr/lib/dovecot/lmtp ]] || die "missing dovecot-lmtpd (/usr/lib/dovecot/lmtp)"
    [[ -x /usr/lib/dovecot/imap && -x /usr/lib/dovecot/pop3 ]] || die "missing dovecot-imapd or dovecot-pop3d"
    for cmd in postfix dovecot dovenull; do
        getent passwd "$cmd" >/dev/null || die "system user '$cmd' missing (package install incomplete?)"
    done
    getent group postdrop >/dev/null || die "group 'postdrop' missing (package install incomplete?)"
    local p
    for p in $(all_ports); do
        if [[ ! $p =~ ^[0-9]+$ ]] || (( p < 1 || p > 65535 )); then die "invalid port '$p'"; fi
    done
    [[ $(all_ports | tr ' ' '\n' | sort -u | wc -l) -eq $(all_ports | wc -w) ]] ||
        die "ports must be distinct: $(all_ports)"
    opendkim_prereqs
    sieve_prereqs
    dns_prereqs
    policy_prereqs
    sasl_prereqs
    [[ $HOST =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] ||
        die "MC_LISTEN_ADDR must be a 127.x.y.z loopback address (got '$HOST')"
}

# Dovecot delivers into virtual mailboxes as this unprivileged system user.
ensure_vmail_user() {
    getent group vmail >/dev/null || groupadd --system vmail
    getent passwd vmail >/dev/null ||
        useradd --system --gid vmail --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin --comment "mailcanary virtual mail" vmail
    VMAIL_UID=$(id -u vmail)
    VMAIL_GID=$(id -g vmail)
}

# The daemons drop privileges, so every component of DIR must be searchable by
# postfix (queue), dovecot (passwd-file) and vmail (mailboxes). Fail early with
# a clear message instead of obscure "permission denied" deliveries later.
check_dir_access() {
    local u
    for u in postfix dovecot vmail; do
        setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- test -x "$DIR" ||
            die "user '$u' cannot reach $DIR (a parent directory is not searchable by others); use a DIR under e.g. /tmp"
    done
}

# ---------------------------------------------------------------------------
# TLS material (reused across restarts while valid)
# ---------------------------------------------------------------------------

write_openssl_conf() {
    cat > "$1" <<EOF
# Generated by mailservers.sh; used only for the test CA/server certificates.
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $(san_list)
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
EOF
}

san_list() {
    local san="DNS:localhost,IP:127.0.0.1,DNS:${MAIL_HOSTNAME}"
    [[ $HOST == 127.0.0.1 ]] || san+=",IP:$HOST"
    echo "$san"
}

# True if CERT exists, is valid for a while longer and matches KEY.
cert_usable() {
    local cert=$1 key=$2
    [[ -s $cert && -s $key ]] || return 1
    openssl x509 -in "$cert" -noout -checkend "$CERT_MIN_REMAINING" >/dev/null 2>&1 || return 1
    [[ $(openssl x509 -in "$cert" -noout -pubkey 2>/dev/null) == "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]]
}

make_ca() {
    local cert=$1 key=$2 cn=$3 cnf=$4
    (umask 077 && openssl req -x509 -config "$cnf" -extensions v3_ca \
        -newkey rsa:2048 -nodes -keyout "$key" -out "$cert" \
        -days "$CERT_DAYS" -subj "/O=mailcanary test/CN=$cn" 2>/dev/null) ||
        die "creating CA $cert failed"
    chmod 0644 "$cert"
}

ensure_tls() {
    local cnf=$DIR/.openssl.cnf reissue_server=0
    write_openssl_conf "$cnf"

    if ! cert_usable "$DIR/ca.pem" "$DIR/ca.key"; then
        log "creating test CA $DIR/ca.pem"
        make_ca "$DIR/ca.pem" "$DIR/ca.key" "mailcanary test CA" "$cnf"
        reissue_server=1
    fi
    local san=
    [[ -s $DIR/server.pem ]] && san=$(openssl x509 -in "$DIR/server.pem" -noout -ext subjectAltName 2>/dev/null || true)
    if (( ! reissue_server )) && cert_usable "$DIR/server.pem" "$DIR/server.key" &&
        openssl verify -CAfile "$DIR/ca.pem" "$DIR/server.pem" >/dev/null 2>&1 &&
        [[ $san == *"IP Address:$HOST"* ]]; then
        :   # reuse
    else
        log "issuing server certificate $DIR/server.pem"
        (umask 077 && openssl req -new -config "$cnf" -newkey rsa:2048 -nodes \
            -keyout "$DIR/server.key" -out "$DIR/server.csr" \
            -subj "/O=mailcanary test/CN=$MAIL_HOSTNAME" 2>/dev/null) ||
            die "creating server key/CSR failed"
        openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
            -set_serial "0x$(openssl rand -hex 15)" -days "$CERT_DAYS" \
            -extfile "$cnf" -extensions v3_server -out "$DIR/server.pem" 2>/dev/null ||
            die "signing server certificate failed"
        rm -f "$DIR/server.csr"
        chmod 0644 "$DIR/server.pem"
    fi
    # A CA that did NOT sign server.pem: lets tests provoke "untrusted certificate".
    if ! cert_usable "$DIR/other-ca.pem" "$DIR/other-ca.key"; then
        make_ca "$DIR/other-ca.pem" "$DIR/other-ca.key" "mailcanary OTHER untrusted CA" "$cnf"
    fi
    chmod 0600 "$DIR/ca.key" "$DIR/server.key" "$DIR/other-ca.key"
}

# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------

gen_password() { openssl rand -hex 16; }

write_secret() {   # FILE VALUE: mode 0600, no trailing newline
    (umask 077 && printf '%s' "$2" > "$1")
    chmod 0600 "$1"
}

check_password() {  # NAME VALUE
    [[ -n $2 ]] || die "$1 is empty"
    [[ $2 != *$'\n'* && $2 != *$'\r'* ]] || die "$1 must not contain line breaks"
}

ensure_accounts() {
    local probe_pw=${MC_PROBE_PASSWORD:-} users_pw=${MC_USERS_PASSWORD:-}
    [[ -n $probe_pw ]] || probe_pw=$(gen_password)
    [[ -n $users_pw ]] || users_pw=$(gen_password)
    check_password MC_PROBE_PASSWORD "$probe_pw"
    check_password MC_USERS_PASSWORD "$users_pw"
    write_secret "$DIR/probe.password" "$probe_pw"
    write_secret "$DIR/users.password" "$users_pw"

    # SHA512-CRYPT hashes (openssl passwd -6) are understood natively by Dovecot.
    # The password goes through stdin so it never shows up in `ps`.
    local probe_hash users_hash i
    probe_hash={SHA512-CRYPT}$(printf '%s\n' "$probe_pw" | openssl passwd -6 -stdin)
    users_hash={SHA512-CRYPT}$(printf '%s\n' "$users_pw" | openssl passwd -6 -stdin)

    local tmp=$DC_USERS.tmp vmap=$PF_DIR/vmailbox
    : > "$tmp"; : > "$vmap"
    # passwd-file format: user:password:uid:gid:gecos:home:shell:extra
    # uid/gid/home come from mail_uid/mail_gid/mail_home in dovecot.conf.
    printf '%s:%s::::::\n' "$PROBE_USER" "$probe_hash" >> "$tmp"
    printf '%s OK\n' "$PROBE_USER" >> "$vmap"
    # Mail for held@ waits in Postfix's hold queue until released (postsuper -H): a delivery
    # that is late on demand, for the late/lost probe tests.
    printf '%s:%s::::::\n' "$HELD_USER" "$users_hash" >> "$tmp"
    printf '%s OK\n' "$HELD_USER" >> "$vmap"
    printf '%s HOLD delivery held for the late-probe tests\n' "$HELD_USER" > "$PF_DIR/hold_recipients"
    for ((i = 1; i <= NUM_USERS; i++)); do
        printf 'user%02d@%s:%s::::::\n' "$i" "$DOMAIN" "$users_hash" >> "$tmp"
        printf 'user%02d@%s OK\n' "$i" "$DOMAIN" >> "$vmap"
    done
    sasl_accounts "$tmp" "$vmap" "$probe_pw"
    # Read by Dovecot's auth process, which runs as the "dovecot" user.
    chown root:dovecot "$tmp"
    chmod 0640 "$tmp"
    mv -f "$tmp" "$DC_USERS"
}

# ---------------------------------------------------------------------------
# The bounce domain
# ---------------------------------------------------------------------------

# A platform whose edge does not validate recipients: Postfix accepts mail for any address at
# BOUNCE_DOMAIN at RCPT time (a catch-all in the virtual mailbox map), hands it to Dovecot's
# LMTP, whose user database knows nobody there (550 5.1.1 User doesn't exist), and so returns
# a real DSN to the sender. main.cf lists the domain and this map beside the accounts' own.
write_bounce_domain() {
    printf '@%s OK\n' "$BOUNCE_DOMAIN" > "$PF_DIR/bounce_domain"
}

# ---------------------------------------------------------------------------
# Dovecot
# ---------------------------------------------------------------------------

write_dovecot_conf() {
    mkdir -p "$DC_DIR" "$DC_DIR/state"
    chmod 0755 "$DC_DIR"
    install -d -o vmail -g vmail -m 0700 "$MAIL_ROOT"
    # Note: Dovecot's "{" blocks must span several lines.
    cat > "$DC_CONF" <<EOF
# Generated by mailservers.sh - do not edit; rewritten on every start.
# Self-contained: nothing from /etc/dovecot is included.
instance_name = mailcanary
base_dir = $DC_RUN
state_dir = $DC_DIR/state
log_path = $DC_LOG
info_log_path = $DC_LOG
auth_verbose = yes

protocols = imap pop3 lmtp
listen = $HOST
hostname = $MAIL_HOSTNAME
postmaster_address = postmaster@$DOMAIN

ssl = yes
ssl_cert = <$DIR/server.pem
ssl_key = <$DIR/server.key
ssl_min_protocol = TLSv1.2
# No ssl_dh on purpose: ECDHE key exchange needs none, and generating DH
# parameters would cost seconds per fresh DIR.

# Plaintext LOGIN/AUTH only after STARTTLS/STLS (or on the implicit-TLS ports).
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Tests deliberately provoke failed logins; don't make each one cost 2 s.
auth_failure_delay = 0

passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $DC_USERS
}
userdb {
  driver = passwd-file
  args = $DC_USERS
}

# All virtual mailboxes belong to vmail. vmail is a system user whose uid is
# below Dovecot's default first_valid_uid (500), so lower the limit to it.
first_valid_uid = $VMAIL_UID
first_valid_gid = $VMAIL_GID
mail_uid = $VMAIL_UID
mail_gid = $VMAIL_GID
mail_home = $MAIL_ROOT/%d/%n
mail_location = maildir:~/Maildir

namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}

service imap-login {
  inet_listener imap {
    address = $HOST
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = $HOST
    port = $IMAPS_PORT
    ssl = yes
  }
}

service pop3-login {
  inet_listener pop3 {
    address = $HOST
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = $HOST
    port = $POP3S_PORT
    ssl = yes
  }
}

# Postfix (virtual_transport) delivers here; its lmtp client runs as "postfix".
service lmtp {
  unix_listener lmtp {
    user = postfix
    group = postfix
    mode = 0600
  }
}

# Disable the auth penalty (each failed login from an IP delays that IP's next
# logins by 2..15 s): tests fail logins on purpose and all come from loopback.
# With mode 0 the auth process cannot reach this anvil socket and skips it.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

# Postfix smtpd asks Dovecot to check SMTP AUTH credentials (smtpd_sasl_type=dovecot).
service auth {
  unix_listener auth-postfix {
    user = postfix
    group = postfix
    mode = 0660
  }
}
EOF
}

start_dovecot() {
    # Remove stale sockets/pid from an unclean shutdown; Dovecot recreates them.
    rm -rf "$DC_RUN"
    : >> "$DC_LOG"
    # Output goes to a file, not $(...): the daemonized master inherits the
    # descriptors and a command substitution would wait for it forever.
    if ! /usr/sbin/dovecot -c "$DC_CONF" < /dev/null > "$DC_START_LOG" 2>&1 9>&-; then
        log "dovecot failed to start:"
        cat "$DC_START_LOG" >&2
        return 1
    fi
    LAUNCHED=1
}

# ---------------------------------------------------------------------------
# Postfix
# ---------------------------------------------------------------------------

write_postfix_conf() {
    install -d -o root -g root -m 0755 "$PF_BASE" "$PF_DIR"
    # queue_directory must be root-owned; post-install (run by "postfix start")
    # creates its subdirectories with the right owners. postfix-script cd's
    # into it before that, so it must already exist.
    install -d -o root -g root -m 0755 "$PF_QUEUE"
    install -d -o postfix -g postfix -m 0700 "$PF_DATA"
    : >> "$PF_LOG"

    cat > "$PF_DIR/main.cf" <<EOF
# Generated by mailservers.sh - do not edit; rewritten on every start.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop

# No syslog here: postlogd writes this file (prefix must be whitelisted).
maillog_file = $PF_LOG
maillog_file_prefixes = $PF_BASE/

# Loopback only, IPv4 only. The listeners in master.cf name their address
# explicitly; inet_interfaces must be an address configured on an interface, so
# it stays 127.0.0.1 even when listening on another 127.x address.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = $MAIL_HOSTNAME
mydomain = $DOMAIN
myorigin = \$mydomain
smtpd_banner = \$myhostname ESMTP mailcanary test MX
biff = no
append_dot_mydomain = no
readme_directory = no
smtputf8_enable = no
# Don't wait for reverse DNS of the (loopback) client.
smtpd_peername_lookup = no

# Every client is on loopback, so mynetworks must never grant relay rights
# (no permit_mynetworks below); it only exempts loopback from anvil limits.
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$PF_DIR/hold_recipients

# Only virtual mailboxes: no local(8) delivery, no aliases.
mydestination =
local_transport = error:5.1.1 local delivery is disabled
local_recipient_maps =
alias_maps =
alias_database =
virtual_mailbox_domains = $DOMAIN, $BOUNCE_DOMAIN
virtual_mailbox_maps = texthash:$PF_DIR/vmailbox, texthash:$PF_DIR/bounce_domain
virtual_transport = lmtp:unix:$LMTP_SOCKET

# Never deliver anywhere but Dovecot: even an authenticated client's RCPT for
# another domain is rejected (550 5.7.1) because it resolves to error(8), so
# nothing is ever queued for, or sent to, a non-loopback address.
default_transport = error:5.7.1 outbound delivery disabled on mailcanary test platform
relay_transport = error:5.7.1 outbound delivery disabled on mailcanary test platform
smtp_tls_security_level = none

# Retry deferred mail quickly (e.g. if Dovecot was briefly unavailable).
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h

# TLS: offered (optional) on the MX; the submission services override this.
smtpd_tls_cert_file = $DIR/server.pem
smtpd_tls_key_file = $DIR/server.key
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes

# SASL via Dovecot (absolute socket path; smtpd is not chrooted). Enabled only
# on submission/smtps, and never before TLS.
smtpd_sasl_type = dovecot
smtpd_sasl_path = $SASL_SOCKET
smtpd_sasl_auth_enable = no
smtpd_tls_auth_only = yes
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
EOF

    # Only the listeners we need, plus the internal services. Column 5 (chroot)
    # is "n" everywhere: nothing is set up inside a chroot under DIR.
    cat > "$PF_DIR/master.cf" <<EOF
# Generated by mailservers.sh - do not edit; rewritten on every start.
# service type  private unpriv  chroot  wakeup  maxproc command + args
$HOST:$MX_PORT inet n - n - - smtpd
  -o syslog_name=postfix/mx
$HOST:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
$HOST:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
pickup     unix  n  -  n  60    1  pickup
cleanup    unix  n  -  n  -     0  cleanup
qmgr       unix  n  -  n  300   1  qmgr
tlsmgr     unix  -  -  n  1000? 1  tlsmgr
rewrite    unix  -  -  n  -     -  trivial-rewrite
bounce     unix  -  -  n  -     0  bounce
defer      unix  -  -  n  -     0  bounce
trace      unix  -  -  n  -     0  bounce
verify     unix  -  -  n  -     1  verify
flush      unix  n  -  n  1000? 0  flush
proxymap   unix  -  -  n  -     -  proxymap
proxywrite unix  -  -  n  -     1  proxymap
smtp       unix  -  -  n  -     -  smtp
relay      unix  -  -  n  -     -  smtp
showq      unix  n  -  n  -     -  showq
error      unix  -  -  n  -     -  error
retry      unix  -  -  n  -     -  error
discard    unix  -  -  n  -     -  discard
lmtp       unix  -  -  n  -     -  lmtp
anvil      unix  -  -  n  -     1  anvil
scache     unix  -  -  n  -     1  scache
postlog    unix-dgram n - n -   1  postlogd
EOF
    # Postfix re-reads a config/table file that was modified within the current
    # second (in case it's still being written), pausing 300 ms each time: with
    # freshly written files every postfix/postconf call would take ~1.5 s.
    touch -d '-5 seconds' "$PF_DIR/main.cf" "$PF_DIR/master.cf" "$PF_DIR/vmailbox" \
        "$PF_DIR/hold_recipients" "$PF_DIR/bounce_domain"
}

start_postfix() {
    # "postfix -c DIR start" (as root) runs postfix-script: creates the queue
    # subdirectories, sanity-checks, then starts master and waits for it.
    if ! postfix -c "$PF_DIR" start < /dev/null > "$PF_START_LOG" 2>&1 9>&-; then
        log "postfix failed to start:"
        cat "$PF_START_LOG" >&2
        # Configuration errors found before logging is set up go to syslog
        # (absent here) and only to stderr if that is a tty: re-run the check
        # under script(1) to show them.
        if command -v script >/dev/null; then
            script -qec "postfix -c $PF_DIR check" /dev/null < /dev/null 2>&1 9>&- | tr -d '\r' >&2 || true
        fi
        return 1
    fi
    LAUNCHED=1
}

# ---------------------------------------------------------------------------
# A certificate about to expire (only with MC_SHORTCERT_PORT)
# ---------------------------------------------------------------------------

# One more Postfix listener, an MX like MX_PORT (STARTTLS optional, no AUTH), whose certificate
# DIR/shortcert.pem (the server's key and names, signed by the same CA) is valid for 3 days
# from this start: the certificate expiry threshold tests send through it. Issued anew at every
# start, so the days it has left are always the same. Without MC_SHORTCERT_PORT, nothing.
shortcert_listener() {
    [[ -n $SHORTCERT_PORT ]] || return 0
    local cnf=$DIR/.openssl.cnf
    # The CA must outlive it, or the chain's earliest expiry would be the CA's.
    if ! openssl x509 -in "$DIR/ca.pem" -noout -checkend $((4 * 86400)) >/dev/null 2>&1; then
        log "renewing the test CA: it would expire before the short-lived certificate"
        rm -f "$DIR/ca.pem"
        ensure_tls
    fi
    openssl req -new -config "$cnf" -key "$DIR/server.key" -out "$DIR/shortcert.csr" \
        -subj "/O=mailcanary test/CN=$MAIL_HOSTNAME" 2>/dev/null ||
        die "creating the short-lived certificate's CSR failed"
    openssl x509 -req -in "$DIR/shortcert.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
        -set_serial "0x$(openssl rand -hex 15)" -days 3 \
        -extfile "$cnf" -extensions v3_server -out "$DIR/shortcert.pem" 2>/dev/null ||
        die "signing the short-lived certificate failed"
    rm -f "$DIR/shortcert.csr"
    chmod 0644 "$DIR/shortcert.pem"
    cat >> "$PF_DIR/master.cf" <<EOF
$HOST:$SHORTCERT_PORT inet n - n - - smtpd
  -o syslog_name=postfix/shortcert
  -o smtpd_tls_cert_file=$DIR/shortcert.pem
EOF
    touch -d '-5 seconds' "$PF_DIR/master.cf"
}

# ---------------------------------------------------------------------------
# Readiness
# ---------------------------------------------------------------------------

port_open() {
    # bash's /dev/tcp; loopback connects fail (or succeed) immediately.
    (exec 3<> "/dev/tcp/$HOST/$1") 2>/dev/null
}

check_ports_free() {
    local p busy=()
    for p in $(all_ports); do port_open "$p" && busy+=("$p"); done
    (( ${#busy[@]} == 0 )) ||
        die "port(s) ${busy[*]} on $HOST already in use by another process (set MC_*_PORT to change)"
}

wait_for_ports() {
    local deadline=$((SECONDS + STARTUP_TIMEOUT_S)) p pending
    while :; do
        pending=()
        for p in $(all_ports); do port_open "$p" || pending+=("$p"); done
        (( ${#pending[@]} == 0 )) && return 0
        if (( SECONDS >= deadline )); then
            log "ports not accepting connections after ${STARTUP_TIMEOUT_S}s: ${pending[*]}"
            return 1
        fi
        sleep 0.1
    done
}

show_logs() {
    local f
    for f in "$PF_START_LOG" "$PF_LOG" "$DC_START_LOG" "$DC_LOG" "$DK_LOG"; do
        [[ -s $f ]] || continue
        printf '\n===== tail of %s =====\n' "$f" >&2
        tail -n 40 "$f" >&2
    done
}

# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

write_env() {
    local tmp=$DIR/env.tmp
    {
        echo "# Generated by tests/e2e/mailservers.sh start; source with: . $DIR/env"
        printf '%s=%q\n' \
            MC_DIR "$DIR" \
            MC_HOST "$HOST" \
            MC_DOMAIN "$DOMAIN" \
            MC_MAIL_HOSTNAME "$MAIL_HOSTNAME" \
            MC_MX_PORT "$MX_PORT" \
            MC_SUBMISSION_PORT "$SUBMISSION_PORT" \
            MC_SMTPS_PORT "$SMTPS_PORT" \
            MC_IMAP_PORT "$IMAP_PORT" \
            MC_IMAPS_PORT "$IMAPS_PORT" \
            MC_POP3_PORT "$POP3_PORT" \
            MC_POP3S_PORT "$POP3S_PORT" \
            MC_CA "$DIR/ca.pem" \
            MC_OTHER_CA "$DIR/other-ca.pem" \
            MC_SERVER_CERT "$DIR/server.pem" \
            MC_PROBE_USER "$PROBE_USER" \
            MC_PROBE_PASSWORD_FILE "$DIR/probe.password" \
            MC_USERS_PASSWORD_FILE "$DIR/users.password" \
            MC_HELD_USER "$HELD_USER" \
            MC_BOUNCE_DOMAIN "$BOUNCE_DOMAIN" \
            MC_USERS_FIRST "user01@$DOMAIN" \
            MC_USERS_LAST "$(printf 'user%02d@%s' "$NUM_USERS" "$DOMAIN")" \
            MC_USERS_COUNT "$NUM_USERS" \
            MC_MAIL_DIR "$MAIL_ROOT" \
            MC_POSTFIX_CONFIG_DIR "$PF_DIR" \
            MC_POSTFIX_LOG "$PF_LOG" \
            MC_DOVECOT_CONFIG "$DC_CONF" \
            MC_DOVECOT_LOG "$DC_LOG"
        [[ -z $SHORTCERT_PORT ]] ||
            printf '%s=%q\n' MC_SHORTCERT_PORT "$SHORTCERT_PORT" MC_SHORTCERT_CERT "$DIR/shortcert.pem"
        opendkim_env
        sieve_env
        dns_env
        policy_env
        sasl_env
    } > "$tmp"
    mv -f "$tmp" "$DIR/env"
}

print_summary() {
    cat <<EOF
mailcanary test mail platform running (${1}s), DIR=$DIR
  MX          smtp://$HOST:$MX_PORT        (STARTTLS optional, no AUTH, domain $DOMAIN)
  submission  smtp://$HOST:$SUBMISSION_PORT        (STARTTLS required, AUTH PLAIN/LOGIN)
  smtps       smtps://$HOST:$SMTPS_PORT
  IMAP        imap://$HOST:$IMAP_PORT / imaps://$HOST:$IMAPS_PORT
  POP3        pop3://$HOST:$POP3_PORT / pop3s://$HOST:$POP3S_PORT
  CA          $DIR/ca.pem   (untrusted CA: $DIR/other-ca.pem)
  bounces     any address @$BOUNCE_DOMAIN is accepted, then bounced to the sender (5.1.1)
  accounts    $PROBE_USER (password: $DIR/probe.password),
              user01..$(printf 'user%02d' "$NUM_USERS")@$DOMAIN (password: $DIR/users.password)
  logs        $PF_LOG  $DC_LOG
  env         . $DIR/env
EOF
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

on_exit() {
    local rc=$?
    if (( LAUNCHED && ! START_OK )); then
        show_logs
        log "start failed; stopping what was started"
        do_stop || true
        rm -f "$DIR/env"
        (( rc )) || rc=1
    fi
    exit "$rc"
}

do_start() {
    local started_ns elapsed
    started_ns=$(date +%s%N)
    check_prereqs
    ensure_vmail_user
    check_dir_access

    # A previous instance with this DIR: restart cleanly.
    do_stop
    rm -f "$DIR/env"
    check_ports_free

    ensure_tls
    mkdir -p "$PF_DIR" "$DC_DIR"
    ensure_accounts
    write_bounce_domain
    write_dovecot_conf
    write_sieve_conf
    write_sasl_conf
    write_postfix_conf
    shortcert_listener
    write_opendkim_conf
    opendkim_postfix_conf
    write_dns_conf
    policy_postfix_conf

    trap on_exit EXIT
    # Dovecot first: Postfix needs its LMTP and auth sockets to do anything.
    start_dovecot
    start_sasl
    start_opendkim
    start_dns
    start_policy
    start_postfix
    wait_for_ports
    # Sockets Postfix connects to must exist too (they appear with Dovecot's master).
    [[ -S $LMTP_SOCKET && -S $SASL_SOCKET ]] || { log "Dovecot sockets missing in $DC_RUN"; return 1; }

    write_env
    START_OK=1
    elapsed=$(( ($(date +%s%N) - started_ns) / 1000000 ))
    print_summary "$(printf '%d.%03d' $((elapsed / 1000)) $((elapsed % 1000)))"
}

main() {
    (( $# == 2 )) || usage
    local cmd=$1 arg=$2
    case $cmd in
        start)
            resolve_dir "$arg"
            validate_dir
            mkdir -p -- "$DIR"
            chmod 0755 "$DIR"
            # Serialize concurrent start/stop on the same DIR. The daemons are
            # launched with fd 9 closed so they don't inherit (and keep) the lock.
            exec 9> "$DIR/.lock"
            flock -w 60 9 || die "timed out waiting for lock $DIR/.lock"
            do_start
            ;;
        stop)
            (( EUID == 0 )) || die "must run as root"
            resolve_dir "$arg"
            if [[ -d $DIR ]]; then
                exec 9> "$DIR/.lock"
                flock -w 60 9 || die "timed out waiting for lock $DIR/.lock"
            fi
            do_stop
            rm -f "$DIR/env"
            ;;
        *) usage ;;
    esac
}

main "$@"
