// What the two forms of delivery report share: values made one line, status and reply codes
// found in free text, addresses, the mailer-daemon sender. Internal to protocols/mime.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocols/mime/dsn.hpp"
#include "protocols/mime/parts.hpp"

namespace mc::proto::mime::detail {

// Control characters become spaces, white space runs one space, trimmed, cut at kDsnMaxValue.
std::string one_line(std::string_view v);

// Where `needle` first stands in `hay`, letter case ignored; npos when nowhere.
std::size_t ifind(std::string_view hay, std::string_view needle);
bool icontains(std::string_view hay, std::string_view needle);

// An RFC 3463 status code, class 2, 4 or 5, then 1-3 digits twice: "5.1.1", "5.1.10".
bool is_status(std::string_view s);
// The first status code standing alone in `text` ("... 550 5.1.1 <x>", "(#5.1.1)"), or "".
std::string status_in(std::string_view text);
// The SMTP reply code of a diagnostic: one followed by a status code of its class anywhere
// ("host x said: 550 5.1.1 ..."), else one the text starts with; 0 when neither.
int smtp_code_in(std::string_view text);

// The address of a From or Return-Path value: inside <...> when there are brackets.
std::string_view address_of(std::string_view value);
// From MAILER-DAEMON@ or postmaster@, or with an empty Return-Path: a delivery system wrote it.
bool from_mailer_daemon(std::string_view header_block);

// The plain-text forms (Exim, qmail); form `none` when the message is neither.
Dsn plain_text_bounce(const Message& m);

}  // namespace mc::proto::mime::detail
