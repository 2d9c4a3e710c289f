// The LIST reader and the Junk choice of protocols/imap/list.hpp on server bytes. Input: one
// byte that picks the file's junk_mailbox and the watched mailbox, then the server's bytes, read
// by imap::ResponseReader into responses; each LIST response goes to parse_list.
//
// Asserts beyond "no crash":
// - an entry written back as a LIST response (flags, quoted delimiter, name as a literal) reads
//   back as the same entry;
// - every flag is one word with no space or parenthesis;
// - choose_junk never returns the watched mailbox; "special-use" is a listed selectable \Junk
//   entry and the first such; "file" is the file's name and only when no such entry was listed;
//   "name" is a listed selectable entry; nothing is returned only when no file name was given;
// - every response also goes to parse_status (the STATUS that NOTIFY or a poll sends): a
//   STATUS read is written back with its name as a literal and its UIDNEXT, and reads back the
//   same.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/imap.hpp"
#include "protocols/imap/list.hpp"
#include "tests/fuzz/harness.hpp"

namespace {

using mc::fuzz::check;
using mc::proto::LineBuffer;
namespace imap = mc::proto::imap;
using imap::detail::ListEntry;

constexpr std::array<std::string_view, 4> kFileNames = {"", "Junk", "inbox", "Quarantine"};
constexpr std::array<std::string_view, 4> kWatched = {"INBOX", "Junk", "inbox", "[Gmail]/Spam"};

std::string render(const ListEntry& e) {
  std::string text = "(";
  for (std::size_t i = 0; i < e.flags.size(); ++i) text += (i ? " " : "") + e.flags[i];
  text += ") ";
  if (e.delimiter == 0) {
    text += "NIL";
  } else {
    text += imap::quote_astring(std::string(1, e.delimiter));
  }
  return text + " {" + std::to_string(e.name.size()) + "}";
}

bool same(const ListEntry& a, const ListEntry& b) {
  return a.flags == b.flags && a.delimiter == b.delimiter && a.name == b.name;
}

bool selectable(const ListEntry& e) {
  return !e.has_flag("\\Noselect") && !e.has_flag("\\NonExistent");
}

void check_choice(const std::vector<ListEntry>& listed, std::string_view file,
                  std::string_view watched) {
  const auto c = imap::detail::choose_junk(listed, file, watched);
  const ListEntry* special = nullptr;
  for (const ListEntry& e : listed) {
    if (!special && selectable(e) && e.has_flag("\\Junk") &&
        !imap::detail::same_mailbox(e.name, watched))
      special = &e;
  }
  const bool file_usable = !file.empty() && !imap::detail::same_mailbox(file, watched);
  if (!c) {
    check(!special && !file_usable, "no choice although a \\Junk entry or a file name fits");
    return;
  }
  check(!imap::detail::same_mailbox(c->name, watched), "the watched mailbox chosen", c->name);
  if (c->how == "special-use") {
    check(special && special->name == c->name, "special-use is not the first \\Junk entry",
          c->name);
  } else if (c->how == "file") {
    check(!special && file_usable && c->name == file, "file chosen over a \\Junk entry", c->name);
  } else {
    check(c->how == "name", "an unknown how", c->how);
    check(!special && !file_usable, "name chosen over a \\Junk entry or the file", c->name);
    bool listed_selectable = false;
    for (const ListEntry& e : listed) listed_selectable |= e.name == c->name && selectable(e);
    check(listed_selectable, "name rule chose an entry not listed as selectable", c->name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view file = kFileNames[data[0] & 3];
  const std::string_view watched = kWatched[(data[0] >> 2) & 3];
  LineBuffer in;
  in.feed(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  imap::ResponseReader reader;
  std::vector<ListEntry> listed;
  for (;;) {
    imap::Response r;
    if (reader.next(in, r) != imap::ResponseReader::Status::complete) break;
    imap::detail::StatusData st;
    if (imap::detail::parse_status(r, st)) {
      imap::Response again;
      again.status = "STATUS";
      again.text = "{" + std::to_string(st.name.size()) + "} (MESSAGES 1 UIDNEXT " +
                   std::to_string(st.uidnext) + ")";
      again.literals = {st.name};
      imap::detail::StatusData back;
      check(imap::detail::parse_status(again, back) && back.name == st.name &&
                back.uidnext == st.uidnext,
            "a STATUS written back reads back otherwise", again.text);
    }
    ListEntry e;
    if (!imap::detail::parse_list(r, e)) continue;
    for (const std::string& f : e.flags) {
      check(!f.empty() && f.find_first_of(" ()") == std::string::npos, "a flag that is no word", f);
    }
    imap::Response again;
    again.status = "LIST";
    again.text = render(e);
    again.literals = {e.name};
    ListEntry back;
    check(imap::detail::parse_list(again, back) && same(e, back),
          "an entry written back reads back otherwise", again.text);
    listed.push_back(std::move(e));
  }
  check_choice(listed, file, watched);
  return 0;
}
