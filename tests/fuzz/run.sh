#!/usr/bin/env bash
# The fuzz tier: builds the libFuzzer targets into build-fuzz/ with clang-14 and runs each for
# SECONDS (default 20) on a copy of its seed corpus, with its dictionary. Prints one line per
# target and exits non-zero when any target found something; the input that did it and the log
# are left in build-fuzz/fuzz-run/.
#
#   bash tests/fuzz/run.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-20}
build=${MC_FUZZ_BUILD_DIR:-$root/build-fuzz}
out=$build/fuzz-run

# The libraries mailcanary builds against (the fuzz build leaves the tests out), then clang.
"$root/scripts/deps.sh" demo
if ! command -v clang++-14 >/dev/null || ! dpkg -s libclang-rt-14-dev >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "run.sh: clang-14 and libclang-rt-14-dev are missing; install them as root" >&2
    exit 2
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-14 \
    libclang-rt-14-dev >/dev/null
fi

start=$(date +%s)
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMAILCANARY_FUZZ=ON -DMAILCANARY_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzzers -j "$(nproc)" >"$build/fuzz-build.log" 2>&1 ||
  { cat "$build/fuzz-build.log" >&2; exit 2; }
echo "built in $(($(date +%s) - start)) s"

# target and its largest input: enough for the limits each one can reach (a client needs
# lines over 8192 bytes; the duration crasher is 26 KB).
targets=(
  "fuzz_line_buffer 4096"
  "fuzz_smtp_reply 4096"
  "fuzz_smtp_client 16384"
  "fuzz_smtp_policy 4096"
  "fuzz_imap_reader 16384"
  "fuzz_imap_client 16384"
  "fuzz_pop3 16384"
  "fuzz_list 8192"
  "fuzz_mail_date 512"
  "fuzz_mime 4096"
  "fuzz_received 8192"
  "fuzz_dnsbl 4096"
  "fuzz_http_form 8192"
  "fuzz_dsn 16384"
  "fuzz_jsonc 4096"
  "fuzz_scenario_loader 8192"
  "fuzz_duration 32768"
  "fuzz_scram 1024"
  "fuzz_oauth2_token 8192"
  "fuzz_cert_facts 8192"
  "fuzz_dns_answer 1024"
  "fuzz_multistatus 16384"
)

run_one() {
  local name=$1 max_len=$2 dir=$out/$1
  rm -rf "$dir" && mkdir -p "$dir/artifacts"
  cp -r "$root/tests/fuzz/corpus/$name" "$dir/corpus"
  local rc=0
  TMPDIR=$dir UBSAN_OPTIONS=print_stacktrace=1 "$build/tests/fuzz/$name" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -dict="$root/tests/fuzz/dict/$name.dict" \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
}

# One target per core at a time.
mkdir -p "$out"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
  run_one $t &
done
wait

status=0
for t in "${targets[@]}"; do
  set -- $t
  dir=$out/$1
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  artifact=$(ls "$dir/artifacts" 2>/dev/null | head -1)
  if [ "$(cat "$dir/rc")" = 0 ] && [ -z "$artifact" ]; then
    printf '%-22s ok       %10s execs %7s/s\n' "$1" "${execs:-?}" "${rate:-?}"
  else
    status=1
    what=$(grep -m1 -E '==FINDING==|ERROR: (Address|Leak)Sanitizer|ERROR: libFuzzer|runtime error' \
      "$dir/log" | sed 's/^==[0-9]*==//' || true)
    printf '%-22s FINDING  %10s execs  %s  input %s  log %s\n' "$1" "${execs:-?}" \
      "${what:-exit $(cat "$dir/rc")}" "$dir/artifacts/${artifact:-?}" "$dir/log"
  fi
done
echo "total $(($(date +%s) - start)) s"
exit $status
