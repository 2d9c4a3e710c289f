// http.get's parsers, no sockets: the WebDAV multistatus as Radicale, Nextcloud (Sabre/DAV),
// Apple's iCloud and Google answer a PROPFIND, the form value templates, the urlencoded body, the
// captures and checks by regular expression, and the entity decoding of a captured value.
#include <catch2/catch.hpp>
#include <string>

#include "protocols/http/form.hpp"
#include "protocols/http/multistatus.hpp"

namespace http = mc::proto::http;

namespace {

// Radicale 3.1's answer to PROPFIND Depth: 1 on a user's home (prefixes as it writes them).
const char* const kRadicale = R"(<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/"><response><href>/probe/</href><propstat><prop><resourcetype><principal /><collection /></resourcetype><displayname /></prop><status>HTTP/1.1 200 OK</status></propstat></response><response><href>/probe/calendar/</href><propstat><prop><resourcetype><C:calendar /><collection /></resourcetype><displayname>Probe calendar</displayname></prop><status>HTTP/1.1 200 OK</status></propstat></response><response><href>/probe/contacts/</href><propstat><prop><resourcetype><CR:addressbook /><collection /></resourcetype><displayname>Contacts</displayname></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>)";

// Sabre/DAV (Nextcloud): d: prefixes, a 404 propstat beside the 200 one.
const char* const kSabre = R"(<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav">
 <d:response>
  <d:href>/remote.php/dav/calendars/probe/personal/</d:href>
  <d:propstat>
   <d:prop>
    <d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>
    <d:displayname>Personal</d:displayname>
   </d:prop>
   <d:status>HTTP/1.1 200 OK</d:status>
  </d:propstat>
  <d:propstat>
   <d:prop><cal:calendar-color/></d:prop>
   <d:status>HTTP/1.1 404 Not Found</d:status>
  </d:propstat>
 </d:response>
 <d:response>
  <d:href>/remote.php/dav/calendars/probe/inbox/</d:href>
  <d:propstat>
   <d:prop><d:resourcetype><d:collection/><cal:schedule-inbox/></d:resourcetype></d:prop>
   <d:status>HTTP/1.1 200 OK</d:status>
  </d:propstat>
 </d:response>
</d:multistatus>
)";

}  // namespace

TEST_CASE("multistatus: Radicale's collections, whatever the prefixes", "[http]") {
  const auto m = http::read_multistatus(kRadicale);
  REQUIRE_FALSE(m.error);
  REQUIRE(m.responses.size() == 3);
  CHECK(m.responses[1].href == "/probe/calendar/");
  CHECK(m.responses[1].displayname == "Probe calendar");
  const auto cal = http::resources_of(m, *http::collection_type("calendar"));
  REQUIRE(cal.size() == 1);
  CHECK(cal[0]->href == "/probe/calendar/");
  const auto book = http::resources_of(m, *http::collection_type("addressbook"));
  REQUIRE(book.size() == 1);
  CHECK(book[0]->href == "/probe/contacts/");
}

TEST_CASE("multistatus: Sabre/DAV, only the 2xx propstat counts", "[http]") {
  const auto m = http::read_multistatus(kSabre);
  REQUIRE_FALSE(m.error);
  REQUIRE(m.responses.size() == 2);
  CHECK(m.responses[0].displayname == "Personal");
  CHECK(http::resources_of(m, *http::collection_type("calendar")).size() == 1);
  CHECK(http::resources_of(m, *http::collection_type("addressbook")).empty());
  // A resourcetype under a 404 propstat is what the resource is not.
  const std::string not_found =
      R"(<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
    <response><href>/x/</href><propstat><prop><resourcetype><C:calendar/></resourcetype></prop>
    <status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>)";
  CHECK(http::resources_of(http::read_multistatus(not_found), *http::collection_type("calendar"))
            .empty());
}

TEST_CASE("multistatus: a calendar is the element, not a word in the text", "[http]") {
  // The word "calendar" in an href, a display name, or an element of another namespace.
  const std::string decoy = R"(<D:multistatus xmlns:D="DAV:" xmlns:X="urn:example:other">
    <D:response><D:href>/calendar/</D:href><D:propstat><D:prop>
    <D:displayname>calendar addressbook</D:displayname>
    <D:resourcetype><D:collection/><X:calendar/><calendar/></D:resourcetype>
    </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>)";
  const auto m = http::read_multistatus(decoy);
  REQUIRE_FALSE(m.error);
  CHECK(http::resources_of(m, *http::collection_type("calendar")).empty());
  // The caldav element anywhere else than under resourcetype is no resource type either.
  const std::string elsewhere =
      R"(<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
    <response><href>/y/</href><propstat><prop><C:calendar/><resourcetype/></prop>
    <status>HTTP/1.1 200 OK</status></propstat></response></multistatus>)";
  CHECK(http::resources_of(http::read_multistatus(elsewhere), *http::collection_type("calendar"))
            .empty());
}

TEST_CASE("multistatus: what is no multistatus is an error", "[http]") {
  CHECK(http::read_multistatus("").error);
  CHECK(http::read_multistatus("<html><body>Login</body></html>").error);
  CHECK(http::read_multistatus("<multistatus xmlns=\"DAV:\"><response>").error);
  CHECK(*http::read_multistatus("<x:multistatus xmlns:x=\"urn:not-dav\"/>").error ==
        "the root element is {urn:not-dav}multistatus, not {DAV:}multistatus");
  // An entity bomb never gets expanded: no DTD at all.
  const std::string bomb = R"(<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><multistatus xmlns="DAV:">&b;</multistatus>)";
  CHECK(*http::read_multistatus(bomb).error == "a DOCTYPE is not allowed in a multistatus");
  std::string deep = "<multistatus xmlns=\"DAV:\">";
  for (int i = 0; i < 100; ++i) deep += "<a>";
  CHECK(*http::read_multistatus(deep).error == "nested deeper than 64 elements");
  const std::string long_href =
      "<multistatus xmlns=\"DAV:\"><response><href>" + std::string(9000, 'a') + "</href>";
  CHECK(*http::read_multistatus(long_href).error == "a text longer than 8192 bytes");
  const auto empty = http::read_multistatus("<multistatus xmlns=\"DAV:\"/>");
  CHECK_FALSE(empty.error);
  CHECK(empty.responses.empty());
}

TEST_CASE("form templates: placeholders and literal braces", "[http]") {
  std::vector<http::TemplatePart> parts;
  REQUIRE_FALSE(http::parse_template("{user}", parts));
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].placeholder);
  CHECK(parts[0].text == "user");
  REQUIRE_FALSE(http::parse_template("a{{b}}{token}c", parts));
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].text == "a{b}");
  CHECK(parts[1].placeholder);
  CHECK(parts[2].text == "c");
  std::string missing;
  CHECK(http::expand(parts, {{"token", "T"}}, &missing) == "a{b}Tc");
  CHECK(missing.empty());
  CHECK(http::expand(parts, {}, &missing) == "a{b}c");
  CHECK(missing == "token");
  CHECK(*http::parse_template("{user", parts) ==
        "the '{' at character 1 is not closed; write \"{{\" for a literal brace");
  CHECK(*http::parse_template("x}", parts) ==
        "a '}' at character 2 closes no placeholder; write \"}}\" for a literal brace");
  CHECK(*http::parse_template("{}", parts) ==
        "an empty placeholder \"{}\"; name a value, like \"{user}\"");
  CHECK(*http::parse_template("{a b}", parts) ==
        "\"{a b}\" is not a placeholder: a name is letters, digits, '_' and '-'");
}

TEST_CASE("form bodies are urlencoded in order", "[http]") {
  CHECK(http::form_encode({{"_user", "probe@example.test"}, {"_pass", "p&s=s w+%"}}) ==
        "_user=probe%40example.test&_pass=p%26s%3Ds+w%2B%25");
  CHECK(http::form_encode({}).empty());
}

TEST_CASE("captures: Roundcube's login token", "[http]") {
  // Roundcube 1.6's login form, as it serves it.
  const std::string page =
      R"(<form name="login-form" method="post" action="./?_task=login">)"
      R"(<input type="hidden" name="_token" value="hGn1mHcZ4C8x9Tq0Yf2dKzRUVbWqa3Es">)"
      R"(<input type="hidden" name="_task" value="login">)";
  const auto r = http::regex_search(page, R"re(name="_token" value="([^"]+)")re");
  REQUIRE(r.matched);
  CHECK(r.capture == "hGn1mHcZ4C8x9Tq0Yf2dKzRUVbWqa3Es");
  // Without a group the whole match is the value.
  CHECK(http::regex_search(page, "_task=[a-z]+").capture == "_task=login");
  CHECK_FALSE(http::regex_search(page, "_csrf").matched);
  CHECK(http::regex_error("(unclosed"));
  CHECK_FALSE(http::regex_error("a+b"));
}

TEST_CASE("captures: a pathological pattern on a large body ends with an error", "[http]") {
  const std::string body(200000, 'a');
  const auto r = http::regex_search(body, "(a*)*b");
  CHECK_FALSE(r.matched);
  CHECK(r.error);
  // A plain search through megabytes does not recurse.
  const std::string big = std::string(3 * 1024 * 1024, 'x') + "<title>Inbox</title>";
  CHECK(http::regex_search(big, "<title>([^<]*)</title>").capture == "Inbox");
}

TEST_CASE("captured values are decoded as an attribute holds them", "[http]") {
  CHECK(http::html_unescape("a&amp;b&lt;&gt;&quot;&#39;&#x41;") == "a&b<>\"'A");
  CHECK(http::html_unescape("&unknown; & &#xZZ; &#0; &#999;") == "&unknown; & &#xZZ; &#0; &#999;");
}
