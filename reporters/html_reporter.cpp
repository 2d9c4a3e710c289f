#include "reporters/html_reporter.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "reporters/assets.hpp"
#include "reporters/json_reporter.hpp"
#include "reporters/markup.hpp"

namespace mc {
namespace {

using markup::escape;

std::string attr(std::string_view text) {
  return escape(text, true);
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// Durations on bars and in tables are milliseconds, with as many decimals as are meaningful.
std::string ms(double s) {
  const double v = s * 1000.0;
  if (std::fabs(v) < 1) return fmt("%.2f ms", v);
  if (std::fabs(v) < 1000) return fmt("%.1f ms", v);
  return fmt("%.0f ms", v);
}

// Durations in tables and headers: milliseconds below a second, then seconds, then minutes.
std::string human(double s) {
  if (s < 1) return ms(s);
  if (s < 60) return fmt("%.2f s", s);
  const long long whole = std::llround(s);
  char buf[64];
  if (whole < 3600)
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", whole / 60, whole % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", whole / 3600, whole % 3600 / 60);
  return buf;
}

// Thresholds are configured as durations like "10s"; they read best that way.
std::string seconds_text(double s) {
  if (s < 1) return fmt("%.0f ms", s * 1000.0);
  if (s == std::floor(s)) return fmt("%.0f s", s);
  return fmt("%.3g s", s);
}

std::string pct(double v) {
  return fmt("%.3f%%", std::clamp(v, 0.0, 100.0));
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string badge(std::string_view cls, std::string_view text) {
  return "<span class=\"badge " + attr(cls) + "\">" + escape(upper(text)) + "</span>";
}
std::string badge(std::string_view status) {
  return badge(status, status);
}

// Phases are coloured by what they wait for: the network, TLS, or the server's protocol.
const char* phase_kind(const std::string& name) {
  if (name == "resolve" || name == "connect") return "net";
  if (name == "tls_handshake" || name == "starttls") return "tls";
  if (name == "message" || name == "data") return "data";
  return "cmd";
}

// A step's status as a CSS class: ok, warning, critical, failed, skipped (anything else: other).
std::string step_class(const std::string& status) {
  for (const char* known : {"ok", "warning", "critical", "failed", "skipped"})
    if (status == known) return status;
  return "other";
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

class Page {
 public:
  Page(const RunResult& run, const ReportContext& ctx) : run_(run), ctx_(ctx) {}

  std::string render() {
    head();
    h_ += "<body>\n<main>\n";
    run_header();
    for (std::size_t i = 0; i < run_.scenarios.size(); ++i) scenario(i, run_.scenarios[i]);
    h_ += "<footer>mailcanary " + escape(run_.version) + " &middot; run started " +
          escape(iso8601(run_.started_at)) + "</footer>\n";
    h_ += "</main>\n</body>\n</html>\n";
    return std::move(h_);
  }

 private:
  void head() {
    const std::string status(to_string(run_.status));
    h_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // Nothing may load from anywhere, whatever a server's reply contains.
    h_ +=
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n";
    h_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h_ += "<meta name=\"color-scheme\" content=\"light\">\n";
    h_ += "<title>mailcanary " + escape(run_.vantage) + " " + escape(upper(status)) + " " +
          escape(iso8601(run_.started_at)) + "</title>\n";
    h_ += "<style>\n" + std::string(assets::report_css) + "</style>\n</head>\n";
  }

  void run_header() {
    const std::string status(to_string(run_.status));
    h_ += "<header class=\"card run status-" + attr(status) + "\">\n";
    h_ += "<div class=\"title\"><h1>mailcanary report</h1>" + badge(status) + "</div>\n";
    int counts[4] = {0, 0, 0, 0};
    for (const auto& sc : run_.scenarios) ++counts[static_cast<int>(sc.status)];
    std::string tally = std::to_string(run_.scenarios.size());
    const char* names[4] = {"ok", "warning", "critical", "unknown"};
    std::string parts;
    for (int i = 0; i < 4; ++i)
      if (counts[i] > 0)
        parts += (parts.empty() ? "" : ", ") + std::to_string(counts[i]) + " " + names[i];
    if (!parts.empty()) tally += " (" + parts + ")";
    h_ += "<dl class=\"facts\">";
    fact("vantage", escape(run_.vantage));
    fact("started", escape(iso8601(run_.started_at)));
    fact("duration", escape(human(run_.duration_s)));
    fact("scenarios", escape(tally));
    fact("version", escape(run_.version));
    h_ += "</dl>\n";
    if (!run_.warnings.empty()) {
      h_ += "<ul class=\"notes warn-text\">";
      for (const auto& w : run_.warnings) h_ += "<li>" + escape(w) + "</li>";
      h_ += "</ul>\n";
    }
    earlier_probes();
    overview();
    h_ += "</header>\n";
  }

  void fact(std::string_view name, const std::string& html) {
    h_ += "<div><dt>" + escape(name) + "</dt><dd>" + html + "</dd></div>";
  }

  // Probes of earlier runs found now (late) or given up on (lost): informational, their own
  // runs reported them as not delivered.
  void earlier_probes() {
    std::string rows;
    for (const auto& sc : run_.scenarios) {
      auto add = [&](const EarlierProbe& p, const char* kind) {
        rows += "<tr><td>" + escape(sc.name) + "</td><td>" + badge(kind) + "</td><td>" +
                escape(iso8601(p.queued_at)) + "</td><td>" +
                (p.delivered_at ? escape(iso8601(*p.delivered_at)) : "&ndash;") +
                "</td><td class=\"num\">" +
                (p.delivery_s ? escape(human(*p.delivery_s)) : "&ndash;") +
                "</td><td class=\"mono\">" + escape(p.token) + "</td></tr>";
      };
      for (const auto& p : sc.late) add(p, "late");
      for (const auto& p : sc.lost) add(p, "lost");
    }
    if (rows.empty()) return;
    h_ +=
        "<h3 style=\"margin-top:14px\">Probes of earlier runs</h3><table class=\"earlier\">"
        "<tr><th>scenario</th><th>found</th><th>queued at</th><th>delivered at</th>"
        "<th class=\"num\">delivery</th><th>token</th></tr>" +
        rows + "</table>\n";
  }

  void overview() {
    if (run_.scenarios.empty()) {
      h_ += "<p class=\"empty\">No scenarios ran.</p>\n";
      return;
    }
    h_ +=
        "<table class=\"overview\"><tr><th>scenario</th><th>status</th>"
        "<th class=\"num\">duration</th><th class=\"num\">delivery</th><th>result</th></tr>";
    for (std::size_t i = 0; i < run_.scenarios.size(); ++i) {
      const auto& sc = run_.scenarios[i];
      h_ += "<tr><td><a href=\"#scenario-" + std::to_string(i + 1) + "\">" + escape(sc.name) +
            "</a></td><td>" + badge(to_string(sc.status)) + "</td><td class=\"num\">" +
            escape(human(sc.duration_s)) + "</td><td class=\"num\">" +
            (sc.delivery_s ? escape(human(*sc.delivery_s)) : "&ndash;") + "</td><td>" +
            escape(outcome(sc)) + "</td></tr>";
    }
    h_ += "</table>\n";
  }

  static std::string outcome(const ScenarioResult& sc) {
    if (sc.failure) {
      const auto& f = sc.failure->failure;
      const std::string where = failure_place(sc);
      return (where.empty() ? "" : where + ": ") + std::string(to_string(f.reason)) + " - " +
             f.message;
    }
    for (const auto& st : sc.steps)
      if (st.threshold) return st.step + " over its " + *st.threshold + " threshold";
    return "delivered and checked";
  }

  static std::string threshold_note(const StepResult& st) {
    const bool crit = *st.threshold == "crit";
    const auto& limit = crit ? st.crit_s : st.warn_s;
    std::string out =
        st.step + " took " + human(st.duration_s) + ", over its " + *st.threshold + " threshold";
    if (limit) out += " of " + seconds_text(*limit);
    return out;
  }

  void scenario(std::size_t index, const ScenarioResult& sc) {
    const std::string status(to_string(sc.status));
    h_ += "<section class=\"card scenario status-" + attr(status) + "\" id=\"scenario-" +
          std::to_string(index + 1) + "\">\n";
    h_ += "<div class=\"title\"><h2>" + escape(sc.name) + "</h2>" + badge(status) +
          "<span class=\"scenario-meta\">total <b>" + escape(human(sc.duration_s)) + "</b>";
    if (sc.delivery_s) h_ += " &middot; delivery <b>" + escape(human(*sc.delivery_s)) + "</b>";
    h_ += " &middot; started " + escape(iso8601(sc.started_at));
    h_ += "</span></div>\n";

    std::string notes;
    for (const auto& st : sc.steps)
      if (st.threshold)
        notes += std::string("<li class=\"") + (*st.threshold == "crit" ? "crit" : "warn") +
                 "-text\">" + escape(threshold_note(st)) + "</li>";
    if (sc.queued_at || sc.seen_at) {
      notes += "<li>";
      if (sc.queued_at) notes += "queued " + escape(iso8601(*sc.queued_at));
      if (sc.queued_at && sc.seen_at) notes += " &rarr; ";
      if (sc.seen_at) notes += "seen in the mailbox " + escape(iso8601(*sc.seen_at));
      notes += "</li>";
    }
    if (sc.pending > 0)
      notes += "<li>" + std::to_string(sc.pending) + " probe(s) of earlier runs still sought</li>";
    if (!sc.late.empty())
      notes +=
          "<li>" + std::to_string(sc.late.size()) + " late probe(s) of earlier runs found</li>";
    if (!sc.lost.empty())
      notes += "<li class=\"warn-text\">" + std::to_string(sc.lost.size()) +
               " probe(s) of earlier runs lost</li>";
    for (const auto& [name, when] : ctx_.last_success)
      if (name == sc.name)
        notes += "<li>last success " +
                 escape(iso8601(Wall::time_point(std::chrono::duration_cast<Wall::duration>(
                     std::chrono::duration<double>(when))))) +
                 "</li>";
    if (!notes.empty()) h_ += "<ul class=\"notes\">" + notes + "</ul>\n";

    waterfall(sc);
    failure(sc);
    steps_table(sc);
    h_ += "</section>\n";
  }

  // One row of the waterfall. A bar with no extent (a skipped step) is left out; the label
  // goes right of the bar, else left of it, else (a bar spanning nearly the whole axis) inside
  // it on a light background.
  void bar_row(const Axis& axis, const std::string& row_class, const std::string& label_html,
               const std::string& bar_class, double start, double duration,
               const std::string& title, const std::string& after_html,
               const std::string& extra_html, bool draw_bar = true) {
    const double left = std::clamp(axis.at(start), 0.0, 100.0);
    const double width = std::clamp(axis.at(duration), 0.0, 100.0 - left);
    h_ += "<div class=\"wf-row " + row_class + "\"><div class=\"wf-label\">" + label_html +
          "</div><div class=\"wf-track\">";
    if (draw_bar)
      h_ += "<div class=\"" + bar_class + "\" style=\"left:min(" + pct(left) +
            ", calc(100% - 3px));width:" + pct(width) + "\" title=\"" + attr(title) + "\"></div>";
    constexpr double kRoom = 18;  // percent of the track a label needs beside its bar
    const double end = left + width;
    if (100 - end >= kRoom)
      h_ += "<span class=\"bar-label\" style=\"left:" + pct(end) + "\">" + after_html + "</span>";
    else if (left >= kRoom || !draw_bar)
      h_ += "<span class=\"bar-label left\" style=\"right:" + pct(100 - left) + "\">" + after_html +
            "</span>";
    else
      h_ += "<span class=\"bar-label inside\" style=\"left:" + pct(left) + "\"><span>" +
            after_html + "</span></span>";
    h_ += extra_html + "</div></div>\n";
  }

  void waterfall(const ScenarioResult& sc) {
    const auto queued = queued_offset(sc);
    double end = sc.duration_s;
    for (const auto& st : sc.steps) {
      end = std::max(end, st.start_s + st.duration_s);
      for (const auto& ph : st.phases) end = std::max(end, ph.start_s + ph.duration_s);
    }
    if (sc.delivery_s && queued) end = std::max(end, *queued + *sc.delivery_s);
    const Axis axis = make_axis(end);

    h_ += "<div class=\"waterfall\" style=\"--tick:" + pct(axis.at(axis.tick)) + "\">\n";
    if (sc.steps.empty()) {
      h_ += "<div class=\"empty\">No step was recorded.</div>\n</div>\n";
      return;
    }
    h_ +=
        "<div class=\"wf-row wf-axis\"><div class=\"wf-label\">step / phase</div>"
        "<div class=\"wf-track\">";
    const int ticks = static_cast<int>(std::lround(axis.extent / axis.tick));
    for (int i = 0; i <= ticks; ++i) {
      const double t = axis.tick * i;
      const char* extra = i == 0 ? " first" : i == ticks ? " last" : "";
      h_ += std::string("<span class=\"tick") + extra + "\" style=\"left:" + pct(axis.at(t)) +
            "\">" + escape(axis.label(t)) + "</span>";
    }
    h_ += "</div></div>\n";

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
        after += "<span class=\"why\">" +
                 escape(std::string(to_string(sc.failure->failure.reason))) + "</span>";
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

      bar_row(axis, "step " + cls + (is_failed && cls != "failed" ? " failed" : ""), label, "bar",
              st.start_s, st.duration_s,
              st.step + ": " + st.status + ", start " + ms(st.start_s) + ", " + ms(st.duration_s),
              after, marks, !(st.status == "skipped" && st.duration_s <= 0));
      for (const auto& ph : st.phases) {
        const bool failed_phase = &ph == failed_ph;
        std::string ph_after = escape(ms(ph.duration_s));
        if (failed_phase) ph_after += "<span class=\"why\">failed here</span>";
        bar_row(axis, std::string("phase") + (failed_phase ? " failed" : ""), escape(ph.name),
                std::string("bar ") + phase_kind(ph.name), ph.start_s, ph.duration_s,
                st.step + " / " + ph.name + ": start " + ms(ph.start_s) + ", " + ms(ph.duration_s),
                ph_after, "");
      }
    }
    if (sc.delivery_s && queued)
      bar_row(axis, "delivery-row", "delivery <span class=\"lim\">queued &rarr; seen</span>",
              "bar delivery", *queued, *sc.delivery_s,
              "delivery: queued at " + ms(*queued) + ", visible after " + ms(*sc.delivery_s),
              escape(ms(*sc.delivery_s)), "");
    h_ += "</div>\n";
    h_ +=
        "<div class=\"legend\"><span><i style=\"background:var(--ok-bar)\"></i>step ok</span>"
        "<span><i style=\"background:var(--warn-bar)\"></i>warning</span>"
        "<span><i style=\"background:var(--crit-bar)\"></i>critical / failed</span>"
        "<span><i style=\"background:#8ca0b8\"></i>network</span>"
        "<span><i style=\"background:#8957e5\"></i>TLS</span>"
        "<span><i style=\"background:#4184e4\"></i>protocol</span>"
        "<span><i style=\"background:#2c4a9a\"></i>message</span>"
        "<span><i style=\"background:#0b7f86\"></i>delivery wait</span>"
        "<span><i class=\"limit-sample\" style=\"border-color:var(--warn-bar)\"></i>warn "
        "threshold</span>"
        "<span><i class=\"limit-sample\" style=\"border-color:var(--crit)\"></i>crit "
        "threshold</span></div>\n";
  }

  void failure(const ScenarioResult& sc) {
    if (!sc.failure) return;
    const auto& f = sc.failure->failure;
    const StepResult* st = failed_step(sc);
    const std::string where = failure_place(sc, " / ");
    const std::string reason(to_string(f.reason));
    h_ += "<div class=\"failure\">\n<h3>" +
          (f.reason == Reason::internal ? std::string("Internal error of mailcanary")
           : where.empty()              ? std::string("Failed")
                                        : "Failed in " + escape(where)) +
          ": <code>" + escape(reason) + "</code></h3>\n<dl>";
    h_ += "<dt>reason</dt><dd><code>" + escape(reason) + "</code></dd>";
    h_ += "<dt>message</dt><dd>" + escape(f.message) + "</dd>";
    if (f.reply)
      h_ += "<dt>server reply</dt><dd><code>" + escape(reply_text(*f.reply)) + "</code></dd>";
    if (st && !st->server.empty())
      h_ += "<dt>server</dt><dd>" + escape(st->server) +
            (st->address.empty() ? "" : " (" + escape(st->address) + ")") + "</dd>";
    h_ += "</dl>\n";
    if (st && !st->transcript.empty()) {
      h_ += "<details open><summary>transcript of " + escape(st->step) + " (" +
            std::to_string(st->transcript.size()) +
            " lines, secrets redacted)</summary><pre class=\"transcript\">";
      for (const auto& l : st->transcript) {
        const bool c = l.dir == TranscriptLine::Dir::client;
        const bool s = l.dir == TranscriptLine::Dir::server;
        h_ += std::string("<span class=\"") +
              (c   ? "c"
               : s ? "s"
                   : "n") +
              "\">" +
              (c   ? "C: "
               : s ? "S: "
                   : "-- ") +
              escape(l.text) + "</span>\n";
      }
      h_ += "</pre></details>\n";
    }
    h_ += "</div>\n";
  }

  void steps_table(const ScenarioResult& sc) {
    if (sc.steps.empty()) return;
    h_ +=
        "<table class=\"steps\"><tr><th>step</th><th>status</th><th class=\"num\">start</th>"
        "<th class=\"num\">duration</th><th>server</th><th>TLS</th><th>certificate</th>"
        "<th>details</th></tr>\n";
    for (const auto& st : sc.steps) {
      h_ += std::string("<tr") + (st.status == "failed" ? " class=\"failed\"" : "") + "><td>" +
            escape(st.step) + "</td><td>" + badge(step_class(st.status), st.status) +
            "</td><td class=\"num\">" + escape(human(st.start_s)) + "</td><td class=\"num\">" +
            escape(human(st.duration_s)) + "</td><td>";
      if (!st.server.empty()) h_ += "<span class=\"mono\">" + escape(st.server) + "</span>";
      if (!st.address.empty()) h_ += "<br><span class=\"mono\">" + escape(st.address) + "</span>";
      h_ += "</td><td>";
      if (st.tls) {
        h_ += escape(st.tls->version) + "<br><span class=\"mono\">" + escape(st.tls->cipher) +
              "</span><br>" +
              (st.tls->verified ? std::string("verified")
                                : std::string("<span class=\"tls-bad\">NOT verified</span>"));
      }
      h_ += "</td><td>";
      if (st.tls) {
        if (st.tls->cert_not_after)
          h_ += "not after " + escape(day_of(iso8601(*st.tls->cert_not_after)));
        if (st.tls->chain_expiry_s) {
          const double days = *st.tls->chain_expiry_s / 86400.0;
          const char* cls = days < 0 ? "tls-bad" : days < 14 ? "soon" : "";
          h_ += std::string(st.tls->cert_not_after ? "<br>" : "") + "<span class=\"" + cls +
                "\">chain expires in " + fmt("%.0f", std::floor(days)) + " days</span>";
        }
      }
      h_ += "</td><td>";
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
        add(std::string("<span class=\"") + (*st.threshold == "crit" ? "crit" : "warn") +
            "-text\">" + escape(*st.threshold) + " threshold exceeded</span>");
      // The kind's own facts, each as it words itself: a new kind needs nothing here.
      for (const auto& dt : st.details)
        if (!dt.text.empty()) add(escape(dt.text));
      h_ += d + "</td></tr>\n";
    }
    h_ += "</table>\n";
  }

  const RunResult& run_;
  const ReportContext& ctx_;
  std::string h_;
};

}  // namespace

std::string render_html(const RunResult& run, const ReportContext& ctx) {
  return Page(run, ctx).render();
}

std::optional<std::string> HtmlReporter::write(const RunResult& run, const ReportContext& ctx) {
  const std::string doc = render_html(run, ctx);
  if (path_ == "-") {
    std::cout << doc << std::flush;
    return std::nullopt;
  }
  return write_file_atomically(path_, doc);
}

}  // namespace mc
