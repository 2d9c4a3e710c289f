#include "protocols/imap/finder.hpp"

#include <algorithm>
#include <utility>

#include "protocols/imap/fetch.hpp"
#include "protocols/imap/text.hpp"

namespace mc::proto::imap::detail {

std::vector<Chunk> Finder::search(CommandBuilder cmd, std::uint32_t reports_from) {
  hits_.clear();
  cmd.word("UID SEARCH OR HEADER").word(kTokenHeader).astring(token_, false);
  if (reports_from > 0) {
    cmd.word("(UID").word(std::to_string(reports_from) + ":*").word("TEXT");
    cmd.astring(token_, false).close();
  } else {
    cmd.word("TEXT").astring(token_, false);
  }
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
  candidates_.clear();
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
  if (carries_token(*data.header, token_)) {
    verified_.emplace(uid, *data.header);
  } else if (mime::may_be_dsn(*data.header)) {
    if (std::find(candidates_.begin(), candidates_.end(), uid) == candidates_.end())
      candidates_.push_back(uid);
  } else {
    notes.note("UID " + std::to_string(uid) +
               " matched the search but has no X-Mailcanary-Token field with our token");
  }
  return true;
}

std::vector<Chunk> Finder::fetch_reports(CommandBuilder cmd) {
  requested_ = sorted_unique(candidates_);
  reports_.clear();
  cmd.word("UID FETCH").word(uid_set(requested_));
  cmd.word("(UID BODY.PEEK[]<0." + std::to_string(mime::kDsnMaxBytes) + ">)");
  return cmd.finish();
}

bool Finder::take_report(const Response& r, Transcript& notes) {
  FetchData data;
  if (!parse_fetch(r, data)) return false;
  if (!data.uid || !data.full) return true;
  const std::uint32_t uid = *data.uid;
  if (!std::binary_search(requested_.begin(), requested_.end(), uid)) return true;
  mime::Dsn dsn = mime::parse_dsn(*data.full);
  if (dsn.form == mime::DsnForm::none || !dsn.returns_token(token_)) {
    notes.note("UID " + std::to_string(uid) +
               " matched the search but is no delivery report about our probe");
    return true;
  }
  reports_.emplace(uid, std::move(dsn));
  return true;
}

std::vector<std::uint32_t> Finder::verified_uids() const {
  std::vector<std::uint32_t> uids;
  for (const auto& [uid, header] : verified_) uids.push_back(uid);
  return uids;
}

}  // namespace mc::proto::imap::detail
