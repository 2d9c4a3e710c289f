// A curl multi handle whose sockets and timer are watched by the Asio executor it is made on:
// one transfer at a time, run until it is done or the deadline passes. Internal to transport/.
#pragma once

#include <curl/curl.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>

#include "codec/time.hpp"

namespace mc {

class CurlMulti {
 public:
  explicit CurlMulti(const boost::asio::any_io_executor& ex);
  ~CurlMulti();  // removes the transfer and closes every socket: nothing of it runs on
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Runs `easy` (set up, not yet added) until it is done (its result) or `deadline` passes
  // (nullopt; the transfer is then stopped and its sockets closed).
  boost::asio::awaitable<std::optional<CURLcode>> perform(CURL* easy, Mono::time_point deadline);

  struct State;

 private:
  std::shared_ptr<State> s_;
};

}  // namespace mc
