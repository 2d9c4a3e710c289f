// The token search and the header FETCH that proves which of its hits are a probe's, as Wait and
// Delete both use them. Server HEADER searches match substrings, and the token text may sit in
// another field: only a header block whose X-Mailcanary-Token field holds exactly the token
// counts. Internal to protocols/imap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "codec/transcript.hpp"
#include "protocols/imap/command.hpp"
#include "protocols/imap/response.hpp"

namespace mc::proto::imap::detail {

// How many search hits one FETCH verifies: the token is unique, so more are duplicates at best.
// Also the batch in which Delete checks other \Deleted messages for a token of mailcanary's.
inline constexpr std::size_t kMaxVerifyPerFetch = 100;

class Finder {
 public:
  explicit Finder(std::string token) : token_(std::move(token)) {}
  const std::string& token() const { return token_; }

  // UID SEARCH HEADER X-Mailcanary-Token "<token>", or UID SEARCH DELETED; hits start afresh.
  std::vector<Chunk> search(CommandBuilder cmd);
  std::vector<Chunk> search_deleted(CommandBuilder cmd);
  // * SEARCH data of the outstanding search; false when it is malformed.
  bool take_search(const Response& r);
  std::vector<std::uint32_t> hits() const;  // sorted, unique, no 0

  // UID FETCH of the header blocks of (at most kMaxVerifyPerFetch of) `uids`, sorted and unique.
  std::vector<Chunk> fetch(CommandBuilder cmd, std::vector<std::uint32_t> uids);
  // A FETCH response to it; false when it is malformed. A requested message whose header does
  // not carry the token is noted in `notes` and not verified.
  bool take_fetch(const Response& r, Transcript& notes);
  const std::map<std::uint32_t, std::string>& verified() const { return verified_; }
  std::vector<std::uint32_t> verified_uids() const;

 private:
  std::string token_;
  std::vector<std::uint32_t> hits_;                // * SEARCH data of the outstanding search
  std::vector<std::uint32_t> requested_;           // UIDs the outstanding FETCH asked for
  std::map<std::uint32_t, std::string> verified_;  // UID -> header block carrying our token
};

}  // namespace mc::proto::imap::detail
