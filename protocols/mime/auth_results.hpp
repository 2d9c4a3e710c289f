// Authentication-Results header fields (RFC 8601): which host checked what, and its verdict.
// Only the verdicts of a host the scenario trusts mean anything: any sender can add such a field,
// so the fields are kept with their authserv-id and the caller picks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::mime {

struct AuthVerdict {
  std::string method;  // lower case: "spf", "dkim", "dmarc", "arc", "compauth", ...
  std::string result;  // lower case: "pass", "fail", "softfail", "neutral", "none", ...
  std::string reason;  // reason=..., "" when none
  // The properties, as written: "header.d=example.com", "smtp.mailfrom=a@example.com".
  std::vector<std::string> properties;
};

struct AuthResults {
  std::string authserv_id;            // "" when the field names none (Microsoft 365 writes none)
  std::vector<AuthVerdict> verdicts;  // empty for "none" (no checks were made)
};

// Parses one field's value, unfolded. Comments ("(...)", nested) are skipped, quoted values are
// unquoted. nullopt when it is not a well-formed field; a malformed verdict after good ones
// keeps those before it.
std::optional<AuthResults> parse_auth_results(std::string_view value);

// The verdict of `method` among the fields whose authserv-id is `authserv_id` (case-insensitive;
// "" trusts the fields that name none), the topmost first: "pass", "fail", ..., or "" when no
// trusted field reports on the method. Several results of one method (two DKIM signatures):
// "pass" if any passes, else the first.
std::string trusted_verdict(const std::vector<AuthResults>& fields, std::string_view authserv_id,
                            std::string_view method);

}  // namespace mc::proto::mime
