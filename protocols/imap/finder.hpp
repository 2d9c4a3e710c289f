// The token search and the FETCHes that prove which of its hits are a probe's, or a delivery
// report about it, as Wait and Delete both use them. Server searches match substrings, and the
// token text may sit anywhere: only a header block whose X-Mailcanary-Token field holds exactly
// the token counts as the probe, and only a report (RFC 3464, or a mailer daemon's plain-text
// bounce) whose returned message carries that field counts as its DSN. Internal to
// protocols/imap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "codec/transcript.hpp"
#include "protocols/imap/command.hpp"
#include "protocols/imap/response.hpp"
#include "protocols/mime/dsn.hpp"

namespace mc::proto::imap::detail {

// How many search hits one FETCH verifies: the token is unique, so more are duplicates at best.
// Also the batch in which Delete checks other \Deleted messages for a token of mailcanary's.
inline constexpr std::size_t kMaxVerifyPerFetch = 100;

class Finder {
 public:
  explicit Finder(std::string token) : token_(std::move(token)) {}
  const std::string& token() const { return token_; }

  // UID SEARCH OR HEADER X-Mailcanary-Token "<token>" TEXT "<token>": the probe by its field, a
  // report by the returned message in its text (TEXT, not BODY: Dovecot's BODY search skips the
  // header of a message/rfc822 part). `reports_from` > 0 reads the text only of UIDs from it on
  // (a TEXT search reads every message; a report comes well after the SELECT that saw that
  // UIDNEXT); the header search is never narrowed, so a probe delivered while the SELECT was
  // still on its way is found all the same. UID SEARCH DELETED. Either way hits start afresh.
  std::vector<Chunk> search(CommandBuilder cmd, std::uint32_t reports_from = 0);
  std::vector<Chunk> search_deleted(CommandBuilder cmd);
  // * SEARCH data of the outstanding search; false when it is malformed.
  bool take_search(const Response& r);
  std::vector<std::uint32_t> hits() const;  // sorted, unique, no 0

  // UID FETCH of the header blocks of (at most kMaxVerifyPerFetch of) `uids`, sorted and unique.
  std::vector<Chunk> fetch(CommandBuilder cmd, std::vector<std::uint32_t> uids);
  // A FETCH response to it; false when it is malformed. A requested message whose header does
  // not carry the token is not verified: noted in `notes`, and when it may be a report, kept
  // among report_candidates().
  bool take_fetch(const Response& r, Transcript& notes);
  const std::map<std::uint32_t, std::string>& verified() const { return verified_; }
  std::vector<std::uint32_t> verified_uids() const;
  const std::vector<std::uint32_t>& report_candidates() const { return candidates_; }

  // UID FETCH of the first kDsnMaxBytes of every report candidate (BODY.PEEK: nothing is
  // marked seen).
  std::vector<Chunk> fetch_reports(CommandBuilder cmd);
  // A FETCH response to it; false when it is malformed. A report whose returned message carries
  // the token is kept in reports(); any other message is noted in `notes` and left alone.
  bool take_report(const Response& r, Transcript& notes);
  const std::map<std::uint32_t, mime::Dsn>& reports() const { return reports_; }

 private:
  std::string token_;
  std::vector<std::uint32_t> hits_;                // * SEARCH data of the outstanding search
  std::vector<std::uint32_t> requested_;           // UIDs the outstanding FETCH asked for
  std::map<std::uint32_t, std::string> verified_;  // UID -> header block carrying our token
  std::vector<std::uint32_t> candidates_;          // hits of the last FETCH that may be reports
  std::map<std::uint32_t, mime::Dsn> reports_;     // UID -> report returning our probe
};

}  // namespace mc::proto::imap::detail
