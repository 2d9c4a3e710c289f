# shellcheck shell=bash
# policy.sh - the policy listeners of the end-to-end tier, sourced by mailservers.sh. Off unless
# MC_GREYLIST_POLICY_BIN names the greylisting policy server (tests/support/greylist_policy.cpp;
# tests/e2e/fixture.sh gives it), so the demo and the other listeners are unchanged.
#
#   MC_GREYLIST_PORT        (10426) an MX like MC_MX_PORT whose RCPT restrictions end with
#                           check_policy_service: the first RCPT of a (client, sender,
#                           recipient) triplet gets "450 4.7.1 ... Greylisted, try again in 2
#                           seconds", a later one goes through
#   MC_POLICY_SERVER_PORT   (10427) the policy server itself (127.0.0.1 only)
#   MC_SENDER_CHECK_PORT    (10588) submission like MC_SUBMISSION_PORT that refuses a MAIL FROM
#                           the login does not own (reject_sender_login_mismatch; with
#                           smtpd_delay_reject the 553 5.7.1 comes at RCPT)

GREYLIST_PORT=${MC_GREYLIST_PORT:-10426}
POLICY_SERVER_PORT=${MC_POLICY_SERVER_PORT:-10427}
SENDER_CHECK_PORT=${MC_SENDER_CHECK_PORT:-10588}
readonly GREYLIST_DELAY_S=2

policy_enabled() { [[ -n ${MC_GREYLIST_POLICY_BIN:-} ]]; }

policy_paths() {
    PO_DIR=$DIR/policy
    PO_PID=$PO_DIR/greylist_policy.pid
    PO_LOG=$PO_DIR/greylist_policy.log
}

policy_ports() {
    policy_enabled && echo "$GREYLIST_PORT $POLICY_SERVER_PORT $SENDER_CHECK_PORT"
    return 0
}

policy_prereqs() {
    policy_enabled || return 0
    [[ -x $MC_GREYLIST_POLICY_BIN ]] ||
        die "MC_GREYLIST_POLICY_BIN '$MC_GREYLIST_POLICY_BIN' is not executable"
}

# The two listeners, after write_postfix_conf.
policy_postfix_conf() {
    policy_enabled || return 0
    printf '%s %s\n' "$PROBE_USER" "$PROBE_USER" > "$PF_DIR/sender_logins"
    cat >> "$PF_DIR/master.cf" <<EOF
$HOST:$GREYLIST_PORT inet n - n - - smtpd
  -o syslog_name=postfix/greylist
  -o smtpd_recipient_restrictions=reject_unauth_destination,check_policy_service,inet:127.0.0.1:$POLICY_SERVER_PORT
$HOST:$SENDER_CHECK_PORT inet n - n - - smtpd
  -o syslog_name=postfix/sendercheck
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_sender_login_maps=texthash:$PF_DIR/sender_logins
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
EOF
    touch -d '-5 seconds' "$PF_DIR/master.cf" "$PF_DIR/sender_logins"
}

start_policy() {
    policy_enabled || return 0
    install -d -o root -g root -m 0755 "$PO_DIR"
    : >> "$PO_LOG"
    setsid "$MC_GREYLIST_POLICY_BIN" "$POLICY_SERVER_PORT" "$GREYLIST_DELAY_S" \
        < /dev/null >> "$PO_LOG" 2>&1 9>&- &
    echo $! > "$PO_PID"
    LAUNCHED=1
}

# From the pid file, plus a scan of command lines in case DIR (and the pid file) is gone; also
# when this start or stop did not ask for it, so that none outlives its platform.
stop_policy() {
    local f pid exe pids=
    [[ -s $PO_PID ]] && pids=$(tr -dc '0-9' < "$PO_PID")
    while IFS= read -r f; do
        pid=${f#/proc/}; pid=${pid%/cmdline}
        [[ $(tr '\0' ' ' < "$f" 2>/dev/null) == *greylist_policy" $POLICY_SERVER_PORT "* ]] &&
            pids+=" $pid"
    done < <(grep -lzF -- greylist_policy /proc/[0-9]*/cmdline 2>/dev/null || true)
    for pid in $(echo "$pids" | tr ' ' '\n' | sort -u); do
        # A rebuilt binary leaves the running one's exe link as ".../greylist_policy (deleted)".
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
        pid_alive "$pid" && [[ ${exe% (deleted)} == */greylist_policy ]] || continue
        log "stopping the greylisting policy server (pid $pid)"
        terminate "$pid"
    done
    rm -f "$PO_PID"
}

policy_env() {
    policy_enabled || return 0
    printf '%s=%q\n' MC_GREYLIST_PORT "$GREYLIST_PORT" MC_SENDER_CHECK_PORT "$SENDER_CHECK_PORT" \
        MC_GREYLIST_POLICY_LOG "$PO_LOG" MC_GREYLIST_DELAY_S "$GREYLIST_DELAY_S"
}
