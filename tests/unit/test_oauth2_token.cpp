// The OAuth 2.0 token endpoint's answers as RFC 6749 and the big providers write them, and the
// grant bodies the probe sends.
#include <catch2/catch.hpp>

#include <string>

#include "protocols/oauth2/token.hpp"

using namespace mc::proto::oauth2;

TEST_CASE("token response: RFC 6749 5.1's example", "[oauth2]") {
  const Response r = parse_response(200, R"({
       "access_token":"2YotnFZFEjr1zCsicMWpAA",
       "token_type":"example",
       "expires_in":3600,
       "refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA",
       "example_parameter":"example_value"
     })");
  // "example" is no bearer token: SASL's XOAUTH2 and OAUTHBEARER carry bearer tokens only.
  REQUIRE_FALSE(r.token);
  CHECK(r.problem == "the token endpoint's \"token_type\" is \"example\", not \"Bearer\"");
}

TEST_CASE("token response: Google's and Microsoft's", "[oauth2]") {
  SECTION("Google (refresh grant; expires_in a number, scope, no new refresh token)") {
    const Response r = parse_response(200, R"({
  "access_token": "ya29.a0AfB_byC-Sentinel",
  "expires_in": 3599,
  "scope": "https://mail.google.com/",
  "token_type": "Bearer"
})");
    REQUIRE(r.token);
    CHECK(r.token->access_token == "ya29.a0AfB_byC-Sentinel");
    CHECK(r.token->expires_in == 3599);
    CHECK(r.token->refresh_token.empty());
  }
  SECTION("Microsoft identity platform (ext_expires_in, a rotated refresh token)") {
    const Response r = parse_response(
        200,
        R"({"token_type":"Bearer","scope":"https://outlook.office.com/IMAP.AccessAsUser.All","expires_in":4146,"ext_expires_in":4146,"access_token":"EwBwA8l6BAAU-Sentinel","refresh_token":"M.C107_BAY.0.U.-Rotated"})");
    REQUIRE(r.token);
    CHECK(r.token->expires_in == 4146);
    CHECK(r.token->refresh_token == "M.C107_BAY.0.U.-Rotated");
  }
  SECTION("expires_in as a string, as some endpoints send it; none at all") {
    auto r = parse_response(200, R"({"access_token":"a","token_type":"bearer","expires_in":"60"})");
    REQUIRE(r.token);
    CHECK(r.token->expires_in == 60);
    r = parse_response(200, R"({"access_token":"a","token_type":"Bearer"})");
    REQUIRE(r.token);
    CHECK_FALSE(r.token->expires_in);
  }
}

TEST_CASE("token response: errors say what the endpoint said, never a token", "[oauth2]") {
  SECTION("RFC 6749 5.2") {
    const Response r = parse_response(400, R"({"error":"invalid_grant"})");
    CHECK_FALSE(r.token);
    CHECK(r.problem == "the token endpoint answered HTTP 400: invalid_grant");
  }
  SECTION("Microsoft's, with a description") {
    const Response r = parse_response(
        401,
        R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]})");
    CHECK(r.problem ==
          "the token endpoint answered HTTP 401: invalid_client (AADSTS7000215: Invalid client "
          "secret provided.)");
  }
  SECTION("HTML from a proxy, an empty body") {
    CHECK(parse_response(502, "<html>Bad Gateway</html>").problem ==
          "the token endpoint answered HTTP 502");
    CHECK(parse_response(200, "").problem == "the token endpoint's answer is not a JSON object");
  }
  SECTION("malformed members") {
    CHECK(parse_response(200, R"({"token_type":"Bearer"})").problem ==
          "the token endpoint's answer has no \"access_token\"");
    CHECK(parse_response(200, R"({"access_token":"a\nb","token_type":"Bearer"})").problem ==
          "the token endpoint's \"access_token\" is not printable ASCII");
    CHECK(parse_response(200, R"({"access_token":"a","token_type":"Bearer","expires_in":-5})")
              .problem == "the token endpoint's \"expires_in\" is not a number of seconds");
    CHECK(parse_response(200, R"({"access_token":"a"})").problem ==
          "the token endpoint's \"token_type\" is missing, not \"Bearer\"");
  }
  SECTION("an answer too large") {
    CHECK_FALSE(parse_response(200, std::string(kMaxResponseBytes + 1, ' ')).token);
  }
}

TEST_CASE("grant bodies: refresh_token and client_credentials, form-encoded", "[oauth2]") {
  Grant g{"mailcanary probe", "s3cr&t=", "1//0g-refresh/+", "https://mail.google.com/"};
  CHECK(request_body(g) ==
        "grant_type=refresh_token&refresh_token=1%2F%2F0g-refresh%2F%2B&client_id=mailcanary+"
        "probe&client_secret=s3cr%26t%3D&scope=https%3A%2F%2Fmail.google.com%2F");
  g.refresh_token.clear();
  g.client_secret.clear();
  g.scope.clear();
  CHECK(request_body(g) == "grant_type=client_credentials&client_id=mailcanary+probe");
}
