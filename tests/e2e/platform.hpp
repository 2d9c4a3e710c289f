// The loopback Postfix + Dovecot of the end-to-end tier, as tests/e2e/fixture.sh started it:
// its ports, CA and accounts (from DIR/env), its mailboxes on disk, and running mailcanary on it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/run_binary.hpp"

namespace mc::e2e {

std::string var(const std::string& key);  // a value of DIR/env, e.g. MC_CA
std::string url(const std::string& scheme, const std::string& port_key);
std::string probe_password();
std::string users_password();

// A user's INBOX on disk, e.g. maildir("probe").
std::filesystem::path maildir(const std::string& local_part);
// Every message file of it: its Maildir flags and content.
std::multiset<std::string> mailbox_snapshot(const std::string& local_part);
int messages_with(const std::string& local_part, const std::string& needle);
// Another of a user's Maildir++ folders on disk, e.g. maildir_folder("probe", "Junk").
std::filesystem::path maildir_folder(const std::string& local_part, const std::string& mailbox);
// The first message file in `folder` (new/ or cur/) that holds every one of `needles`, waited
// for at most `timeout`; empty when none came.
std::filesystem::path wait_for_message(const std::filesystem::path& folder,
                                       const std::vector<std::string>& needles,
                                       std::chrono::milliseconds timeout);
// True once Postfix's log says the message `queue_id` was delivered to every recipient it had
// (LMTP replied, so Dovecot stored every copy it was going to), waited for at most `timeout`.
bool wait_delivered(const std::string& queue_id, std::chrono::milliseconds timeout);

// A scenario file of one smtp.send from the probe over submission to `to`, with `headers`
// (the step's key) when given: the probe is sent and not looked for.
nlohmann::json send_only(const std::string& to, const std::vector<std::string>& headers = {});

struct Run {
  mc::test::Ran ran;
  nlohmann::json result;  // the --json document, null when none was written
};

// Writes `file` to a fresh directory and runs `mailcanary run` on it with --json, and with
// --state-dir STATE unless `extra` names one. MC_E2E_PASSWORD is the probe's password unless
// `env` sets it.
Run run(const nlohmann::json& file, std::map<std::string, std::string> env = {},
        std::vector<std::string> extra = {});

// Postfix's queue: releases held mail and flushes, or deletes everything held.
void release_held_mail();
void delete_held_mail();

// A scenario file with one scenario `name` of `steps`: server "out" (submission with STARTTLS),
// "store" (imaps) and account "probe", trusting the tier's CA; the scenario's timeout 60 s.
nlohmann::json scenario_file(const nlohmann::json& steps, const std::string& name = "e2e");

}  // namespace mc::e2e
