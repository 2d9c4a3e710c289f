#!/usr/bin/env bash
# ctest fixture: a real Prometheus Pushgateway on 127.0.0.1:$MC_PUSHGATEWAY_PORT (default 19091),
# in memory only, for the reporter tests.
#   pushgateway.sh start DIR | stop DIR
set -euo pipefail
cmd=$1 dir=$2
port=${MC_PUSHGATEWAY_PORT:-19091}
mkdir -p "$dir"
pidfile=$dir/pushgateway.pid

stop() {
  if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case $cmd in
  start)
    stop
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "pushgateway.sh: port $port is already in use (set MC_PUSHGATEWAY_PORT)" >&2
      exit 1
    fi
    setsid /usr/bin/prometheus-pushgateway --web.listen-address="127.0.0.1:$port" \
      >"$dir/pushgateway.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    for _ in $(seq 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "pushgateway on 127.0.0.1:$port (pid $(cat "$pidfile"))"
        exit 0
      fi
      sleep 0.1
    done
    echo "pushgateway.sh: not listening after 10 s:" >&2
    cat "$dir/pushgateway.log" >&2
    stop
    exit 1
    ;;
  stop) stop ;;
  *) echo "usage: pushgateway.sh start|stop DIR" >&2; exit 2 ;;
esac
