// What each step sends, built from the scenario without any I/O: the probe message and the
// protocol machines' configurations.
#pragma once

#include <string>

#include "codec/time.hpp"
#include "protocols/imap.hpp"
#include "protocols/smtp.hpp"
#include "scenarios/scenario.hpp"

namespace mc::scn {

// The probe message: ordinary headers so that filters treat it like user mail, plus the
// X-Mailcanary-Token header that is the only mark by which mailcanary recognises (and deletes) it.
std::string build_probe_message(const Step& step, const std::string& scenario,
                                const std::string& token, Wall::time_point now);

proto::smtp::Config smtp_config(const File& file, const Step& step, const std::string& message,
                                const std::string& default_ehlo);

proto::imap::Config imap_config(const File& file, const Step& step, const std::string& token);

}  // namespace mc::scn
