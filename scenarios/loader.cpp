#include "scenarios/loader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "codec/time.hpp"

namespace mc::scn {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Edits between two names, a swap of neighbours counting as one (optimal string alignment).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The known name a typo most likely meant: one that differs only in case, or by at most two
// edits, fewer than the shorter name's length (so that "ab" is not offered "to").
std::optional<std::string> near_miss(const std::string& typed, const Names& known) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(lower(typed), lower(k));
    if (d == 0) return k;
    if (d < best_distance && d < std::min(typed.size(), k.size())) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace

std::string join(const Names& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// How to fix an unknown name: `; did you mean "x"? (LABEL: a, b)`, else `; LABEL: a, b`, else
// `; NONE` when nothing is known.
std::string suggestion(const std::string& typed, const Names& known, const std::string& label,
                       const std::string& none) {
  if (known.empty()) return "; " + none;
  if (auto near = near_miss(typed, known))
    return "; did you mean \"" + *near + "\"? (" + label + ": " + join(known) + ")";
  return "; " + label + ": " + join(known);
}

std::optional<File> Loader::load() {
  std::error_code ec;
  if (fs::is_directory(path_, ec)) {
    problem("", "is a directory; give the scenario file inside it");
    return std::nullopt;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    problem("", "cannot read the file: " + std::string(std::strerror(errno)));
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  text_ = ss.str();
  ParseError pe;
  auto doc = parse_jsonc(text_, pe);
  if (!doc) {
    Problem p{path_, "", "not valid JSON: " + pe.message};
    p.line = pe.line;
    p.column = pe.column;
    found_.push_back({0, std::move(p)});
    return std::nullopt;
  }
  map_ = map_source(text_);
  mapped_ = true;
  for (const auto& d : map_.duplicates) {
    int line = 0;
    int column = 0;
    line_column(text_, d.first, line, column);
    add(d.offset,
        {path_, d.path,
         "duplicate key \"" + d.key + "\" (first at line " + std::to_string(line) + ", column " +
             std::to_string(column) + "); only the last one would count: remove one of them"});
  }
  if (!doc->is_object()) {
    problem("",
            "the file must hold one JSON object with \"version\", \"servers\" and "
            "\"scenarios\"");
    return std::nullopt;
  }
  return load_root(*doc);
}

// Records a problem at JSON path `where`, placed at the member's key when `at_key`, else at
// its value; a path that is not in the file (a missing key) is placed at its parent.
void Loader::problem(const std::string& where, const std::string& message, bool at_key) {
  found_.push_back(place(where, message, at_key));
}

// Something allowed that weakens the probe; it does not stop the run.
void Loader::warning(const std::string& where, const std::string& message, bool at_key) {
  warned_.push_back(place(where, message, at_key));
}

// Hands over this file's problems and warnings, each in the order of the text.
void Loader::flush(std::vector<Problem>& problems, std::vector<Problem>& warnings) {
  for (auto* list : {&found_, &warned_}) {
    std::stable_sort(list->begin(), list->end(),
                     [](const Found& a, const Found& b) { return a.offset < b.offset; });
    for (auto& f : *list) (list == &found_ ? problems : warnings).push_back(std::move(f.problem));
    list->clear();
  }
}

Loader::Found Loader::place(const std::string& where, const std::string& message, bool at_key) {
  if (!mapped_) return {0, {path_, where, message}};
  std::string w = where;
  bool exact = true;
  while (true) {
    if (auto it = map_.places.find(w); it != map_.places.end()) {
      const auto& at = it->second;
      return located(exact && at_key && at.key != SourceMap::npos ? at.key : at.value,
                     {path_, where, message});
    }
    if (w.empty()) break;
    const auto cut = w.find_last_of(".[");
    w = cut == std::string::npos ? "" : w.substr(0, cut);
    exact = false;
  }
  return {0, {path_, where, message}};
}

Loader::Found Loader::located(std::size_t offset, Problem p) {
  line_column(text_, offset, p.line, p.column);
  return {offset, std::move(p)};
}

void Loader::known_keys(const json& obj, const std::string& where, const Names& keys) {
  for (const auto& [key, value] : obj.items()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    problem(where.empty() ? key : where + "." + key,
            "unknown key \"" + key + "\"" + suggestion(key, keys, "known keys here", ""),
            /*at_key=*/true);
  }
}

std::optional<std::string> Loader::get_string(const json& obj, const std::string& key,
                                              const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_string()) {
    problem(where + "." + key, "must be a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<milliseconds> Loader::get_duration(const json& obj, const std::string& key,
                                                 const std::string& where) {
  static const std::string kLike = "\"250ms\", \"10s\", \"2m\" or \"1h\"";
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  const std::string at = where.empty() ? key : where + "." + key;
  if (it->is_number()) {
    problem(at, "a bare number is not a duration; write it as a string with a unit: " + kLike);
    return std::nullopt;
  }
  if (!it->is_string()) {
    problem(at, "must be a duration, a string like " + kLike);
    return std::nullopt;
  }
  const auto s = it->get<std::string>();
  milliseconds d{};
  bool too_long = false;
  if (!parse_duration(s, d, &too_long)) {
    if (too_long)
      problem(at, "\"" + shortened(s) + "\" is longer than the longest duration allowed, " +
                      format_duration(kMaxDuration) + "; give a shorter one");
    else
      problem(at, "\"" + shortened(s) + "\" is not a duration; write it like " + kLike);
    return std::nullopt;
  }
  if (d.count() == 0) {
    problem(at, "\"" + s + "\" is zero; give a duration above zero, like \"10s\"");
    return std::nullopt;
  }
  return d;
}

// A value quoted in a message: a hostile file may hold kilobytes in one string.
std::string Loader::shortened(const std::string& s) {
  constexpr std::size_t kMax = 40;
  return s.size() <= kMax ? s : s.substr(0, kMax) + "...";
}

std::string Loader::resolve_path(const std::string& p) const {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (dir_ / p).lexically_normal().string();
}

}  // namespace mc::scn
