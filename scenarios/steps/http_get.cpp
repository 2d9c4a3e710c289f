// http.get: a web page as a user's browser asks for it — a webmail login page, a form login, a
// CalDAV or CardDAV collection — through libcurl, with curl's own timings as phases, then the
// checks the file names on the status and the body. Cookies and captured values go on to the
// scenario's later http.get steps, as a browser session would keep them.
#include <algorithm>
#include <cctype>
#include <set>

#include "protocols/http/form.hpp"
#include "protocols/http/multistatus.hpp"
#include "scenarios/steps/context.hpp"
#include "scenarios/steps/http_get.hpp"
#include "scenarios/steps/registry.hpp"
#include "scenarios/steps/servers.hpp"
#include "transport/http.hpp"

namespace mc::scn {
namespace {

namespace http = proto::http;

constexpr const char* kMethods[] = {"GET", "POST", "PROPFIND", "REPORT"};

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (unsigned char c : n)
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  return true;
}

// A header line the file adds: "Name: value", a token name, no control characters.
std::optional<std::string> header_problem(const std::string& h) {
  const auto colon = h.find(':');
  if (colon == std::string::npos || colon == 0)
    return "\"" + printable(h) + "\" is not a header line; write it as \"Name: value\"";
  for (std::size_t i = 0; i < colon; ++i) {
    const unsigned char c = static_cast<unsigned char>(h[i]);
    if (!std::isalnum(c) &&
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string_view::npos)
      return "\"" + printable(h.substr(0, colon)) + "\" is not a header name";
  }
  for (unsigned char c : h)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return "\"" + printable(h) + "\" holds a control character; give one line without breaks";
  std::string name = h.substr(0, colon);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "host" || name == "content-length" || name == "transfer-encoding")
    return "\"" + h.substr(0, colon) + "\" is set by mailcanary from the request itself; remove it";
  return std::nullopt;
}

// Every capture name that an earlier http.get of the scenario defines.
std::set<std::string> earlier_captures(const std::vector<Step>& earlier) {
  std::set<std::string> out;
  for (const Step& s : earlier)
    if (s.kind == "http.get" && s.keys)
      for (const auto& [name, pattern] : s.as<HttpKeys>().capture) out.insert(name);
  return out;
}

class HttpGet final : public StepKind {
 public:
  std::string_view name() const override { return "http.get"; }

  const std::vector<KeySpec>& keys() const override {
    static const std::vector<KeySpec> k = {
        kStepKey,
        {"server", KeyType::string, "", "names the http:// or https:// server, from \"servers\""},
        {"account", KeyType::string, "",
         "names the account: basic auth with it, or its user and password in \"form\""},
        {"path", KeyType::string, "/", "is the path (and query) after the server's URL"},
        {"method", KeyType::string, "GET, POST with a form", "is GET, POST, PROPFIND or REPORT"},
        {"headers", KeyType::strings, "", "lists extra request header lines, \"Name: value\""},
        {"body", KeyType::string, "", "is the request body (a PROPFIND's XML)"},
        {"form", KeyType::object, "",
         "holds form fields to post, urlencoded; {user}, {password} and captured {NAME} are "
         "filled in"},
        {"capture", KeyType::object, "",
         "names values to take from the response by a regular expression's first group, for "
         "a later step's form"},
        {"expect", KeyType::object, "a status below 400",
         "holds checks on the response: status, contains, regex, collection"},
        kTimeoutKey,
        kWarnKey,
        kCritKey,
    };
    return k;
  }

  void load(StepInput& in, Step& s) const override {
    auto keys = std::make_shared<HttpKeys>();
    const std::string& w = in.where();
    if (s.server.empty())
      in.problem(w, "http.get needs a \"server\" with an http:// or https:// URL");
    else
      in.check_server(s, {"http", "https"});
    if (!s.account.empty()) in.check_account(s);
    if (auto p = in.string("path")) {
      keys->path = *p;
      bool bad = p->empty() || (*p)[0] != '/';
      for (unsigned char c : *p) bad = bad || c <= 0x20 || c == 0x7f;
      if (bad)
        in.problem(w + ".path", "\"" + printable(*p) +
                                    "\" is not a path: start it with '/' and escape spaces and "
                                    "control characters (%20)");
    }
    if (auto h = in.strings("headers")) {
      for (std::size_t i = 0; i < h->size(); ++i)
        if (auto why = header_problem((*h)[i]))
          in.problem(w + ".headers" + (in.is_list("headers") ? "[" + std::to_string(i) + "]" : ""),
                     *why);
      keys->headers = *h;
    }
    if (auto b = in.string("body")) keys->body = *b;
    load_form(in, s, *keys);
    if (auto m = in.string("method")) {
      if (std::find(std::begin(kMethods), std::end(kMethods), *m) == std::end(kMethods))
        in.problem(w + ".method", "\"" + printable(*m) +
                                      "\" is not one of \"GET\", \"POST\", \"PROPFIND\", "
                                      "\"REPORT\"");
      keys->method = *m;
    } else if (!keys->form.empty()) {
      keys->method = "POST";
    }
    if (!keys->form.empty() && keys->method == "GET")
      in.problem(w + ".method", "a form is posted: drop \"method\" or make it \"POST\"");
    load_capture(in, *keys);
    load_expect(in, *keys);
    check_credentials(in, s, *keys);
    s.keys = std::move(keys);
  }

  boost::asio::awaitable<std::optional<Failure>> run(StepContext& ctx,
                                                     StepResult& out) const override {
    co_return co_await run_http_get(ctx, out);
  }

 private:
  static void load_form(StepInput& in, const Step& s, HttpKeys& keys) {
    const auto names = in.member_names("form");
    if (!names) return;
    if (in.has("body"))
      in.problem(in.where() + ".form", "give either \"form\" or \"body\", not both");
    auto form = in.object("form", *names);
    if (!form) return;
    const auto captured = earlier_captures(in.earlier());
    for (const auto& n : *names) {
      auto v = form->string(n);
      if (!v) continue;
      std::vector<http::TemplatePart> parts;
      const std::string at = in.where() + ".form." + n;
      if (auto why = http::parse_template(*v, parts)) {
        in.problem(at, *why);
        continue;
      }
      for (const auto& p : parts) {
        if (!p.placeholder) continue;
        if (p.text == "password") keys.form_password = true;
        if ((p.text == "user" || p.text == "password") && s.account.empty())
          in.problem(at, "{" + p.text + "} comes from the step's account: add \"account\"");
        else if (p.text != "user" && p.text != "password" && !captured.count(p.text))
          in.problem(at, "no earlier http.get of this scenario captures \"" + p.text +
                             "\"; add \"capture\": { \"" + p.text +
                             "\": \"REGEX\" } to the step that loads the form, or write "
                             "\"{{\" for a literal brace");
      }
      keys.form.emplace_back(n, std::move(parts));
    }
  }

  static void load_capture(StepInput& in, HttpKeys& keys) {
    const auto names = in.member_names("capture");
    if (!names) return;
    auto cap = in.object("capture", *names);
    if (!cap) return;
    for (const auto& n : *names) {
      auto v = cap->string(n);
      if (!v) continue;
      const std::string at = in.where() + ".capture." + n;
      if (!valid_name(n) || n == "user" || n == "password") {
        in.problem(at,
                   "\"" + printable(n) +
                       "\" cannot name a captured value: use letters, digits, '_' and '-', "
                       "and neither \"user\" nor \"password\"",
                   true);
        continue;
      }
      if (auto why = http::regex_error(*v)) {
        in.problem(at, "not a regular expression: " + *why);
        continue;
      }
      keys.capture.emplace_back(n, *v);
    }
  }

  static void load_expect(StepInput& in, HttpKeys& keys) {
    auto e = in.object("expect", {"status", "contains", "regex", "collection"});
    if (!e) return;
    const std::string at = in.where() + ".expect";
    if (auto st = e->count("status", 599)) {
      if (*st < 100)
        in.problem(at + ".status", "must be an HTTP status from 100 to 599");
      else
        keys.status = static_cast<int>(*st);
    }
    if (auto c = e->string("contains")) {
      if (c->empty()) in.problem(at + ".contains", "must not be empty");
      keys.contains = *c;
    }
    if (auto r = e->string("regex")) {
      if (auto why = http::regex_error(*r))
        in.problem(at + ".regex", "not a regular expression: " + *why);
      keys.regex = *r;
    }
    if (auto c = e->string("collection")) {
      if (!http::collection_type(*c))
        in.problem(at + ".collection",
                   "\"" + printable(*c) + "\" is not \"calendar\" or \"addressbook\"");
      else if (keys.method != "PROPFIND" && keys.method != "REPORT")
        in.problem(at + ".collection",
                   "a collection is listed by a multistatus: make \"method\" \"PROPFIND\" (with "
                   "a \"Depth: 1\" header) or \"REPORT\"");
      keys.collection = *c;
    }
  }

  // A password never crosses http:// unless the server allows plaintext auth, as for the mail
  // legs.
  static void check_credentials(StepInput& in, const Step& s, HttpKeys& keys) {
    keys.basic_auth = !s.account.empty() && keys.form.empty();
    const auto& servers = in.file().servers;
    auto it = servers.find(s.server);
    if (it == servers.end() || it->second.scheme != "http") return;
    if (!(keys.basic_auth || keys.form_password) || it->second.allow_plaintext_auth) return;
    in.problem(in.where() + ".account",
               "http.get would send the password of \"" + s.account + "\" to \"" + s.server +
                   "\" over http:// in clear; use an https:// URL, or set "
                   "\"allow_plaintext_auth\": true on the server if that is really intended");
  }
};

}  // namespace

const StepKind& http_get_kind() {
  static const HttpGet kind;
  return kind;
}

}  // namespace mc::scn
