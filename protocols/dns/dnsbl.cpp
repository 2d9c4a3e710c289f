#include "protocols/dns/dnsbl.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace mc::proto::dns {
namespace {

constexpr std::size_t kMaxName = 253;
constexpr std::size_t kMaxLabel = 63;

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// A zone name matches `suffix` when it is it or ends in ".suffix".
bool in_domain(std::string_view name, std::string_view suffix) {
  return name == suffix || ends_with(name, std::string(".") + std::string(suffix));
}

// inet_pton reads up to a NUL: "127.0.0.2\0junk" must not read as 127.0.0.2.
bool has_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

std::optional<std::array<unsigned char, 4>> ipv4(std::string_view text) {
  if (text.size() > 15 || has_nul(text)) return std::nullopt;
  const std::string s(text);
  std::array<unsigned char, 4> b{};
  if (inet_pton(AF_INET, s.c_str(), b.data()) != 1) return std::nullopt;
  return b;
}

std::optional<std::array<unsigned char, 16>> ipv6(std::string_view text) {
  if (text.size() > 45 || text.find(':') == std::string_view::npos || has_nul(text))
    return std::nullopt;
  const std::string s(text);
  std::array<unsigned char, 16> b{};
  if (inet_pton(AF_INET6, s.c_str(), b.data()) != 1) return std::nullopt;
  return b;
}

bool v4_mapped(const std::array<unsigned char, 16>& b) {
  for (int i = 0; i < 10; ++i)
    if (b[static_cast<std::size_t>(i)] != 0) return false;
  return b[10] == 0xff && b[11] == 0xff;
}

std::string v4_text(const unsigned char* b) {
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
         std::to_string(b[3]);
}

bool public_v4(const unsigned char* b) {
  const unsigned a = b[0], c = b[1];
  if (a == 0 || a == 10 || a == 127 || a >= 224)
    return false;                                  // this net, private, loopback,
                                                   // multicast, reserved, broadcast
  if (a == 100 && (c & 0xc0) == 64) return false;  // shared address space
  if (a == 169 && c == 254) return false;          // link-local
  if (a == 172 && (c & 0xf0) == 16) return false;  // private
  if (a == 192 && c == 168) return false;          // private
  return true;
}

// Why a list gives a code instead of an answer, where it is known.
std::string error_code_text(const std::string& code) {
  if (code == "127.255.255.252") return "the list's error code for a mistyped zone name";
  if (code == "127.255.255.254")
    return "the list's error code for a query through a public or open resolver";
  if (code == "127.255.255.255") return "the list's error code for too many queries";
  if (code == "127.0.0.1") return "no list answers 127.0.0.1 for a listing (a refused query)";
  if (code == "127.0.1.255") return "the domain list's error code for a query it does not take";
  return "the list's error code";
}

}  // namespace

std::string_view to_string(Verdict v) {
  return name_of(kVerdictNames, v);
}

bool valid_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxName) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > kMaxLabel || label.front() == '-' || label.back() == '-')
      return false;
    if (!std::all_of(label.begin(), label.end(), label_char)) return false;
    start = dot + 1;
  }
  return true;
}

std::optional<std::string> normal_name(std::string_view name) {
  if (!valid_name(name)) return std::nullopt;
  if (name.back() == '.') name.remove_suffix(1);
  std::string s(name);
  std::transform(s.begin(), s.end(), s.begin(), lower);
  return s;
}

std::optional<std::string> canonical_address(std::string_view text) {
  if (auto b = ipv4(text)) return v4_text(b->data());
  if (auto b = ipv6(text)) {
    if (v4_mapped(*b)) return v4_text(b->data() + 12);
    char out[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET6, b->data(), out, sizeof out) == nullptr) return std::nullopt;
    return std::string(out);
  }
  return std::nullopt;
}

std::optional<std::string> address_query(std::string_view address, std::string_view zone) {
  const auto z = normal_name(zone);
  if (!z) return std::nullopt;
  std::string name;
  const auto canonical = canonical_address(address);
  if (!canonical) return std::nullopt;
  if (auto b = ipv4(*canonical)) {
    for (int i = 3; i >= 0; --i) name += std::to_string((*b)[static_cast<std::size_t>(i)]) + ".";
  } else if (auto b6 = ipv6(*canonical)) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      const unsigned char byte = (*b6)[static_cast<std::size_t>(i)];
      name += kHex[byte & 0x0f];
      name += '.';
      name += kHex[byte >> 4];
      name += '.';
    }
  } else {
    return std::nullopt;
  }
  name += *z;
  if (name.size() > kMaxName) return std::nullopt;
  return name;
}

std::optional<std::string> domain_query(std::string_view domain, std::string_view zone) {
  const auto d = normal_name(domain);
  const auto z = normal_name(zone);
  if (!d || !z) return std::nullopt;
  std::string name = *d + "." + *z;
  if (name.size() > kMaxName) return std::nullopt;
  return name;
}

bool is_public_address(std::string_view address) {
  const auto canonical = canonical_address(address);
  if (!canonical) return false;
  if (auto b = ipv4(*canonical)) return public_v4(b->data());
  const auto b = ipv6(*canonical);
  if (!b) return false;
  const unsigned char first = (*b)[0];
  if (first == 0xff) return false;                              // multicast
  if ((first & 0xfe) == 0xfc) return false;                     // unique local
  if (first == 0xfe && ((*b)[1] & 0xc0) == 0x80) return false;  // link-local
  // ::, ::1 and the rest of ::/8 (IPv4-compatible, reserved); ::ffff:0:0/96 read as IPv4 above
  if (first == 0) return false;
  return true;
}

std::vector<std::string> zone_error_codes(std::string_view zone) {
  const auto z = normal_name(zone).value_or(std::string(zone));
  std::vector<std::string> codes = {"127.0.0.1", "127.255.255.252", "127.255.255.254",
                                    "127.255.255.255"};
  if (in_domain(z, "spamhaus.org") || in_domain(z, "spamhaus.net")) codes.push_back("127.0.1.255");
  return codes;
}

Classified classify(std::string_view zone, const Answer& a) {
  Classified c;
  switch (a.status) {
    case Status::nxdomain:
      c.verdict = Verdict::clean;
      return c;
    case Status::nodata:
      c.why = "the name exists without an A record (no list answers so)";
      return c;
    case Status::servfail:
      c.why = "SERVFAIL";
      return c;
    case Status::refused:
      c.why = "REFUSED";
      return c;
    case Status::timeout:
      c.why = "no answer in time";
      return c;
    case Status::error:
      c.why = a.error.empty() ? "no answer" : a.error;
      return c;
    case Status::ok:
      break;
  }
  c.codes = a.addresses;
  if (c.codes.empty()) {
    c.why = "an answer without an address";
    return c;
  }
  const auto errors = zone_error_codes(zone);
  for (const auto& code : c.codes) {
    const auto b = ipv4(code);
    if (!b) {
      c.why = "answered " + code + ", which is no IPv4 address";
      return c;
    }
    if ((*b)[0] != 127) {
      c.why = "answered " + code +
              ", outside 127.0.0.0/8 (a resolver that answers names that do not exist?)";
      return c;
    }
    const std::string text = v4_text(b->data());
    const bool error_range = (*b)[1] == 255 && (*b)[2] == 255;  // Spamhaus's 127.255.255.0/24
    if (error_range || std::find(errors.begin(), errors.end(), text) != errors.end()) {
      c.why = "answered " + text + ": " + error_code_text(text);
      return c;
    }
    if ((*b)[1] == 0 && (*b)[2] == 0 && (*b)[3] == 0) {
      c.why = "answered 127.0.0.0, which is no listing code";
      return c;
    }
  }
  c.verdict = Verdict::listed;
  return c;
}

std::string listing_reason(const Answer& txt) {
  if (txt.status != Status::ok) return {};
  std::string out;
  for (const auto& record : txt.txt) {
    if (!out.empty()) out += " / ";
    for (char ch : record) {
      const auto u = static_cast<unsigned char>(ch);
      out += (u >= 0x20 && u < 0x7f) ? ch : '?';
      if (out.size() >= kMaxReason) break;
    }
    if (out.size() >= kMaxReason) break;
  }
  if (out.size() > kMaxReason) out.resize(kMaxReason);
  return out;
}

}  // namespace mc::proto::dns
