// imap::Client against a fuzzer-chosen server, in every mode. Input: two flag bytes, then the
// ServerScript (harness.hpp): K, the server's bytes, K chunk sizes.
//   flags[0] bits 0-1  mode: 0 wait, 1 and 3 remove (imap.delete), 2 check
//            bits 2-3  0 implicit TLS (imaps), 1 STARTTLS required, 2 optional, 3 off
//            bit  4    allow_plaintext_auth
//            bit  5    remove: the UIDs imap.wait found are given (3, 7, 8, 9)
//            bit  6    remove: the UIDVALIDITY imap.wait saw is given (1234)
//            bit  7    remove: a token of an earlier probe is given (own_tokens)
//   flags[1] bits 0-1  the secret: plain, with a quote and a backslash, 8-bit (sent as a literal)
// TLS always comes up when asked for; the server closes the connection once its bytes are out.
// The client's limits are the fixed ones of README "Limits"; run.sh's -max_len lets inputs pass
// the line limit.
//
// Asserts beyond "no crash", on every session:
// - no spelling of the secret (plain, IMAP-quoted, base64, base64 of the AUTHENTICATE PLAIN
//   response; any letter case) appears in a transcript line or the failure's message or reply;
// - LOGIN and AUTHENTICATE, and any spelling of the secret, are never written while
//   outcome().tls is false, unless allow_plaintext_auth;
// - deletion safety, against the server's bytes read apart by the harness: UID STORE and UID
//   EXPUNGE are written only by imap.delete, name only UIDs the server returned to a UID SEARCH,
//   and of those only the UIDs the harness allowed (cfg.uids) or, without them, UIDs of a FETCH
//   response that carried the token; with a known UIDVALIDITY only under that UIDVALIDITY; UID
//   EXPUNGE only UIDs just stored. A plain EXPUNGE is written only when every UID the last
//   UID SEARCH DELETED returned was just stored or came in a FETCH carrying the token or an own
//   token. imap.wait reports as found only UIDs of a FETCH that carried the token;
// - every piece written ends with CRLF; the session ends within bounded steps.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codec/base64.hpp"
#include "protocols/imap.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::codec::base64_encode;
using mc::fuzz::check;
using mc::fuzz::finding;
using mc::fuzz::icontains;
using mc::fuzz::istarts_with;
using mc::proto::Action;
using mc::proto::LineBuffer;
namespace imap = mc::proto::imap;

const std::string kUser = "probe@example.test";
const std::string kToken = "3f9a0c1d2e4b5a697887766554433221";
const std::string kOwnToken = "0badc0ffee0badc0ffee0badc0ffee00";
const std::vector<std::uint32_t> kFoundUids = {3, 7, 8, 9};
constexpr std::uint32_t kUidValidity = 1234;

imap::Config config(std::uint8_t flags, std::uint8_t more) {
  imap::Config cfg;
  static constexpr imap::Mode kModes[] = {imap::Mode::wait, imap::Mode::remove, imap::Mode::check,
                                          imap::Mode::remove};
  cfg.mode = kModes[flags & 3];
  switch ((flags >> 2) & 3) {
    case 0:
      cfg.implicit_tls = true;
      break;
    case 1:
      cfg.starttls = imap::StartTls::required;
      break;
    case 2:
      cfg.starttls = imap::StartTls::optional;
      break;
    default:
      cfg.starttls = imap::StartTls::off;
      break;
  }
  cfg.allow_plaintext_auth = (flags & 0x10) != 0;
  if (flags & 0x20) cfg.uids = kFoundUids;
  if (flags & 0x40) cfg.uidvalidity = kUidValidity;
  if (flags & 0x80) cfg.own_tokens = {kOwnToken};
  static const char* const kSecrets[] = {"S3ntinel-P4ss", "S3ntinel\"P4ss\\",
                                         "S3ntinel-P4ss\xc3\xa9", "S3ntinel-P4ss"};
  cfg.user = kUser;
  cfg.secret = kSecrets[more & 3];
  cfg.token = kToken;
  cfg.poll_interval = std::chrono::milliseconds(1);
  return cfg;
}

std::vector<std::string> secret_forms(const imap::Config& cfg) {
  const std::string quoted = imap::quote_astring(cfg.secret);
  return {cfg.secret, quoted.substr(1, quoted.size() - 2), base64_encode(cfg.secret),
          base64_encode(std::string(1, '\0') + cfg.user + '\0' + cfg.secret)};
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 0xffffffffu) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const std::size_t sp = s.find(' ');
    if (sp != 0) out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

// What the server said, read apart from the client with its own LineBuffer and reader, fed the
// same chunks. The client sends one command at a time, so the untagged responses before a
// tagged one belong to the command of that tag (the first response with that tag: the client
// ends the session on any other).
struct ServerView {
  LineBuffer in;
  imap::ResponseReader reader;
  bool ended = false;
  std::set<std::uint32_t> searched;           // every UID any SEARCH response returned
  std::vector<std::uint32_t> pending_search;  // SEARCH data since the last tagged response
  std::map<std::string, std::vector<std::uint32_t>> search_by_tag;
  std::set<std::uint32_t> fetched_with_token;  // UIDs of FETCH responses carrying the token
  std::set<std::uint32_t> fetched_with_own;    // ... carrying it or an own token

  void feed(std::string_view chunk, const imap::Config& cfg) {
    if (ended) return;
    in.feed(chunk);
    for (;;) {
      imap::Response r;
      const auto s = reader.next(in, r);
      if (s == imap::ResponseReader::Status::need_more) return;
      if (s != imap::ResponseReader::Status::complete) {
        ended = true;
        return;
      }
      take(r, cfg);
    }
  }

  void take(const imap::Response& r, const imap::Config& cfg) {
    if (r.kind == imap::Response::Kind::tagged) {
      search_by_tag.emplace(r.tag, pending_search);
      pending_search.clear();
      return;
    }
    if (r.kind != imap::Response::Kind::untagged) return;
    if (r.status == "SEARCH") {
      for (std::string_view w : words(r.text)) {
        std::uint32_t uid = 0;
        if (!parse_u32(w, uid)) continue;  // the client refuses such data
        searched.insert(uid);
        pending_search.push_back(uid);
      }
    } else if (r.status == "FETCH") {
      // More lenient than the client: the token anywhere, every "UID n" in the data.
      auto carries = [&](const std::string& token) {
        if (r.text.find(token) != std::string::npos) return true;
        for (const std::string& l : r.literals)
          if (l.find(token) != std::string::npos) return true;
        return false;
      };
      const bool token = carries(cfg.token);
      bool own = token;
      for (const std::string& t : cfg.own_tokens) own = own || carries(t);
      if (!own) return;
      const std::string_view text = r.text;
      for (std::size_t at = 0; at + 4 <= text.size(); ++at) {
        if (!istarts_with(text.substr(at), "UID ")) continue;
        std::size_t end = at + 4;
        while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
        std::uint32_t uid = 0;
        if (!parse_u32(text.substr(at + 4, end - at - 4), uid)) continue;
        if (token) fetched_with_token.insert(uid);
        fetched_with_own.insert(uid);
      }
    }
  }
};

// "7,9:11" -> 7 9 10 11, each passed to `each`; false when it is not a UID set of numbers.
template <typename Each>
bool for_each_uid(std::string_view set, Each each) {
  while (!set.empty()) {
    const std::size_t comma = set.find(',');
    const std::string_view item = set.substr(0, comma);
    set = comma == std::string_view::npos ? std::string_view() : set.substr(comma + 1);
    const std::size_t colon = item.find(':');
    std::uint32_t lo = 0, hi = 0;
    if (!parse_u32(item.substr(0, colon), lo)) return false;
    hi = lo;
    if (colon != std::string_view::npos && !parse_u32(item.substr(colon + 1), hi)) return false;
    if (hi < lo) std::swap(lo, hi);
    for (std::uint64_t uid = lo; uid <= hi; ++uid) each(static_cast<std::uint32_t>(uid));
  }
  return true;
}

class Session {
 public:
  Session(const std::uint8_t* data, std::size_t size)
      : script_(data, size, 2), cfg_(config(script_.flag(0), script_.flag(1))), client_(cfg_) {
    forms_ = secret_forms(cfg_);
  }

  void run() {
    mc::fuzz::Observer obs;
    obs.on_chunk = [&](std::string_view chunk) { server_.feed(chunk, cfg_); };
    obs.on_write = [&](const Action& a) { written(a.data); };
    const Action last = mc::fuzz::play(client_, script_, obs);

    for (const auto& line : client_.transcript().lines()) no_secret(line.text, "the transcript");
    if (last.failure) {
      no_secret(last.failure->message, "a failure message");
      if (const auto& r = last.failure->reply) {
        no_secret(r->text, "a failure reply");
        no_secret(r->enhanced, "a failure reply");
        no_secret(r->status, "a failure reply");
      }
    }
    for (std::uint32_t uid : client_.outcome().found_uids)
      check(server_.fetched_with_token.count(uid) == 1,
            "imap.wait found a UID no FETCH showed with the token", std::to_string(uid));
  }

 private:
  void no_secret(std::string_view text, std::string_view where) {
    for (const std::string& form : forms_)
      check(!icontains(text, form), std::string("secret in ") + std::string(where), text);
  }

  void written(const std::string& w) {
    check(w.ends_with("\r\n"), "a piece written does not end with CRLF", w);
    const bool clear = !client_.outcome().tls && !cfg_.allow_plaintext_auth;
    if (clear) {
      for (const std::string& form : forms_)
        check(w.find(form) == std::string::npos, "secret written without TLS", w);
    }
    // A command: "aN VERB ...". Literal payloads and SASL responses have no tag.
    std::vector<std::string_view> ws = words(std::string_view(w).substr(0, w.size() - 2));
    if (ws.size() < 2 || ws[0].size() < 2 || ws[0][0] != 'a') return;
    std::uint32_t n = 0;
    if (!parse_u32(ws[0].substr(1), n)) return;
    const std::string tag(ws[0]);
    auto is = [&](std::size_t i, std::string_view word) {
      return ws.size() > i && ws[i].size() == word.size() && istarts_with(ws[i], word);
    };
    if (clear) {
      check(!is(1, "LOGIN") && !is(1, "AUTHENTICATE"), "credentials written without TLS", w);
    }
    if (is(1, "UID") && is(2, "STORE")) {
      stored_.clear();
      deleting(w, ws.size() > 3 ? ws[3] : std::string_view(),
               [&](std::uint32_t uid) { stored_.insert(uid); });
    } else if (is(1, "UID") && is(2, "EXPUNGE")) {
      deleting(w, ws.size() > 3 ? ws[3] : std::string_view(), [&](std::uint32_t uid) {
        check(stored_.count(uid) == 1, "UID EXPUNGE names a UID not just stored", w);
      });
    } else if (is(1, "UID") && is(2, "SEARCH") && is(3, "DELETED")) {
      last_search_deleted_ = tag;
    } else if (is(1, "EXPUNGE")) {
      plain_expunge(w);
    }
  }

  template <typename Each>
  void deleting(const std::string& w, std::string_view set, Each each) {
    check(cfg_.mode == imap::Mode::remove, "a deleting command outside imap.delete", w);
    if (cfg_.uidvalidity != 0)
      check(client_.outcome().uidvalidity == cfg_.uidvalidity, "deleting under another UIDVALIDITY",
            w);
    const bool ok = for_each_uid(set, [&](std::uint32_t uid) {
      check(server_.searched.count(uid) == 1, "deleting a UID no SEARCH returned", w);
      if (!cfg_.uids.empty()) {
        check(std::find(cfg_.uids.begin(), cfg_.uids.end(), uid) != cfg_.uids.end(),
              "deleting a UID imap.wait did not report", w);
      } else {
        check(server_.fetched_with_token.count(uid) == 1,
              "deleting a UID no FETCH showed with the token", w);
      }
      each(uid);
    });
    check(ok && !set.empty(), "deleting command without a plain UID set", w);
  }

  void plain_expunge(const std::string& w) {
    check(cfg_.mode == imap::Mode::remove, "EXPUNGE outside imap.delete", w);
    check(!last_search_deleted_.empty(), "EXPUNGE without UID SEARCH DELETED before it", w);
    const auto it = server_.search_by_tag.find(last_search_deleted_);
    check(it != server_.search_by_tag.end(), "EXPUNGE before UID SEARCH DELETED completed", w);
    for (std::uint32_t uid : it->second) {
      if (uid == 0 || stored_.count(uid) || server_.fetched_with_own.count(uid)) continue;
      finding("EXPUNGE while another \\Deleted message (not ours) is in the mailbox",
              "UID " + std::to_string(uid));
    }
  }

  mc::fuzz::ServerScript script_;
  imap::Config cfg_;
  imap::Client client_;
  std::vector<std::string> forms_;
  ServerView server_;
  std::set<std::uint32_t> stored_;  // UIDs of the last UID STORE
  std::string last_search_deleted_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Session(data, size).run();
  return 0;
}
