// The HTML report's step parts: the waterfall of steps and phases on a time axis, and the
// table of steps with their servers, TLS facts and details.
#include <optional>

#include "reporters/html_parts.hpp"

namespace mc::html {
namespace {

// Phases are coloured by what they wait for: the network, TLS, or the server's protocol.
const char* phase_kind(const std::string& name) {
  if (name == "resolve" || name == "connect") return "net";
  if (name == "tls_handshake" || name == "starttls") return "tls";
  if (name == "message" || name == "data") return "data";
  return "cmd";
}

// A time axis: a 1-2-5 tick spacing giving at most about eight intervals, and the extent
// rounded up to a whole number of ticks.
struct Axis {
  double tick = 1;
  double extent = 1;
  double at(double s) const { return s / extent * 100.0; }
  std::string label(double s) const {
    s = std::round(s * 1e6) / 1e6;  // 3 * 0.1 is not 0.3
    if (extent < 2) {
      const double v = s * 1000.0;
      return v == std::floor(v) ? fmt("%.0f ms", v) : fmt("%.1f ms", std::round(v * 10) / 10);
    }
    return s == std::floor(s) ? fmt("%.0f s", s) : fmt("%.1f s", s);
  }
};

Axis make_axis(double end) {
  end = std::max(end, 0.001);
  const double raw = end / 8.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double tick = 10 * mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      tick = m * mag;
      break;
    }
  }
  Axis a;
  a.tick = tick;
  a.extent = std::ceil(end / tick - 1e-9) * tick;
  return a;
}

// Where a delivery bar starts: the end of smtp.send's "message" phase (250 after the body).
std::optional<double> queued_offset(const ScenarioResult& sc) {
  std::optional<double> at;
  for (const auto& st : sc.steps)
    for (const auto& ph : st.phases)
      if (ph.name == "message") at = ph.start_s + ph.duration_s;
  if (!at && sc.queued_at)
    at = std::chrono::duration<double>(*sc.queued_at - sc.started_at).count();
  return at;
}

std::string day_of(const std::string& iso) {
  return iso.substr(0, 10);
}

// One row of the waterfall. A bar with no extent (a skipped step) is left out; the label
// goes right of the bar, else left of it, else (a bar spanning nearly the whole axis) inside
// it on a light background.
void bar_row(std::string& h, const Axis& axis, const std::string& row_class,
             const std::string& label_html, const std::string& bar_class, double start,
             double duration, const std::string& title, const std::string& after_html,
             const std::string& extra_html, bool draw_bar = true) {
  const double left = std::clamp(axis.at(start), 0.0, 100.0);
  const double width = std::clamp(axis.at(duration), 0.0, 100.0 - left);
  h += "<div class=\"wf-row " + row_class + "\"><div class=\"wf-label\">" + label_html +
       "</div><div class=\"wf-track\">";
  if (draw_bar)
    h += "<div class=\"" + bar_class + "\" style=\"left:min(" + pct(left) +
         ", calc(100% - 3px));width:" + pct(width) + "\" title=\"" + attr(title) + "\"></div>";
  constexpr double kRoom = 18;  // percent of the track a label needs beside its bar
  const double end = left + width;
  if (100 - end >= kRoom)
    h += "<span class=\"bar-label\" style=\"left:" + pct(end) + "\">" + after_html + "</span>";
  else if (left >= kRoom || !draw_bar)
    h += "<span class=\"bar-label left\" style=\"right:" + pct(100 - left) + "\">" + after_html +
         "</span>";
  else
    h += "<span class=\"bar-label inside\" style=\"left:" + pct(left) + "\"><span>" + after_html +
         "</span></span>";
  h += extra_html + "</div></div>\n";
}

// The probe's hops under the delivery wait, on the same axis: each from the hop before (the
// first from the message's Date:) to its own Received: date. Those dates have whole seconds,
// so a bar spans whole seconds and may start before the scenario; it is cut at the axis.
void hop_rows(std::string& h, const Axis& axis, const ScenarioResult& sc) {
  for (const auto& hp : sc.hops) {
    std::string label = "hop " + escape(hp.hop);
    if (!hp.by.empty()) label += "<span class=\"lim\">" + escape(hp.by) + "</span>";
    std::string title = "hop " + hp.hop + (hp.by.empty() ? "" : " by " + hp.by) +
                        (hp.with.empty() ? "" : " with " + hp.with);
    if (!hp.at || !hp.delay_s) {
      bar_row(h, axis, "hop-row", label, "bar hop", 0, 0, title, "no date", "", false);
      continue;
    }
    const double end = std::chrono::duration<double>(*hp.at - sc.started_at).count();
    const double from = std::max(0.0, std::min(end, end - *hp.delay_s));
    const double to = std::max(from, std::max(end, end - *hp.delay_s));
    std::string after = escape(fmt("%.0f s", *hp.delay_s));
    if (hp.skew) after += "<span class=\"why\">clock skew</span>";
    title += ", at " + iso8601(*hp.at) + ", " + fmt("%.0f", *hp.delay_s) +
             " s after the hop before (whole seconds)";
    bar_row(h, axis, std::string("hop-row") + (hp.skew ? " skew" : ""), label, "bar hop", from,
            to - from, title, after, "");
  }
}

}  // namespace

void waterfall(std::string& h, const ScenarioResult& sc) {
  const auto queued = queued_offset(sc);
  double end = sc.duration_s;
  for (const auto& st : sc.steps) {
    end = std::max(end, st.start_s + st.duration_s);
    for (const auto& ph : st.phases) end = std::max(end, ph.start_s + ph.duration_s);
  }
  if (sc.delivery_s && queued) end = std::max(end, *queued + *sc.delivery_s);
  const Axis axis = make_axis(end);

  h += "<div class=\"waterfall\" style=\"--tick:" + pct(axis.at(axis.tick)) + "\">\n";
  if (sc.steps.empty()) {
    h += "<div class=\"empty\">No step was recorded.</div>\n</div>\n";
    return;
  }
  h += "<div class=\"wf-row wf-axis\"><div class=\"wf-label\">step / phase</div>"
       "<div class=\"wf-track\">";
  const int ticks = static_cast<int>(std::lround(axis.extent / axis.tick));
  for (int i = 0; i <= ticks; ++i) {
    const double t = axis.tick * i;
    const char* extra = i == 0 ? " first" : i == ticks ? " last" : "";
    h += std::string("<span class=\"tick") + extra + "\" style=\"left:" + pct(axis.at(t)) + "\">" +
         escape(axis.label(t)) + "</span>";
  }
  h += "</div></div>\n";

  const StepResult* failed = failed_step(sc);
  // The phase a failure happened in: the last one of that name in the failed step.
  const PhaseResult* failed_ph = nullptr;
  if (failed)
    for (const auto& ph : failed->phases)
      if (ph.name == sc.failure->failure.phase) failed_ph = &ph;
  for (const auto& st : sc.steps) {
    const std::string cls = step_class(st.status);
    const bool is_failed = &st == failed || st.status == "failed";
    std::string label = escape(st.step);
    std::string limits;
    if (st.warn_s) limits += "warn " + seconds_text(*st.warn_s);
    if (st.crit_s)
      limits += std::string(limits.empty() ? "" : " · ") + "crit " + seconds_text(*st.crit_s);
    if (!limits.empty()) label += "<span class=\"lim\">" + escape(limits) + "</span>";

    std::string after = escape(ms(st.duration_s));
    if (is_failed && sc.failure)
      after += "<span class=\"why\">" + escape(std::string(to_string(sc.failure->failure.reason))) +
               "</span>";
    else if (st.threshold)
      after += "<span class=\"why\" style=\"color:var(--" +
               std::string(*st.threshold == "crit" ? "crit" : "warn") + ")\">over " +
               escape(*st.threshold) + "</span>";
    else if (st.status == "skipped")
      after = "skipped";
    else if (st.status != "ok")
      after += " (" + escape(st.status) + ")";

    std::string marks;
    auto mark = [&](const std::optional<double>& limit, const char* kind) {
      if (!limit || st.start_s + *limit > axis.extent) return;
      marks += std::string("<span class=\"limit ") + kind +
               "\" style=\"left:" + pct(axis.at(st.start_s + *limit)) + "\" title=\"" + kind +
               " threshold " + attr(seconds_text(*limit)) + "\"><span>" + kind + "</span></span>";
    };
    mark(st.warn_s, "warn");
    mark(st.crit_s, "crit");

    bar_row(h, axis, "step " + cls + (is_failed && cls != "failed" ? " failed" : ""), label, "bar",
            st.start_s, st.duration_s,
            st.step + ": " + st.status + ", start " + ms(st.start_s) + ", " + ms(st.duration_s),
            after, marks, !(st.status == "skipped" && st.duration_s <= 0));
    for (const auto& ph : st.phases) {
      const bool failed_phase = &ph == failed_ph;
      std::string ph_after = escape(ms(ph.duration_s));
      if (failed_phase) ph_after += "<span class=\"why\">failed here</span>";
      bar_row(h, axis, std::string("phase") + (failed_phase ? " failed" : ""), escape(ph.name),
              std::string("bar ") + phase_kind(ph.name), ph.start_s, ph.duration_s,
              st.step + " / " + ph.name + ": start " + ms(ph.start_s) + ", " + ms(ph.duration_s),
              ph_after, "");
    }
  }
  if (sc.delivery_s && queued)
    bar_row(h, axis, "delivery-row", "delivery <span class=\"lim\">queued &rarr; seen</span>",
            "bar delivery", *queued, *sc.delivery_s,
            "delivery: queued at " + ms(*queued) + ", visible after " + ms(*sc.delivery_s),
            escape(ms(*sc.delivery_s)), "");
  hop_rows(h, axis, sc);
  h += "</div>\n";
  h += "<div class=\"legend\"><span><i style=\"background:var(--ok-bar)\"></i>step ok</span>"
       "<span><i style=\"background:var(--warn-bar)\"></i>warning</span>"
       "<span><i style=\"background:var(--crit-bar)\"></i>critical / failed</span>"
       "<span><i style=\"background:#8ca0b8\"></i>network</span>"
       "<span><i style=\"background:#8957e5\"></i>TLS</span>"
       "<span><i style=\"background:#4184e4\"></i>protocol</span>"
       "<span><i style=\"background:#2c4a9a\"></i>message</span>"
       "<span><i style=\"background:#0b7f86\"></i>delivery wait</span>";
  if (!sc.hops.empty())
    h += "<span><i style=\"background:#5fb3b9\"></i>hop (Received: dates, whole seconds)</span>";
  h += "<span><i class=\"limit-sample\" style=\"border-color:var(--warn-bar)\"></i>warn "
       "threshold</span>"
       "<span><i class=\"limit-sample\" style=\"border-color:var(--crit)\"></i>crit "
       "threshold</span></div>\n";
}

void steps_table(std::string& h, const ScenarioResult& sc) {
  if (sc.steps.empty()) return;
  h += "<table class=\"steps\"><tr><th>step</th><th>status</th><th class=\"num\">start</th>"
       "<th class=\"num\">duration</th><th>server</th><th>TLS</th><th>certificate</th>"
       "<th>details</th></tr>\n";
  for (const auto& st : sc.steps) {
    h += std::string("<tr") + (st.status == "failed" ? " class=\"failed\"" : "") + "><td>" +
         escape(st.step) + "</td><td>" + badge(step_class(st.status), st.status) +
         "</td><td class=\"num\">" + escape(human(st.start_s)) + "</td><td class=\"num\">" +
         escape(human(st.duration_s)) + "</td><td>";
    if (!st.server.empty()) h += "<span class=\"mono\">" + escape(st.server) + "</span>";
    if (!st.address.empty()) h += "<br><span class=\"mono\">" + escape(st.address) + "</span>";
    h += "</td><td>";
    if (st.tls) {
      h += escape(st.tls->version) + "<br><span class=\"mono\">" + escape(st.tls->cipher) +
           "</span><br>" +
           (st.tls->verified ? std::string("verified")
                             : std::string("<span class=\"tls-bad\">NOT verified</span>"));
    }
    h += "</td><td>";
    if (st.tls) {
      if (st.tls->cert_not_after)
        h += "not after " + escape(day_of(iso8601(*st.tls->cert_not_after)));
      const auto& within = st.tls->expiry_threshold;
      if (st.tls->chain_expiry_s) {
        const double days = *st.tls->chain_expiry_s / 86400.0;
        const char* cls = days < 0 || within == "crit" ? "tls-bad"
                          : days < 14 || within        ? "soon"
                                                       : "";
        h += std::string(st.tls->cert_not_after ? "<br>" : "") + "<span class=\"" + cls +
             "\">chain expires in " + fmt("%.0f", std::floor(days)) + " days</span>";
      }
      if (within)
        h += "<br><span class=\"" + std::string(*within == "crit" ? "crit" : "warn") +
             "-text\">within its " + escape(*within) + " threshold</span>";
      if (!st.tls->fingerprint_sha256.empty())
        h += "<br><span class=\"mono fp\" title=\"SHA-256 fingerprint of the server's "
             "certificate\">sha256 " +
             escape(st.tls->fingerprint_sha256) + "</span>";
    }
    h += "</td><td>";
    std::string d;
    auto add = [&](const std::string& html) { d += (d.empty() ? "" : "<br>") + html; };
    if (st.warn_s || st.crit_s) {
      std::string lim;
      if (st.warn_s) lim += "warn " + seconds_text(*st.warn_s);
      if (st.crit_s)
        lim += std::string(lim.empty() ? "" : ", ") + "crit " + seconds_text(*st.crit_s);
      add(escape(lim));
    }
    if (st.threshold)
      add(std::string("<span class=\"") + (*st.threshold == "crit" ? "crit" : "warn") + "-text\">" +
          escape(*st.threshold) + " threshold exceeded</span>");
    // The kind's own facts, each as it words itself: a new kind needs nothing here.
    for (const auto& dt : st.details)
      if (!dt.text.empty()) add(escape(dt.text));
    h += d + "</td></tr>\n";
  }
  h += "</table>\n";
}

}  // namespace mc::html
