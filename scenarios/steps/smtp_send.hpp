// smtp.send: submits the probe message, with the token header by which mailcanary recognises it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codec/time.hpp"
#include "scenarios/scenario.hpp"
#include "scenarios/steps/smtp_policy.hpp"

namespace mc::scn {

struct SendKeys : StepKeys {
  std::string from;                                          // default: the account's user
  std::vector<std::string> to;                               // default: the account's user
  std::string ehlo;                                          // default: this host's name
  std::optional<std::string> subject;                        // default "mailcanary probe NAME"
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields, name and value
  std::optional<std::string> body;                           // default: a line saying what it is
  std::optional<std::uint32_t> size;                         // pad the message to this many bytes
  SendPolicy policy;  // expect: reject, greylist: retry (smtp_policy.hpp)
};

// The probe message: ordinary headers so that filters treat it like user mail, plus the
// X-Mailcanary-Token header that is the only mark by which mailcanary recognises (and deletes) it.
// The file's subject, extra headers and body go in as they were checked at load time; `size`
// pads the body with text lines until the message has that many bytes (never fewer than it
// needs).
std::string build_probe_message(const SendKeys& keys, const std::string& scenario,
                                const std::string& token, Wall::time_point now);

// What is wrong with an extra header line "Name: value", or nullopt when it may be sent.
std::optional<std::string> extra_header_problem(const std::string& line, std::string& name,
                                                std::string& value);
// What is wrong with a subject or a body, or nullopt.
std::optional<std::string> subject_problem(const std::string& subject);
std::optional<std::string> body_problem(const std::string& body);

}  // namespace mc::scn
