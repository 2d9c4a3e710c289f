#!/usr/bin/env bash
# Checks the operator-facing files in examples/: the Prometheus rules load, the Grafana
# dashboard is valid JSON whose queries parse, both name only metrics that mailcanary exposes,
# the systemd, Kubernetes, Icinga and Nagios files run mailcanary as documented, and every
# scenario file passes `mailcanary validate` (with each password variable it names set).
#
# Usage: check_examples.sh SOURCE_DIR [EXAMPLES_DIR]
#   EXAMPLES_DIR defaults to SOURCE_DIR/examples; give another to check a modified copy.
#   MC_BIN names the mailcanary binary that validates the scenario files (without it they are
#   skipped, and the check says so).
# Needs promtool (Debian package prometheus) and jq; systemd-analyze is used when present.
set -euo pipefail

src=${1:?usage: check_examples.sh SOURCE_DIR [EXAMPLES_DIR]}
dir=${2:-$src/examples}

for tool in promtool jq; do
  command -v "$tool" >/dev/null || { echo "check_examples: $tool not found; run scripts/deps.sh" >&2; exit 1; }
done

# The metric families mailcanary exposes, and nothing else.
known=(
  mailcanary_success
  mailcanary_duration_seconds
  mailcanary_delivery_seconds
  mailcanary_step_duration_seconds
  mailcanary_phase_duration_seconds
  mailcanary_failure_info
  mailcanary_tls_cert_expiry_timestamp_seconds
  mailcanary_tls_info
  mailcanary_tls_cert_expiry_threshold_seconds
  mailcanary_last_run_timestamp_seconds
  mailcanary_last_success_timestamp_seconds
  mailcanary_late_probes
  mailcanary_lost_probes
  mailcanary_pending_probes
  mailcanary_auth_result_info
  mailcanary_spam_score
  mailcanary_hop_delay_seconds
  mailcanary_placement_info
  mailcanary_dnsbl_listed
  mailcanary_http_status
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1" >&2; }

# check NAME COMMAND...: runs COMMAND, output shown only when it fails.
check() {
  local name=$1; shift
  if "$@" >"$tmp/out" 2>&1; then
    pass "$name"
  else
    fail "$name"
    sed 's/^/     /' "$tmp/out" >&2
  fi
}

# contains FILE STRING...: FILE holds every STRING, literally.
contains() {
  local file=$1; shift
  [[ -f $file ]] || { echo "$file: missing"; return 1; }
  local s missing=0
  for s in "$@"; do
    grep -qF -- "$s" "$file" || { echo "$file: does not contain: $s"; missing=1; }
  done
  return "$missing"
}

# metrics_known FILE: every mailcanary_* name in FILE is one of the families above.
metrics_known() {
  local file=$1 name k found unknown=0
  [[ -f $file ]] || { echo "$file: missing"; return 1; }
  while read -r name; do
    found=0
    for k in "${known[@]}"; do [[ $name == "$k" ]] && found=1 && break; done
    if (( !found )); then
      echo "$file: unknown metric $name (mailcanary exposes: ${known[*]})"
      unknown=1
    fi
  done < <(grep -oE 'mailcanary_[a-z_]+' "$file" | sort -u)
  return "$unknown"
}

# metrics_used FILE NAME...: FILE refers to every metric NAME.
metrics_used() {
  local file=$1; shift
  local name missing=0
  for name in "$@"; do
    grep -qE "(^|[^a-z_])${name}([^a-z_]|$)" "$file" || { echo "$file: never uses $name"; missing=1; }
  done
  return "$missing"
}

# --- Prometheus rules --------------------------------------------------------------------------
rules=$dir/alerts.yml
check "alerts.yml: promtool check rules" promtool check rules "$rules"
check "alerts.yml: only known metrics" metrics_known "$rules"
check "alerts.yml: covers success, delivery, staleness, certificates, lost probes" \
  metrics_used "$rules" mailcanary_success mailcanary_delivery_seconds \
  mailcanary_last_run_timestamp_seconds mailcanary_tls_cert_expiry_timestamp_seconds \
  mailcanary_lost_probes
check "alerts.yml: absent() for missing results" contains "$rules" "absent(mailcanary_"

# --- Grafana dashboard -------------------------------------------------------------------------
dash=$dir/grafana-dashboard.json
check "grafana-dashboard.json: valid JSON" jq empty "$dash"

dashboard_shape() {
  jq -e '
    (.schemaVersion | type == "number" and . >= 36)
    and (.panels | length > 0)
    and ([.templating.list[] | select(.name == "vantage" or .name == "scenario")
          | (.definition // .query.query // .query) | tostring
          | test("label_values\\(mailcanary_success")] | length == 2)
    and ((.templating.list | any(.type == "datasource" and .query == "prometheus"))
         or (.__inputs // [] | any(.pluginId == "prometheus")))
    and ([.. | objects | select(has("expr")) | .expr | select(type == "string" and length > 0)]
         | length > 0)
  ' "$1" >/dev/null || { echo "$1: needs schemaVersion >= 36, panels, a Prometheus data source," \
                              "vantage and scenario variables from label_values(mailcanary_success, ...)" \
                              "and queries"; return 1; }
}
check "grafana-dashboard.json: data source, variables, panels" dashboard_shape "$dash"
check "grafana-dashboard.json: only known metrics" metrics_known "$dash"
check "grafana-dashboard.json: shows every metric family" metrics_used "$dash" "${known[@]}"

# Every panel query must parse: turned into recording rules (dashboard variables replaced by
# values) for promtool. JSON is YAML, so jq writes the rule file.
dashboard_queries_parse() {
  jq '{groups: [{name: "dashboard", rules: [
        [.. | objects | select(has("expr")) | .expr | select(type == "string")]
        | to_entries[]
        | {record: "dashboard_query_\(.key)",
           expr: (.value | gsub("\\$(__rate_interval|__interval|__range)"; "5m")
                         | gsub("\\$\\{?[A-Za-z_][A-Za-z0-9_]*\\}?"; ".*"))}]}]}' \
     "$1" >"$tmp/dashboard-rules.yml" || return 1
  promtool check rules "$tmp/dashboard-rules.yml"
}
check "grafana-dashboard.json: every query parses (promtool)" dashboard_queries_parse "$dash"

# --- systemd -----------------------------------------------------------------------------------
check "mailcanary.service: oneshot run with --push and --json" contains "$dir/mailcanary.service" \
  "Type=oneshot" "ExecStart=/usr/local/bin/mailcanary run /etc/mailcanary/platform.json" \
  "--push http://pushgateway:9091" "--json /var/lib/mailcanary/last.json" "User=mailcanary" \
  "StateDirectory=mailcanary" "ProtectSystem=strict" "NoNewPrivileges=yes" "PrivateTmp=yes" \
  "EnvironmentFile=/etc/mailcanary/secrets.env"
check "mailcanary.timer: every minute, randomized" contains "$dir/mailcanary.timer" \
  "OnCalendar=" "RandomizedDelaySec=10s" "WantedBy=timers.target"
check "mailcanary-every.service: long-running --every" contains "$dir/mailcanary-every.service" \
  "Type=simple" "ExecStart=/usr/local/bin/mailcanary run" "--every 60s" "KillSignal=SIGTERM" \
  "TimeoutStopSec=20"

if command -v systemd-analyze >/dev/null; then
  # verify wants an executable that exists: point the copies at /bin/true.
  units_verify() {
    mkdir -p "$tmp/units"
    local f
    for f in mailcanary.service mailcanary.timer mailcanary-every.service; do
      sed 's#^ExecStart=/usr/local/bin/mailcanary #ExecStart=/bin/true #' "$dir/$f" >"$tmp/units/$f"
    done
    (cd "$tmp/units" && systemd-analyze verify ./mailcanary.service ./mailcanary.timer ./mailcanary-every.service)
  }
  check "systemd units: systemd-analyze verify" units_verify
else
  echo "skip systemd units: systemd-analyze verify (systemd-analyze not installed)"
fi

# --- Kubernetes --------------------------------------------------------------------------------
check "kubernetes-cronjob.yaml: CronJob running mailcanary" contains "$dir/kubernetes-cronjob.yaml" \
  "kind: CronJob" 'schedule: "* * * * *"' "concurrencyPolicy: Forbid" "restartPolicy: Never" \
  "activeDeadlineSeconds: 55" "kind: Secret" "kind: ConfigMap" "platform.json" \
  "image: registry.example/mailcanary:0.1.0" "- run" "- /etc/mailcanary/platform.json" \
  "- --push" "- --state-dir"

# --- Icinga 2 and Nagios -----------------------------------------------------------------------
check "icinga2-command.conf: CheckCommand running mailcanary --nagios" contains "$dir/icinga2-command.conf" \
  'object CheckCommand "mailcanary"' '"/usr/local/bin/mailcanary", "run"' '"--nagios"' '"--scenario"' \
  '"--state-dir"'
check "nagios-command.cfg: command and service running mailcanary --nagios" contains "$dir/nagios-command.cfg" \
  "define command" "define service" "/usr/local/bin/mailcanary run \$ARG1\$ --nagios --scenario \$ARG2\$" \
  "check_mailcanary!"

# --- scenario files -----------------------------------------------------------------------------
scenario_files=()
for f in "$dir"/*.json; do
  [[ $(basename "$f") == grafana-dashboard.json ]] || scenario_files+=("$f")
done
# A scenario file is valid as it stands once the variables its passwords name are set.
validates() {
  local file=$1 vars
  vars=$(grep -o '"env": *"[A-Z0-9_]*"' "$file" | sed 's/.*"\([A-Z0-9_]*\)"$/\1=placeholder/' | sort -u)
  # shellcheck disable=SC2086
  env $vars "$MC_BIN" validate "$file"
}
if [[ -n ${MC_BIN:-} ]]; then
  for f in "${scenario_files[@]}"; do
    check "$(basename "$f"): mailcanary validate" validates "$f"
  done
else
  echo "skipped: scenario files not validated (MC_BIN not set)"
fi

# --- README ------------------------------------------------------------------------------------
scenario_names=()
for f in "${scenario_files[@]}"; do scenario_names+=("$(basename "$f")"); done
check "README.md: names every example" contains "$dir/README.md" \
  grafana-dashboard.json alerts.yml mailcanary.service mailcanary.timer mailcanary-every.service \
  kubernetes-cronjob.yaml icinga2-command.conf nagios-command.cfg crontab "${scenario_names[@]}"

echo "$passed passed, $failed failed"
(( failed == 0 ))
