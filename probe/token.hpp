#pragma once

#include <string>

namespace mc {

// A 128-bit random probe token, lower-case hex. It is the only thing that marks a message as
// mailcanary's own, so it comes from the OS CSPRNG (via OpenSSL), never from a clock or counter.
std::string new_probe_token();

}  // namespace mc
