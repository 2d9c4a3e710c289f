// Text for XML and HTML reporters: server replies and transcripts are arbitrary bytes, so they are
// made valid UTF-8 without the control characters XML 1.0 forbids, then escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mc::markup {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Valid UTF-8 out, whatever comes in: malformed sequences, overlong forms, surrogates, U+FFFE/F
// and control characters (C0 except tab, LF, CR; DEL; C1) become U+FFFD.
inline std::string sanitize(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (b < 0x80) {
      if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F)
        out += kReplacement;
      else
        out += static_cast<char>(b);
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07;
    }
    bool ok = len != 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(in[i + k]);
      if ((c & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (ok) {
      const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
      const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
      ok = !overlong && !surrogate && cp <= 0x10FFFF;
    }
    if (!ok) {
      out += kReplacement;
      ++i;  // malformed: one replacement per byte, then resynchronise on the next
      continue;
    }
    // Well-formed, but not a character XML 1.0 allows (or a C1 control): one replacement.
    if (cp == 0xFFFE || cp == 0xFFFF || (cp >= 0x80 && cp <= 0x9F))
      out += kReplacement;
    else
      out.append(in.substr(i, len));
    i += len;
  }
  return out;
}

// Escapes for element content and for double- or single-quoted attribute values, in XML and
// HTML alike. In attributes, tab, LF and CR become character references so that attribute value
// normalisation keeps them; in content, CR does (parsers turn a raw CR into LF).
inline std::string escape(std::string_view text, bool attribute = false) {
  const std::string clean = sanitize(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace mc::markup
