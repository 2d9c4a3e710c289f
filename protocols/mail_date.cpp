#include "protocols/mail_date.hpp"

#include <array>
#include <cctype>
#include <string>

namespace mc::proto {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n'))
      ++i_;
  }
  std::optional<int> number(std::size_t min_digits, std::size_t max_digits) {
    skip_space();
    std::size_t start = i_;
    int v = 0;
    while (i_ < s_.size() && i_ - start < max_digits &&
           std::isdigit(static_cast<unsigned char>(s_[i_])))
      v = v * 10 + (s_[i_++] - '0');
    if (i_ - start < min_digits) return std::nullopt;
    return v;
  }
  std::string_view word() {
    skip_space();
    std::size_t start = i_;
    while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    return s_.substr(start, i_ - start);
  }
  bool take(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skip_space();
    return i_ < s_.size() && s_[i_] == c;
  }
  std::size_t pos() const { return i_; }
  void rewind(std::size_t p) { i_ = p; }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<int> zone_minutes(Scanner& sc) {
  sc.skip_space();
  if (sc.peek('+') || sc.peek('-')) {
    const bool minus = sc.take('-');
    if (!minus) sc.take('+');
    auto hhmm = sc.number(4, 4);
    if (!hhmm) return std::nullopt;
    const int m = (*hhmm / 100) * 60 + *hhmm % 100;
    return minus ? -m : m;
  }
  const std::string_view z = sc.word();
  static const std::array<std::pair<const char*, int>, 11> named = {{{"UT", 0},
                                                                     {"GMT", 0},
                                                                     {"Z", 0},
                                                                     {"UTC", 0},
                                                                     {"EST", -300},
                                                                     {"EDT", -240},
                                                                     {"CST", -360},
                                                                     {"CDT", -300},
                                                                     {"MST", -420},
                                                                     {"MDT", -360},
                                                                     {"PST", -480}}};
  for (const auto& [name, minutes] : named)
    if (iequal(z, name)) return minutes;
  if (iequal(z, "PDT")) return -420;
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_rfc5322_date(std::string_view text) {
  Scanner sc(text);
  const std::size_t start = sc.pos();
  const std::string_view first = sc.word();
  if (!first.empty()) {
    if (!sc.take(',')) return std::nullopt;  // a day name must be followed by a comma
  } else {
    sc.rewind(start);
  }
  auto day = sc.number(1, 2);
  if (!day) return std::nullopt;
  static constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string_view mon = sc.word();
  unsigned month = 0;
  for (unsigned i = 0; i < months.size(); ++i)
    if (iequal(mon, months[i])) month = i + 1;
  if (month == 0) return std::nullopt;
  auto year = sc.number(2, 4);
  if (!year) return std::nullopt;
  if (*year < 50)
    *year += 2000;  // obsolete two-digit years (RFC 5322 4.3)
  else if (*year < 1000)
    *year += 1900;
  auto hour = sc.number(2, 2);
  if (!hour || !sc.take(':')) return std::nullopt;
  auto minute = sc.number(2, 2);
  if (!minute) return std::nullopt;
  int second = 0;
  if (sc.take(':')) {
    auto s = sc.number(2, 2);
    if (!s) return std::nullopt;
    second = *s;
  }
  auto zone = zone_minutes(sc);
  if (!zone || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || second > 60)
    return std::nullopt;
  return days_from_civil(*year, month, static_cast<unsigned>(*day)) * 86400 + *hour * 3600 +
         *minute * 60 + second - static_cast<std::int64_t>(*zone) * 60;
}

std::optional<std::int64_t> topmost_received_date(std::string_view block) {
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t eol = block.find('\n', pos);
    if (eol == std::string_view::npos) eol = block.size();
    const std::string_view line = block.substr(pos, eol - pos);
    if (line.size() >= 9 && iequal(line.substr(0, 9), "Received:")) {
      std::string field(line.substr(9));
      // Unfold: continuation lines start with white space.
      std::size_t next = eol + 1;
      while (next < block.size() && (block[next] == ' ' || block[next] == '\t')) {
        std::size_t e = block.find('\n', next);
        if (e == std::string_view::npos) e = block.size();
        field += ' ';
        field += block.substr(next, e - next);
        next = e + 1;
      }
      const std::size_t semi = field.rfind(';');
      if (semi == std::string::npos) return std::nullopt;
      return parse_rfc5322_date(std::string_view(field).substr(semi + 1));
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

}  // namespace mc::proto
