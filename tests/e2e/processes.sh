# shellcheck shell=bash
# processes.sh - finding and stopping the end-to-end tier's daemons by their pid files and /proc
# (never an init system), sourced by mailservers.sh.

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
