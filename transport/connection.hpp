// How steps reach servers: a Connection runs protocol machines one after another on one TCP
// (and TLS) connection, so that steps can share an authenticated session. The Transport makes
// connections; in a run it is the socket driver, in tests a script.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "transport/driver.hpp"

namespace mc {

class Connection {
 public:
  virtual ~Connection() = default;
  // Connects first when not open (resolve, connect and implicit TLS are phases of this run),
  // then runs `machine` until it is done or `deadline` passes. A machine that finished, with or
  // without a failure of its own, leaves the connection open for the next one (whether one may
  // follow is the protocol's to say); a failure of the connection itself (resolve, connect,
  // TLS, a timeout, a reset) closes it for good.
  // The outcome always carries the connection's address and TLS facts once it has them.
  virtual boost::asio::awaitable<SessionOutcome> run(proto::Machine& machine,
                                                     Mono::time_point deadline) = 0;
  virtual bool is_open() const = 0;
  // Closes the socket without a goodbye: the protocol's goodbye is a machine of its own.
  virtual void close() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Nothing happens on the network until the first run(); opts.deadline is not used.
  virtual std::unique_ptr<Connection> connect(SessionOptions opts) = 0;
};

// The real one: the Asio driver of transport/driver.cpp.
Transport& socket_transport();

}  // namespace mc
