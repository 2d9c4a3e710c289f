// Pushes the run's metrics to a Prometheus Pushgateway with PUT, replacing the group
// job="mailcanary", vantage=<vantage>: a successful run leaves no stale failure series behind,
// and the last success time of a failed scenario is pushed again from the state directory,
// never erased. Only the current run is ever pushed: an old result is never replayed.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "reporters/reporter.hpp"

namespace mc {

struct PushConfig {
  std::string url;  // the gateway's base URL, e.g. http://pushgateway:9091
  std::string ca_file;
  std::string basic_auth;                     // "user:password"; a secret
  std::string bearer_token;                   // a secret
  std::chrono::milliseconds timeout{10'000};  // per attempt, and never past the run's deadline
  int attempts = 3;                           // on connection errors and 5xx replies
};

// The group's path: /metrics/job/mailcanary/vantage/<v>, or vantage@base64/<base64url> where
// the value has a '/' or is empty (the Pushgateway's rule).
std::string push_path(const std::string& vantage);

// True when the URL carries user:password@; such credentials belong in a secret file.
bool url_has_userinfo(const std::string& url);

// Reads a secret file for the Pushgateway's credentials; refuses one that others can read.
// Returns nullopt and sets `error` on failure.
std::optional<std::string> read_push_secret(const std::string& path, std::string& error);

class PushgatewayReporter : public Reporter {
 public:
  explicit PushgatewayReporter(PushConfig cfg) : cfg_(std::move(cfg)) {}
  std::string name() const override { return "pushgateway"; }
  std::optional<std::string> write(const RunResult& run, const ReportContext& ctx) override;

 private:
  PushConfig cfg_;
};

}  // namespace mc
