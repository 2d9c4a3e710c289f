#include "protocols/imap/finder.hpp"

#include <algorithm>
#include <utility>

#include "protocols/imap/fetch.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap::detail {

std::vector<Chunk> Finder::search(CommandBuilder cmd) {
  hits_.clear();
  cmd.word("UID SEARCH HEADER").word(kTokenHeader).astring(token_, false);
  return cmd.finish();
}

std::vector<Chunk> Finder::search_deleted(CommandBuilder cmd) {
  hits_.clear();
  return cmd.word("UID SEARCH DELETED").finish();
}

bool Finder::take_search(const Response& r) {
  for (std::string_view word : split_words(r.text)) {
    std::uint32_t uid = 0;
    if (!parse_u32(word, uid)) return false;
    hits_.push_back(uid);
  }
  return true;
}

std::vector<std::uint32_t> Finder::hits() const {
  return sorted_unique(hits_);
}

std::vector<Chunk> Finder::fetch(CommandBuilder cmd, std::vector<std::uint32_t> uids) {
  requested_ = sorted_unique(std::move(uids));
  if (requested_.size() > kMaxVerifyPerFetch) requested_.resize(kMaxVerifyPerFetch);
  verified_.clear();
  cmd.word("UID FETCH").word(uid_set(requested_)).word("(UID BODY.PEEK[HEADER])");
  return cmd.finish();
}

bool Finder::take_fetch(const Response& r, Transcript& notes) {
  FetchData data;
  if (!parse_fetch(r, data)) return false;
  if (!data.uid || !data.header) return true;
  const std::uint32_t uid = *data.uid;
  if (!std::binary_search(requested_.begin(), requested_.end(), uid)) {
    return true;  // not a message we asked about
  }
  if (!carries_token(*data.header, token_)) {
    notes.note("UID " + std::to_string(uid) +
               " matched the search but has no X-Mailcanary-Token field with our token");
    return true;
  }
  verified_.emplace(uid, *data.header);
  return true;
}

std::vector<std::uint32_t> Finder::verified_uids() const {
  std::vector<std::uint32_t> uids;
  for (const auto& [uid, header] : verified_) uids.push_back(uid);
  return uids;
}

}  // namespace mc::proto::imap::detail
