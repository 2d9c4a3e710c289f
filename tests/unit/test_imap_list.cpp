// The LIST reader on the answers of real servers (Dovecot, Gmail, Microsoft 365 and Exchange,
// Courier, Cyrus, Zimbra), the LIST command, and which mailbox is taken as the Junk folder.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "protocols/imap.hpp"
#include "protocols/imap/list.hpp"

namespace {

using mc::proto::LineBuffer;
using namespace mc::proto::imap;
using namespace mc::proto::imap::detail;

// The server's bytes as the client reads them: one response, literals and all.
Response response(const std::string& bytes) {
  LineBuffer in;
  in.feed(bytes);
  ResponseReader reader;
  Response r;
  REQUIRE(reader.next(in, r) == ResponseReader::Status::complete);
  return r;
}

std::optional<ListEntry> list(const std::string& bytes) {
  ListEntry e;
  if (!parse_list(response(bytes), e)) return std::nullopt;
  return e;
}

// The entries of a whole LIST answer, one response per line.
std::vector<ListEntry> listing(const std::vector<std::string>& lines) {
  std::vector<ListEntry> out;
  for (const std::string& line : lines) {
    const auto e = list(line + "\r\n");
    REQUIRE(e);
    out.push_back(*e);
  }
  return out;
}

using Flags = std::vector<std::string>;

}  // namespace

TEST_CASE("LIST: Dovecot 2.3 with special_use", "[imap][list]") {
  const auto inbox = list("* LIST (\\HasNoChildren) \"/\" INBOX\r\n");
  REQUIRE(inbox);
  CHECK(inbox->flags == Flags{"\\HasNoChildren"});
  CHECK(inbox->delimiter == '/');
  CHECK(inbox->name == "INBOX");
  CHECK_FALSE(inbox->has_flag("\\Junk"));

  const auto junk = list("* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n");
  REQUIRE(junk);
  CHECK(junk->flags == Flags{"\\HasNoChildren", "\\Junk"});
  CHECK(junk->name == "Junk");
  CHECK(junk->has_flag("\\Junk"));
  CHECK(junk->has_flag("\\jUNK"));
  CHECK_FALSE(junk->has_flag("Junk"));
}

TEST_CASE("LIST: Gmail's [Gmail] hierarchy", "[imap][list]") {
  const auto spam = list("* LIST (\\HasNoChildren \\Junk) \"/\" \"[Gmail]/Spam\"\r\n");
  REQUIRE(spam);
  CHECK(spam->name == "[Gmail]/Spam");
  CHECK(spam->has_flag("\\Junk"));
  const auto parent = list("* LIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"\r\n");
  REQUIRE(parent);
  CHECK(parent->name == "[Gmail]");
  CHECK(parent->has_flag("\\NOSELECT"));
  const auto all = list("* LIST (\\All \\HasNoChildren) \"/\" \"[Gmail]/All Mail\"\r\n");
  REQUIRE(all);
  CHECK(all->name == "[Gmail]/All Mail");
}

TEST_CASE("LIST: Microsoft 365 marks Junk Email, older Exchange does not", "[imap][list]") {
  const auto online = list("* LIST (\\HasNoChildren \\Junk) \"/\" \"Junk Email\"\r\n");
  REQUIRE(online);
  CHECK(online->name == "Junk Email");
  CHECK(online->has_flag("\\Junk"));
  const auto old = list("* LIST (\\HasNoChildren) \"/\" \"Junk E-mail\"\r\n");
  REQUIRE(old);
  CHECK(old->name == "Junk E-mail");
  CHECK(old->flags == Flags{"\\HasNoChildren"});
  const auto inbox = list("* LIST (\\Marked \\HasNoChildren) \"/\" INBOX\r\n");
  REQUIRE(inbox);
  CHECK(inbox->flags == Flags{"\\Marked", "\\HasNoChildren"});
}

TEST_CASE("LIST: Courier and Cyrus keep folders under INBOX with a dot", "[imap][list]") {
  const auto courier = list("* LIST (\\HasNoChildren) \".\" \"INBOX.Spam\"\r\n");
  REQUIRE(courier);
  CHECK(courier->delimiter == '.');
  CHECK(courier->name == "INBOX.Spam");
  const auto cyrus = list("* LIST (\\HasNoChildren) \".\" INBOX.Spam\r\n");
  REQUIRE(cyrus);
  CHECK(cyrus->name == "INBOX.Spam");
  const auto parent = list("* LIST (\\Unmarked \\HasChildren) \".\" \"INBOX\"\r\n");
  REQUIRE(parent);
  CHECK(parent->flags == Flags{"\\Unmarked", "\\HasChildren"});
}

TEST_CASE("LIST: Zimbra", "[imap][list]") {
  const auto junk = list("* LIST (\\HasNoChildren \\Junk) \"/\" \"Junk\"\r\n");
  REQUIRE(junk);
  CHECK(junk->name == "Junk");
  CHECK(junk->has_flag("\\Junk"));
}

TEST_CASE("LIST: a literal name, a NIL delimiter and no flags", "[imap][list]") {
  const auto lit = list("* LIST (\\HasNoChildren) \"/\" {12}\r\nSpam \"daily\"\r\n");
  REQUIRE(lit);
  CHECK(lit->name == "Spam \"daily\"");
  const auto nil = list("* LIST () NIL {5}\r\nEmpty\r\n");
  REQUIRE(nil);
  CHECK(nil->flags.empty());
  CHECK(nil->delimiter == 0);
  CHECK(nil->name == "Empty");
  const auto flat = list("* LIST (\\Noinferiors) nil INBOX\r\n");
  REQUIRE(flat);
  CHECK(flat->delimiter == 0);
  // The answer to LIST "" "": the hierarchy delimiter, with an empty name.
  const auto root = list("* LIST (\\Noselect) \"/\" \"\"\r\n");
  REQUIRE(root);
  CHECK(root->name.empty());
}

TEST_CASE("LIST: quoted names with escapes, modified UTF-7 kept as sent", "[imap][list]") {
  const auto sent = list("* LIST (\\Sent) \"/\" \"Sent \\\"old\\\"\"\r\n");
  REQUIRE(sent);
  CHECK(sent->name == "Sent \"old\"");
  const auto backslash = list("* LIST () \"\\\\\" \"Mail\\\\Spam\"\r\n");
  REQUIRE(backslash);
  CHECK(backslash->delimiter == '\\');
  CHECK(backslash->name == "Mail\\Spam");
  const auto utf7 = list("* LIST (\\HasNoChildren \\Drafts) \"/\" \"Entw&APw-rfe\"\r\n");
  REQUIRE(utf7);
  CHECK(utf7->name == "Entw&APw-rfe");
}

TEST_CASE("LIST: RFC 5258 extended data after the name is ignored", "[imap][list]") {
  const auto child = list("* LIST () \"/\" \"Foo\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n");
  REQUIRE(child);
  CHECK(child->name == "Foo");
  const auto renamed = list("* LIST (\\Junk) \"/\" Spam (\"OLDNAME\" (\"Junk\"))\r\n");
  REQUIRE(renamed);
  CHECK(renamed->name == "Spam");
  CHECK(renamed->has_flag("\\Junk"));
  const auto with_literals = list("* LIST () \"/\" {4}\r\nJunk (\"OLDNAME\" ({4}\r\nSpam))\r\n");
  REQUIRE(with_literals);
  CHECK(with_literals->name == "Junk");
  CHECK(list("* LIST () \"/\" Foo ()\r\n"));
}

TEST_CASE("LIST: malformed answers are false", "[imap][list]") {
  const std::vector<std::string> bad = {
      "* LIST\r\n",
      "* LIST \r\n",
      "* LIST (\\Noselect \"/\" INBOX\r\n",
      "* LIST \\Noselect \"/\" INBOX\r\n",
      "* LIST (\\Noselect (x)) \"/\" INBOX\r\n",
      "* LIST (\\) \"/\" INBOX\r\n",
      "* LIST ( \\Junk) \"/\" Junk\r\n",
      "* LIST (\\Junk) \"/\"\r\n",
      "* LIST (\\Junk) \"/\" \r\n",
      "* LIST (\\Junk) \"//\" Junk\r\n",
      "* LIST (\\Junk) \"\" Junk\r\n",
      "* LIST (\\Junk) / Junk\r\n",
      "* LIST (\\Junk) NILL Junk\r\n",
      "* LIST (\\Junk) \"/\" Junk extra\r\n",
      "* LIST (\\Junk) \"/\" \"Junk\"x\r\n",
      "* LIST (\\Junk) \"/\" \"unterminated\r\n",
      "* LIST (\\Junk) \"/\" \"bad \\escape\"\r\n",
      "* LIST (\\Junk) \"/\" Junk (CHILDINFO (\"SUBSCRIBED\")\r\n",
      "* LIST (\\Junk) \"/\" Junk (\"unterminated)\r\n",
      "* LIST (\\Junk) \"/\" {3}\r\nJunk\r\n",
      "* LIST (\\Junk) \"/\" {x}\r\n",
      "* LIST (\\Junk) \"/\" Junk {4}\r\nSpam\r\n",
      "* LIST (\\Junk) \"/\" Ju(nk\r\n",
  };
  for (const std::string& bytes : bad) {
    INFO(bytes);
    ListEntry e;
    CHECK_FALSE(parse_list(response(bytes), e));
  }
  ListEntry e;
  CHECK_FALSE(parse_list(response("* LSUB () \"/\" INBOX\r\n"), e));
  CHECK_FALSE(parse_list(response("a1 OK LIST done\r\n"), e));
  Response numbered = response("* LIST () \"/\" INBOX\r\n");
  numbered.numbered = true;
  CHECK_FALSE(parse_list(numbered, e));
  // The literal marker without its payload, as a caller might build it by hand.
  Response missing;
  missing.status = "LIST";
  missing.text = "() \"/\" {4}";
  CHECK_FALSE(parse_list(missing, e));
  // Extended data nested beyond the bound ends the parse instead of the stack.
  Response deep;
  deep.status = "LIST";
  deep.text = "() \"/\" Junk " + std::string(10000, '(') + std::string(10000, ')');
  CHECK_FALSE(parse_list(deep, e));
  Response nul;
  nul.status = "LIST";
  nul.text = std::string("() \"/\" \"a\0b\"", 12);
  CHECK_FALSE(parse_list(nul, e));
}

TEST_CASE("list_command asks for SPECIAL-USE flags only where offered", "[imap][list]") {
  const std::vector<std::string> caps = {"IMAP4rev1", "SPECIAL-USE"};
  const auto plain = list_command(CommandBuilder("a3", caps), false);
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].bytes == "a3 LIST \"\" \"*\"\r\n");
  CHECK(plain[0].shown == "a3 LIST \"\" \"*\"");
  const auto special = list_command(CommandBuilder("a4", caps), true);
  REQUIRE(special.size() == 1);
  CHECK(special[0].bytes == "a4 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n");
}

TEST_CASE("choose_junk: SPECIAL-USE beats the file's name beats common names", "[imap][list]") {
  const auto dovecot =
      listing({"* LIST (\\HasNoChildren) \"/\" INBOX", "* LIST (\\HasNoChildren) \"/\" Spam",
               "* LIST (\\HasNoChildren \\Junk) \"/\" Junk"});
  auto c = choose_junk(dovecot, "Quarantine", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "Junk");
  CHECK(c->how == "special-use");

  const auto old_exchange = listing({"* LIST (\\Marked \\HasNoChildren) \"/\" INBOX",
                                     "* LIST (\\HasNoChildren) \"/\" \"Junk E-mail\""});
  // The file's name is taken even when it was not listed.
  c = choose_junk(old_exchange, "Quarantine", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "Quarantine");
  CHECK(c->how == "file");
  c = choose_junk(old_exchange, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "Junk E-mail");
  CHECK(c->how == "name");
}

TEST_CASE("choose_junk on real listings", "[imap][list]") {
  const auto gmail = listing({"* LIST (\\HasNoChildren) \"/\" \"INBOX\"",
                              "* LIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"",
                              "* LIST (\\All \\HasNoChildren) \"/\" \"[Gmail]/All Mail\"",
                              "* LIST (\\HasNoChildren \\Junk) \"/\" \"[Gmail]/Spam\"",
                              "* LIST (\\HasNoChildren \\Trash) \"/\" \"[Gmail]/Trash\""});
  auto c = choose_junk(gmail, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "[Gmail]/Spam");
  CHECK(c->how == "special-use");

  // Gmail without the flags (XLIST-era servers): the name rule still finds it.
  const auto gmail_plain = listing({"* LIST (\\HasChildren \\Noselect) \"/\" \"[Gmail]\"",
                                    "* LIST (\\HasNoChildren) \"/\" \"[Gmail]/spam\""});
  c = choose_junk(gmail_plain, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "[Gmail]/spam");
  CHECK(c->how == "name");

  const auto online = listing({"* LIST (\\HasNoChildren) \"/\" Archive",
                               "* LIST (\\Marked \\HasNoChildren) \"/\" INBOX",
                               "* LIST (\\HasNoChildren \\Junk) \"/\" \"Junk Email\""});
  c = choose_junk(online, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "Junk Email");

  const auto courier = listing({"* LIST (\\Unmarked \\HasChildren) \".\" \"INBOX\"",
                                "* LIST (\\HasNoChildren) \".\" \"INBOX.Sent\"",
                                "* LIST (\\HasNoChildren) \".\" \"INBOX.Spam\""});
  c = choose_junk(courier, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "INBOX.Spam");
  CHECK(c->how == "name");

  const auto cyrus_slash =
      listing({"* LIST (\\HasChildren) \"/\" INBOX", "* LIST (\\HasNoChildren) \"/\" INBOX/Junk"});
  c = choose_junk(cyrus_slash, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "INBOX/Junk");

  const auto zimbra = listing(
      {"* LIST (\\HasNoChildren) \"/\" \"INBOX\"", "* LIST (\\HasNoChildren) \"/\" \"Junk\""});
  c = choose_junk(zimbra, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "Junk");

  const auto yahoo = listing(
      {"* LIST (\\HasNoChildren) \"/\" \"Inbox\"", "* LIST (\\HasNoChildren) \"/\" \"Bulk Mail\""});
  c = choose_junk(yahoo, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "Bulk Mail");
}

TEST_CASE("choose_junk skips \\Noselect, the watched mailbox and non-matching names",
          "[imap][list]") {
  const auto listed =
      listing({"* LIST (\\Noselect \\Junk) \"/\" Junk", "* LIST (\\NonExistent \\Junk) \"/\" Spam",
               "* LIST (\\HasNoChildren \\Junk) \"/\" INBOX",
               "* LIST (\\Noselect) \"/\" \"Junk E-mail\"", "* LIST () \"/\" \"Junk Mail\"",
               "* LIST () \"/\" \"Archive/Spam\"", "* LIST () \".\" \"INBOX.Archive.Spam\"",
               "* LIST () NIL \"INBOX.Spam\"", "* LIST () \"/\" \"Spamfilter\""});
  CHECK_FALSE(choose_junk(listed, "", "inbox"));
  CHECK_FALSE(choose_junk({}, "", "INBOX"));

  // Watching a Junk folder itself: another one is chosen, never the watched one.
  const auto two = listing({"* LIST (\\Junk) \"/\" Junk", "* LIST () \"/\" Spam"});
  auto c = choose_junk(two, "", "Junk");
  REQUIRE(c);
  CHECK(c->name == "Spam");
  CHECK(c->how == "name");
  // Names other than INBOX compare exactly.
  c = choose_junk(two, "", "junk");
  REQUIRE(c);
  CHECK(c->name == "Junk");
  // A file naming the watched mailbox counts as not given.
  c = choose_junk(two, "Junk", "Junk");
  REQUIRE(c);
  CHECK(c->name == "Spam");
  CHECK_FALSE(choose_junk(listing({"* LIST () \"/\" INBOX"}), "inbox", "INBOX"));
}

TEST_CASE("choose_junk: common names match in any letter case, in listing order", "[imap][list]") {
  const auto listed =
      listing({"* LIST () \"/\" INBOX", "* LIST () \"/\" SPAM", "* LIST () \"/\" junk"});
  const auto c = choose_junk(listed, "", "INBOX");
  REQUIRE(c);
  CHECK(c->name == "SPAM");
  CHECK(c->how == "name");
  const auto under_inbox = listing({"* LIST () \".\" \"inbox.junk e-mail\""});
  const auto d = choose_junk(under_inbox, "", "INBOX");
  REQUIRE(d);
  CHECK(d->name == "inbox.junk e-mail");
}

TEST_CASE("same_mailbox: INBOX in any case, other names exactly", "[imap][list]") {
  CHECK(same_mailbox("INBOX", "inbox"));
  CHECK(same_mailbox("Junk", "Junk"));
  CHECK_FALSE(same_mailbox("Junk", "junk"));
  CHECK_FALSE(same_mailbox("INBOX.Junk", "inbox.Junk"));
}
