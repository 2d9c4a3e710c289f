#include "reporters/html_reporter.hpp"

#include <iostream>

#include "reporters/assets.hpp"
#include "reporters/html_parts.hpp"
#include "reporters/json_reporter.hpp"

namespace mc {
namespace {

using namespace html;

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
        "<th class=\"num\">duration</th><th class=\"num\">delivery</th><th>placement</th>"
        "<th>result</th></tr>";
    for (std::size_t i = 0; i < run_.scenarios.size(); ++i) {
      const auto& sc = run_.scenarios[i];
      h_ += "<tr><td><a href=\"#scenario-" + std::to_string(i + 1) + "\">" + escape(sc.name) +
            "</a></td><td>" + badge(to_string(sc.status)) + "</td><td class=\"num\">" +
            escape(human(sc.duration_s)) + "</td><td class=\"num\">" +
            (sc.delivery_s ? escape(human(*sc.delivery_s)) : "&ndash;") + "</td><td>" +
            (sc.placement ? placement_badge(*sc.placement) : "&ndash;") + "</td><td>" +
            escape(outcome(sc)) + "</td></tr>";
    }
    h_ += "</table>\n";
  }

  // Coloured as the status it usually means: Junk is a warning, a probe that never came a failure.
  static std::string placement_badge(Placement p) {
    const char* cls = p == Placement::inbox ? "ok" : p == Placement::junk ? "warning" : "critical";
    return badge(cls, to_string(p));
  }

  static std::string outcome(const ScenarioResult& sc) {
    if (sc.failure) {
      const auto& f = sc.failure->failure;
      const std::string where = failure_place(sc);
      return (where.empty() ? "" : where + ": ") + std::string(to_string(f.reason)) + " - " +
             f.message;
    }
    for (const auto& st : sc.steps)
      if (st.tls && st.tls->expiry_threshold == "crit") return st.step + " " + tls_expiry_note(st);
    for (const auto& st : sc.steps)
      if (st.note) return st.step + " " + *st.note;
    for (const auto& st : sc.steps)
      if (st.threshold) return st.step + " over its " + *st.threshold + " threshold";
    for (const auto& st : sc.steps)
      if (const auto note = tls_expiry_note(st); !note.empty()) return st.step + " " + note;
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
    if (sc.placement) {
      h_ += " &middot; placement " + placement_badge(*sc.placement);
      if (!sc.placement_mailbox.empty()) h_ += " in <b>" + escape(sc.placement_mailbox) + "</b>";
    }
    h_ += " &middot; started " + escape(iso8601(sc.started_at));
    h_ += "</span></div>\n";

    std::string notes;
    for (const auto& st : sc.steps)
      if (st.threshold)
        notes += std::string("<li class=\"") + (*st.threshold == "crit" ? "crit" : "warn") +
                 "-text\">" + escape(threshold_note(st)) + "</li>";
    for (const auto& st : sc.steps)
      if (const auto note = tls_expiry_note(st); !note.empty())
        notes += std::string("<li class=\"") +
                 (*st.tls->expiry_threshold == "crit" ? "crit" : "warn") + "-text\">" +
                 escape(st.step + " " + note) + "</li>";
    for (const auto& st : sc.steps)
      if (st.note)
        notes += std::string("<li class=\"") + (st.status == "critical" ? "crit" : "warn") +
                 "-text\">" + escape(st.step + " " + *st.note) + "</li>";
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

    waterfall(h_, sc);
    failure(sc);
    steps_table(h_, sc);
    h_ += "</section>\n";
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
              "\">" + mark(l.dir) + escape(l.text) + "</span>\n";
      }
      h_ += "</pre></details>\n";
    }
    h_ += "</div>\n";
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
