#include "probe/table.hpp"

#include <cstdio>
#include <string>

namespace mc {
namespace {

std::string ms(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%9.1f ms", seconds * 1000.0);
  return buf;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void print_table(std::ostream& out, const RunResult& run) {
  out << "mailcanary " << run.version << "  vantage " << run.vantage << "  started "
      << iso8601(run.started_at) << "  status " << upper(to_string(run.status)) << "\n";
  for (const auto& sc : run.scenarios) {
    out << "\n" << sc.name << "  " << upper(to_string(sc.status)) << "  total" << ms(sc.duration_s);
    if (sc.delivery_s) out << "  delivery" << ms(*sc.delivery_s);
    if (const auto where = placement_text(sc); !where.empty()) out << "  placement " << where;
    out << "\n";
    out << "  " << pad("step / phase", 22) << pad("status", 10) << "       start     duration\n";
    for (const auto& st : sc.steps) {
      out << "  " << pad(st.step, 22) << pad(st.status, 10) << ms(st.start_s) << "  "
          << ms(st.duration_s);
      if (!st.server.empty()) out << "  " << st.server;
      if (!st.address.empty()) out << " (" << st.address << ")";
      out << "\n";
      for (const auto& ph : st.phases)
        out << "    " << pad(ph.name, 30) << ms(ph.start_s) << "  " << ms(ph.duration_s) << "\n";
      if (st.tls) {
        out << "    tls " << st.tls->version << " " << st.tls->cipher
            << (st.tls->verified ? " verified" : " NOT verified") << "\n";
        if (!st.tls->fingerprint_sha256.empty())
          out << "    certificate sha256 " << st.tls->fingerprint_sha256 << "\n";
        if (const auto note = tls_expiry_note(st); !note.empty())
          out << "    " << (*st.tls->expiry_threshold == "crit" ? "CRITICAL" : "WARNING") << ": "
              << note << "\n";
      }
      // The kind's own facts, each as it words itself: a new kind needs nothing here.
      for (const auto& d : st.details)
        if (!d.text.empty()) out << "    " << d.text << "\n";
    }
    if (sc.failure) {
      const auto& f = sc.failure->failure;
      out << "  FAILED " << failure_place(sc, " / ") << ": " << to_string(f.reason) << " - "
          << f.message << "\n";
      if (f.reply) {
        out << "  server said: ";
        if (f.reply->code) out << f.reply->code << " ";
        if (!f.reply->status.empty()) out << f.reply->status << " ";
        if (!f.reply->enhanced.empty()) out << f.reply->enhanced << " ";
        out << f.reply->text << "\n";
      }
    }
  }
}

}  // namespace mc
