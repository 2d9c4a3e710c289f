// The IMAP task machines. Each is one sans-I/O Machine that runs on a Link, one after another on
// one connection: Login, then Wait, Delete or Check (each SELECTs its own mailbox), then Logout.
// A task that finishes without failure leaves the link to the next; one that fails leaves it
// unusable, except to Delete and Logout when every command was answered (a refusal). A task started
// on a link that is not logged in (Login: that was already used), or that is not usable, fails as
// internal before it sends anything. Every task's transcript() is the link's.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocols/imap/finder.hpp"
#include "protocols/imap/link.hpp"
#include "protocols/imap/list.hpp"
#include "protocols/imap/task.hpp"
#include "protocols/mime/dsn.hpp"

namespace mc::proto::imap {

// Greeting, CAPABILITY, STARTTLS + handshake + CAPABILITY, then LOGIN, or AUTHENTICATE (SASL-IR
// where offered) with the mechanism the account names, SCRAM-SHA-256 where offered, OAUTHBEARER
// or XOAUTH2 for a token, and PLAIN or LOGIN when LOGIN is disabled; nothing more after PREAUTH.
// Phases: greeting, capability, starttls, tls_handshake, login. Leaves the link authenticated.
class Login : public detail::Task {
 public:
  explicit Login(Link& link);
  ~Login() override;

 private:
  enum class Cmd { none, capability, starttls, login, authenticate };
  Action begin() override;
  std::optional<Action> greeting(const Response& r) override;
  Action completed(const Response& r) override;
  Action refused(const Response& r) override;
  Action tls_up() override;

  Action capability();
  Action after_capability();
  Action starttls();
  Action after_starttls();
  Action login();
  Action authenticate(sasl::Mechanism m);
  std::optional<Action> continued(const Response& r) override;
  Action logged_in();

  Cmd cmd_ = Cmd::none;
  std::unique_ptr<sasl::Exchange> sasl_;
  std::string auth_problem_;  // why the client cancelled the exchange ("" when it did not)
};

// imap.wait: SELECT (phase "select") and a UID SEARCH for the token (phase "search"). Then, where
// the server offers IDLE (RFC 2177), IDLE (phase "idle") until an EXISTS says a message came,
// DONE and the search again (phase "search"), renewing the IDLE before `idle_renewal`; without
// IDLE, or with `idle` false, a NOOP (some servers report new mail only then) and the search
// every poll_interval (phase "search"). A hit's header must prove the token (phase "fetch").
// A hit that may be a delivery report has its text read too ("fetch"): a bounce that returns
// the probe fails the task as bounced with the report's Status and diagnostic, or, with
// expect_bounce, is what it waits for. With watch_junk, a LIST first finds the Junk mailbox
// (phase "list"; its EXAMINE for a baseline, NOTIFY and the first STATUS of it are phase
// "select"): NOTIFY, or a STATUS every
// poll_interval, tells of news there, and Junk is EXAMINEd and searched (phase "search") before
// the watched mailbox is selected again (wait_junk.cpp).
struct WaitConfig {
  std::string mailbox = "INBOX";
  std::string token;  // value of the X-Mailcanary-Token header to find
  std::chrono::milliseconds poll_interval{250};
  bool idle = true;  // use IDLE where offered
  // RFC 2177: servers may end a session idle for 30 minutes; renew the IDLE well before that.
  std::chrono::milliseconds idle_renewal{std::chrono::minutes(28)};
  bool expect_bounce = false;  // the probe must bounce: its delivery report is the success
  // Watch the account's Junk mailbox too (found by LIST, see protocols/imap/list.hpp), named
  // `junk_mailbox` by the file or found by its SPECIAL-USE flag or a common name.
  bool watch_junk = false;
  std::string junk_mailbox{};
  // The probe is sent only after this task's SELECT: messages from the UIDNEXT it reported on
  // are the only ones searched.
  bool sent_after_select = false;
};

struct WaitOutcome {
  std::uint32_t uidvalidity = 0;
  // Messages whose header really carries the token, and the delivery reports that return them.
  std::vector<std::uint32_t> found_uids;
  std::string headers;  // header block of the first probe among them; "" when only reports
  // The first report about the probe that says it bounced.
  std::optional<mime::Dsn> bounce;
  std::string found_in;      // the mailbox found_uids are in
  bool in_junk = false;      // that mailbox is the Junk one
  std::string junk;          // the Junk mailbox watched; "" when none was found or asked for
  std::string junk_how;      // how it was found: "special-use", "file" or "name"
  bool junk_notify = false;  // watched with NOTIFY (RFC 5465); else with STATUS polls
  int searches = 0;          // how many UID SEARCHes were needed
  int idles = 0;             // how many IDLE commands were sent
  // How the message was found: "idle" (an EXISTS woke the search that found it: during IDLE,
  // or with the answer to an earlier search),
  // "poll" (a periodic search), "search" (the first search: it was there already).
  std::string detected_by;
  // The search that found it was the first after an IDLE that an EXISTS ended: the end of the
  // last "idle" phase is when the server told of it.
  bool at_idle_end = false;
};

class Wait : public detail::Task {
 public:
  Wait(Link& link, WaitConfig cfg);
  const WaitOutcome& outcome() const { return outcome_; }

 private:
  enum class Cmd {
    none,
    list,
    select,
    notify,
    status,
    examine_junk,
    reselect,
    search,
    fetch,
    reports,
    idle,
    noop
  };
  // Where a STATUS of Junk was sent from, so its answer goes on from there.
  enum class StatusFrom { start, idle, poll, reselect };
  Action begin() override;
  Action completed(const Response& r) override;
  std::optional<Action> data(const Response& r) override;
  std::optional<Action> continued(const Response& r) override;
  Action refused(const Response& r) override;
  Action waited() override;

  Action search(std::string_view why);
  Action after_search();
  Action after_fetch();
  Action after_reports();
  // Junk (protocols/imap/wait_junk.cpp): the LIST that finds it, the NOTIFY that watches it, the
  // STATUS polls without NOTIFY, and the look into it when it may hold the probe.
  Action list();
  Action after_list();
  Action after_select();
  Action after_notify();
  Action status(StatusFrom from);
  Action after_status();
  Action check_junk(std::string_view why);  // EXAMINE Junk, then search it for `why`
  Action after_examine();
  Action reselect();
  Action junk_refused(const Response& r);  // a NO or BAD to the STATUS or EXAMINE of Junk
  bool take_junk_data(const Response& r);  // a LIST or STATUS of the outstanding command
  bool status_polls() const { return !outcome_.junk.empty() && !outcome_.junk_notify; }
  Action decide();      // what the verified probe and reports of this round mean
  Action next_round();  // nothing found yet: IDLE, or the next poll
  Action idle();
  Action end_idle();  // DONE; the search follows its OK

  WaitConfig cfg_;
  WaitOutcome outcome_;
  detail::Finder finder_;
  Cmd cmd_ = Cmd::none;
  bool idling_ = false;             // the server said "+ idling" and DONE has not been sent
  bool exists_seen_ = false;        // an EXISTS came since the last search was sent
  std::string round_;               // why the current search runs: "search", "idle" or "poll"
  bool after_idle_exists_ = false;  // the current search follows an IDLE an EXISTS ended
  bool idle_refused_ = false;       // the server answered IDLE with NO or BAD
  bool noop_refused_ = false;       // the server answered NOOP with NO or BAD
  std::uint32_t from_uid_ = 0;      // with sent_after_select: the UIDNEXT the SELECT reported
  std::map<std::uint32_t, std::string> probes_;  // verified this round: UID -> header block
  std::vector<std::uint32_t> reports_;           // reports about the probe, every round
  std::vector<detail::ListEntry> listed_;        // the LIST's answer (at most kMaxListed)
  bool in_junk_ = false;                         // Junk is the mailbox selected (EXAMINEd)
  bool opening_ = false;    // Junk's first EXAMINE is done or under way, the watched SELECT not
  bool junk_news_ = false;  // Junk may hold something new
  std::uint32_t junk_uidnext_ = 0;  // Junk's UIDNEXT when last looked at
  std::uint32_t junk_from_ = 0;     // with sent_after_select: Junk's first UIDNEXT
  StatusFrom status_from_ = StatusFrom::start;
  // Without NOTIFY: how long the IDLE has been cut for STATUS polls since the last search.
  std::chrono::milliseconds status_idled_{0};
  std::string junk_round_;  // why the look into Junk runs, for its search
};

// imap.delete: SELECT (phase "select"), UID SEARCH for the token ("search"), the header FETCH
// that proves which hits are ours when no UIDs were given, and the FETCH of the text of those
// that may be delivery reports about the probe ("fetch"), UID STORE +FLAGS \Deleted
// ("store"), then UID EXPUNGE with UIDPLUS, or without it a plain EXPUNGE only when every other
// \Deleted message is one of mailcanary's own ("expunge"). Nothing is stored when the
// UIDVALIDITY seen in this session is not the one given.
struct DeleteConfig {
  std::string mailbox = "INBOX";
  std::string token;                // value of the X-Mailcanary-Token header to delete
  std::vector<std::uint32_t> uids;  // the UIDs imap.wait found (only these may be deleted)
  std::uint32_t uidvalidity = 0;    // the UIDVALIDITY imap.wait saw (0 = unknown)
  // Tokens of mailcanary's earlier probes (every pending one in the state directory). Without
  // UIDPLUS, a \Deleted message whose header carries one of them (verified in this session) is
  // mailcanary's, not the user's, so it does not stop the EXPUNGE.
  std::vector<std::string> own_tokens;
  // Find and verify, but neither flag nor expunge (a probe whose scenario keeps it).
  bool find_only = false;
};

struct DeleteOutcome {
  std::uint32_t uidvalidity = 0;
  std::string headers;  // without UIDs given: header block of the first verified message
  std::vector<std::uint32_t> deleted_uids;  // UIDs flagged \Deleted and expunged
  bool expunge_skipped = false;             // others' mail was \Deleted, so no EXPUNGE
  // own_tokens whose messages, already \Deleted, went with the plain EXPUNGE.
  std::vector<std::string> also_expunged;
  // Without UIDs given: the delivery reports about the probe among the messages deleted.
  std::vector<std::uint32_t> report_uids;
};

class Delete : public detail::Task {
 public:
  Delete(Link& link, DeleteConfig cfg);
  const DeleteOutcome& outcome() const { return outcome_; }

 private:
  enum class Cmd {
    none,
    select,
    search_token,
    fetch_headers,
    fetch_reports,
    store,
    uid_expunge,
    search_deleted,
    fetch_deleted,
    expunge,
  };
  Action begin() override;
  Action completed(const Response& r) override;
  std::optional<Action> data(const Response& r) override;

  Action after_select();
  Action after_search();
  Action after_fetch_headers();
  Action after_fetch_reports();
  Action store();
  Action after_store();
  Action search_deleted();
  Action after_search_deleted();
  Action fetch_deleted_batch();
  std::optional<Action> take_deleted_fetch(const Response& r);
  Action after_fetch_deleted();
  Action after_recheck();
  Action skip_expunge(const std::vector<std::uint32_t>& foreign);
  Action expunge();
  Action after_expunge();
  std::optional<Action> uidvalidity_changed();

  DeleteConfig cfg_;
  DeleteOutcome outcome_;
  detail::Finder finder_;
  Cmd cmd_ = Cmd::none;
  std::vector<std::uint32_t> target_;                 // the UIDs we flag and expunge
  std::vector<std::uint32_t> deleted_others_;         // \Deleted UIDs not in target_
  std::map<std::uint32_t, std::string> own_deleted_;  // of those: UID -> own token it carries
  std::size_t deleted_checked_ = 0;                   // of those: how many were checked so far
  bool recheck_ = false;  // the outstanding UID SEARCH DELETED is the one before the EXPUNGE
};

// imap.check, the "open my mailbox" experience: LIST "" "*" once (phase "list"), then for each
// mailbox in order SELECT it (phase "select:NAME") and FETCH the headers (DATE FROM SUBJECT, with
// UID and FLAGS, BODY.PEEK so nothing is marked seen) of the newest `fetch` messages (phase
// "fetch:NAME"; no FETCH when the mailbox is empty or fetch is 0). A mailbox the server refuses
// to SELECT (NO) fails as rejected with the server's reply, phase "select:NAME".
struct CheckConfig {
  std::vector<std::string> mailboxes = {"INBOX"};
  std::uint32_t fetch = 10;
};

struct MailboxView {
  std::string name;
  std::uint32_t exists = 0;   // messages in it, as SELECT said
  std::uint32_t fetched = 0;  // of the newest ones asked for, how many the FETCH returned
};

struct CheckOutcome {
  std::vector<std::string> listed;     // every mailbox the LIST returned (at most 1000)
  std::vector<MailboxView> mailboxes;  // the mailboxes selected, in order
};

class Check : public detail::Task {
 public:
  Check(Link& link, CheckConfig cfg);
  const CheckOutcome& outcome() const { return outcome_; }

 private:
  friend class Client;
  // Client's Mode::check as it always was: no LIST, phases "select" and "fetch".
  struct OneShot {};
  Check(Link& link, CheckConfig cfg, OneShot);

  enum class Cmd { none, list, select, fetch };
  Action begin() override;
  Action completed(const Response& r) override;
  Action refused(const Response& r) override;
  std::optional<Action> data(const Response& r) override;

  Action next_mailbox();
  Action fetch_newest();
  std::string phase_of(std::string_view what) const;  // "select:INBOX", or "select" (one-shot)

  CheckConfig cfg_;
  bool one_shot_ = false;
  CheckOutcome outcome_;
  Cmd cmd_ = Cmd::none;
  std::size_t next_ = 0;     // index in cfg_.mailboxes of the next mailbox to select
  std::string mailbox_;      // the one being selected or read
  std::uint32_t first_ = 0;  // the outstanding FETCH asks for first_:last_
  std::uint32_t last_ = 0;
  std::set<std::uint32_t> answered_;  // of those, the ones the server returned
  bool list_truncated_ = false;
};

// LOGOUT (phase "logout"), then done; the work was done before it, so a refused LOGOUT or a
// close during it is success too. No task may follow it on the link.
class Logout : public detail::Task {
 public:
  explicit Logout(Link& link);

 private:
  Action begin() override;
  Action completed(const Response& r) override;
  Action refused(const Response& r) override;
  std::optional<Action> bye(const Response& r) override;
  Action closed() override;
};

}  // namespace mc::proto::imap
