// An account's "oauth2" block: where the probe obtains its access token (RFC 6749).
#include "scenarios/loader.hpp"

namespace mc::scn {

void Loader::load_oauth2(const json& oj, const std::string& where, Account& a) {
  a.oauth2 = true;  // the secret is a token, whatever else is wrong here
  a.password_source = "OAuth 2.0 token endpoint";
  if (!oj.is_object()) {
    problem(where,
            "must be an object like {\"token_url\": \"https://oauth2.example.com/token\", "
            "\"client_id\": \"...\", \"refresh_token_file\": \"refresh.token\"}");
    return;
  }
  known_keys(
      oj, where,
      {"token_url", "client_id", "client_secret_file", "refresh_token_file", "scope", "ca_file"});
  Account::Grant g;
  if (auto u = get_string(oj, "token_url", where)) {
    g.token_url = *u;
    Server parsed;
    // The request carries the client secret and the refresh token: HTTPS only.
    if (!u->starts_with("https://") || parse_server_url(*u, parsed))
      problem(where + ".token_url",
              "\"" + *u +
                  "\" is not an https:// URL; give the token endpoint's, like "
                  "\"https://oauth2.googleapis.com/token\"");
  } else if (!oj.contains("token_url")) {
    problem(where,
            "needs a \"token_url\", the token endpoint, like "
            "\"https://oauth2.googleapis.com/token\"");
  }
  if (auto c = get_string(oj, "client_id", where))
    g.client_id = *c;
  else if (!oj.contains("client_id"))
    problem(where, "needs a \"client_id\", the client registered with the token endpoint");
  if (auto f = get_string(oj, "client_secret_file", where)) {
    if (auto s = read_secret_file(resolve_path(*f), where + ".client_secret_file"))
      g.client_secret = *s;
  }
  if (auto f = get_string(oj, "refresh_token_file", where)) {
    g.refresh_token_file = resolve_path(*f);
    if (auto s = read_secret_file(g.refresh_token_file, where + ".refresh_token_file"))
      g.refresh_token = *s;
  } else if (!oj.contains("refresh_token_file") && !oj.contains("client_secret_file")) {
    problem(where,
            "needs a \"refresh_token_file\" (the refresh_token grant) or a "
            "\"client_secret_file\" (client_credentials)");
  }
  if (auto s = get_string(oj, "scope", where)) g.scope = *s;
  if (auto c = get_string(oj, "ca_file", where)) {
    g.ca_file = resolve_path(*c);
    std::error_code ec;
    if (!fs::is_regular_file(g.ca_file, ec))
      problem(where + ".ca_file",
              "no such file: " + g.ca_file + " (paths are relative to the scenario file)");
  }
  a.grant = std::move(g);
}

}  // namespace mc::scn
