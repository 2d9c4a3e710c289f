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
# Finding and stopping the daemons; the test CA and the server's certificate.
# shellcheck source=tests/e2e/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"
# shellcheck source=tests/e2e/pki.sh
source "$(dirname "${BASH_SOURCE[0]}")/pki.sh"
# The platform's Dovecot and Postfix: their configuration files and their start.
# shellcheck source=tests/e2e/dovecot.sh
source "$(dirname "${BASH_SOURCE[0]}")/dovecot.sh"
# shellcheck source=tests/e2e/postfix.sh
source "$(dirname "${BASH_SOURCE[0]}")/postfix.sh"

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
