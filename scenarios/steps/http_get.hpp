// http.get's keys, read by http_get.cpp and run by http_run.cpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codec/failure.hpp"
#include "protocols/http/form.hpp"
#include "results/result.hpp"
#include "scenarios/scenario.hpp"

namespace mc::scn {

class StepContext;

struct HttpKeys : StepKeys {
  std::string path = "/";
  std::string method = "GET";
  std::vector<std::string> headers;
  std::optional<std::string> body;
  std::vector<std::pair<std::string, std::vector<proto::http::TemplatePart>>> form;
  std::vector<std::pair<std::string, std::string>> capture;  // name, pattern
  std::optional<int> status;
  std::optional<std::string> contains;
  std::optional<std::string> regex;
  std::optional<std::string> collection;  // "calendar" or "addressbook"
  bool basic_auth = false;                // the account, with no form to carry it
  bool form_password = false;             // a form field holds {password}
};

boost::asio::awaitable<std::optional<Failure>> run_http_get(StepContext& ctx, StepResult& out);

}  // namespace mc::scn
