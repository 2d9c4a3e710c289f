#!/usr/bin/env bash
# The HTML report as a browser sees it: writes the unit tests' sample report, lets Debian's
# headless Chromium parse it (one waterfall per scenario section in the DOM it builds) and
# render it (a screenshot that is more than a blank page).
#
# usage: html_in_chromium.sh UNIT_TESTS_BINARY BUILD_DIR
# Leaves report.html, dom.html and report.png in BUILD_DIR/html_in_chromium for a look.
set -euo pipefail

unit_tests=${1:?usage: html_in_chromium.sh UNIT_TESTS_BINARY BUILD_DIR}
build_dir=${2:?usage: html_in_chromium.sh UNIT_TESTS_BINARY BUILD_DIR}

fail() {
  echo "html_in_chromium: $*" >&2
  exit 1
}

chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chromium ]] || fail "chromium not found (Debian package chromium; scripts/deps.sh installs it)"

out=$build_dir/html_in_chromium
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/report.html" "$out/dom.html" "$out/report.png" "$out/chromium.log"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

MC_HTML_SAMPLE=$out/report.html timeout 60 "$unit_tests" "[.html-sample]" >"$out/unit_tests.log" 2>&1 ||
  { cat "$out/unit_tests.log" >&2; fail "unit_tests could not write the sample report"; }
[[ -s $out/report.html ]] || fail "no sample report at $out/report.html"

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile")

timeout 60 "$chromium" "${flags[@]}" --dump-dom "file://$out/report.html" \
  >"$out/dom.html" 2>>"$out/chromium.log" ||
  { tail -20 "$out/chromium.log" >&2; fail "chromium --dump-dom failed"; }

# In document order: section starts, waterfalls and section ends; every scenario section must
# hold exactly one waterfall, and there is no waterfall outside one.
summary=$(grep -o '<section class="card scenario[^"]*"\|class="waterfall"\|</section>' "$out/dom.html" |
  awk '
    /^<section/ { if (inside) bad = 1; inside = 1; here = 0; sections++; next }
    /waterfall/ { waterfalls++; if (!inside) bad = 1; here++; next }
    /^<\/section>/ { if (inside && here != 1) bad = 1; inside = 0 }
    END { printf "%d %d %d\n", sections, waterfalls, bad }')
read -r sections waterfalls bad <<<"$summary"
echo "html_in_chromium: $sections scenario sections, $waterfalls waterfalls in the DOM"
((sections > 0)) || fail "no scenario section in the DOM Chromium built"
((waterfalls == sections && bad == 0)) ||
  fail "expected exactly one waterfall per scenario section ($sections sections, $waterfalls waterfalls)"
! grep -qi '<script' "$out/dom.html" || fail "the DOM contains a script element"

timeout 60 "$chromium" "${flags[@]}" --screenshot="$out/report.png" --window-size=1400,1000 \
  "file://$out/report.html" >>"$out/chromium.log" 2>&1 ||
  { tail -20 "$out/chromium.log" >&2; fail "chromium --screenshot failed"; }
[[ -f $out/report.png ]] || fail "no screenshot at $out/report.png"
size=$(stat -c %s "$out/report.png")
((size > 10240)) || fail "screenshot is only $size bytes: a blank page?"
echo "html_in_chromium: screenshot $out/report.png ($size bytes)"
