#include "protocols/oauth2/token.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mc::proto::oauth2 {
namespace {

using nlohmann::json;

// RFC 6749 appendix A.12 and A.13: VSCHAR, printable ASCII.
bool printable(std::string_view s) {
  for (const char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string shown(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::optional<std::string> string_member(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Response error_response(int status, const json& doc) {
  std::string problem = "the token endpoint answered HTTP " + std::to_string(status);
  if (doc.is_object()) {
    if (auto e = string_member(doc, "error")) problem += ": " + shown(*e);
    if (auto d = string_member(doc, "error_description")) problem += " (" + shown(*d) + ")";
  }
  return {std::nullopt, problem};
}

}  // namespace

std::string form_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0x0f];
    }
  }
  return out;
}

std::string request_body(const Grant& g) {
  std::string body = g.refresh_token.empty()
                         ? "grant_type=client_credentials"
                         : "grant_type=refresh_token&refresh_token=" + form_encode(g.refresh_token);
  body += "&client_id=" + form_encode(g.client_id);
  if (!g.client_secret.empty()) body += "&client_secret=" + form_encode(g.client_secret);
  if (!g.scope.empty()) body += "&scope=" + form_encode(g.scope);
  return body;
}

Response parse_response(int status, std::string_view body) {
  if (body.size() > kMaxResponseBytes)
    return {std::nullopt, "the token endpoint's answer is larger than " +
                              std::to_string(kMaxResponseBytes) + " bytes"};
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status != 200) return error_response(status, doc);
  if (!doc.is_object()) return {std::nullopt, "the token endpoint's answer is not a JSON object"};
  if (doc.contains("error")) return error_response(status, doc);
  Token t;
  const auto access = string_member(doc, "access_token");
  if (!access || access->empty())
    return {std::nullopt, "the token endpoint's answer has no \"access_token\""};
  // The token goes into SASL messages and the cache file: printable ASCII only (A.12).
  if (!printable(*access))
    return {std::nullopt, "the token endpoint's \"access_token\" is not printable ASCII"};
  t.access_token = *access;
  const auto type = string_member(doc, "token_type");
  if (!type || lower(*type) != "bearer")
    return {std::nullopt, "the token endpoint's \"token_type\" is " +
                              (type ? "\"" + shown(*type) + "\"" : std::string("missing")) +
                              ", not \"Bearer\""};
  t.token_type = *type;
  if (const auto it = doc.find("expires_in"); it != doc.end()) {
    // Some endpoints send the number as a string.
    std::optional<std::int64_t> seconds;
    if (it->is_number_integer()) {
      seconds = it->get<std::int64_t>();
    } else if (it->is_string()) {
      const std::string s = it->get<std::string>();
      if (!s.empty() && s.size() <= 12 && s.find_first_not_of("0123456789") == std::string::npos)
        seconds = std::stoll(s);
    }
    if (!seconds || *seconds < 0)
      return {std::nullopt, "the token endpoint's \"expires_in\" is not a number of seconds"};
    t.expires_in = std::min(*seconds, kMaxExpiresIn);
  }
  if (auto r = string_member(doc, "refresh_token"); r && printable(*r)) t.refresh_token = *r;
  return {t, ""};
}

}  // namespace mc::proto::oauth2
