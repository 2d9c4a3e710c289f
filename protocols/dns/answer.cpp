#include "protocols/dns/answer.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <climits>

namespace mc::proto::dns {

namespace {

constexpr std::size_t kHeaderSize = 12;

Answer failed(Status status, std::string error) {
  Answer a;
  a.status = status;
  a.error = std::move(error);
  return a;
}

// c-ares' own parsers say ENODATA for a NOERROR reply without records of the type (NODATA);
// anything else they refuse is a malformed reply.
Answer parser_error(int rc) {
  if (rc == ARES_ENODATA) return failed(Status::nodata, "no records of the type asked for");
  return failed(Status::error, std::string("malformed reply: ") + ares_strerror(rc));
}

// A host name an MX record may name (RFC 1123 2.1, with '_' as some zones have it): labels of
// letters, digits, '-' and '_', 1..63 each, at most 253 in all. c-ares writes any other byte of a
// label escaped ("\.", "\000"), which no lookup could use; the root ("", RFC 7505's null MX)
// passes.
bool host_name(const std::string& host) {
  if (host.empty()) return true;
  if (host.size() > 253) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

void read_addresses(hostent* host, int family, Answer& out) {
  char text[INET6_ADDRSTRLEN];
  for (char** p = host->h_addr_list; p != nullptr && *p != nullptr; ++p) {
    if (::inet_ntop(family, *p, text, sizeof text) != nullptr) out.addresses.emplace_back(text);
  }
}

Answer parse_noerror(Type type, const unsigned char* data, int len) {
  Answer a;
  a.status = Status::ok;
  switch (type) {
    case Type::a:
    case Type::aaaa: {
      hostent* host = nullptr;
      const int rc = type == Type::a ? ares_parse_a_reply(data, len, &host, nullptr, nullptr)
                                     : ares_parse_aaaa_reply(data, len, &host, nullptr, nullptr);
      if (rc != ARES_SUCCESS) return parser_error(rc);
      read_addresses(host, type == Type::a ? AF_INET : AF_INET6, a);
      ares_free_hostent(host);
      break;
    }
    case Type::mx: {
      ares_mx_reply* mx = nullptr;
      const int rc = ares_parse_mx_reply(data, len, &mx);
      if (rc != ARES_SUCCESS) return parser_error(rc);
      std::string invalid;
      for (const ares_mx_reply* r = mx; r != nullptr; r = r->next) {
        std::string host = r->host != nullptr ? r->host : "";
        if (!host.empty() && host.back() == '.') host.pop_back();
        // Skipped, as an MTA skips it: a name no lookup can use is no host to deliver to.
        if (!host_name(host)) {
          if (invalid.empty()) invalid = host.substr(0, 64);
          continue;
        }
        a.mx.push_back(Mx{r->priority, std::move(host)});
      }
      ares_free_data(mx);
      if (a.mx.empty() && !invalid.empty())
        return failed(Status::error, "malformed reply: no MX record names a valid host name (\"" +
                                         invalid + "\")");
      break;
    }
    case Type::txt: {
      ares_txt_ext* txt = nullptr;
      const int rc = ares_parse_txt_reply_ext(data, len, &txt);
      if (rc != ARES_SUCCESS) return parser_error(rc);
      // A record of several strings arrives as one entry per string, the first marked.
      for (const ares_txt_ext* r = txt; r != nullptr; r = r->next) {
        if (r->record_start || a.txt.empty()) a.txt.emplace_back();
        a.txt.back().append(reinterpret_cast<const char*>(r->txt), r->length);
      }
      ares_free_data(txt);
      break;
    }
  }
  // A reply whose answers are all of other types (a CNAME alone) names no records.
  if (a.addresses.empty() && a.mx.empty() && a.txt.empty())
    return failed(Status::nodata, "no records of the type asked for");
  return a;
}

}  // namespace

Answer parse(Type type, const unsigned char* data, std::size_t size) {
  if (data == nullptr || size < kHeaderSize) return failed(Status::error, "reply too short");
  if (size > static_cast<std::size_t>(INT_MAX)) return failed(Status::error, "reply too long");
  if ((data[2] & 0x80) == 0) return failed(Status::error, "not a reply (QR bit clear)");
  const int rcode = data[3] & 0x0f;
  switch (rcode) {
    case 0:
      return parse_noerror(type, data, static_cast<int>(size));
    case 2:
      return failed(Status::servfail, "SERVFAIL");
    case 3:
      return failed(Status::nxdomain, "NXDOMAIN: the name does not exist");
    case 5:
      return failed(Status::refused, "REFUSED");
    default:
      return failed(Status::error, "the server answered rcode " + std::to_string(rcode));
  }
}

const char* to_string(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::nodata:
      return "nodata";
    case Status::nxdomain:
      return "nxdomain";
    case Status::servfail:
      return "servfail";
    case Status::refused:
      return "refused";
    case Status::timeout:
      return "timeout";
    case Status::error:
      return "error";
  }
  return "error";
}

const char* to_string(Type type) {
  switch (type) {
    case Type::a:
      return "A";
    case Type::aaaa:
      return "AAAA";
    case Type::mx:
      return "MX";
    case Type::txt:
      return "TXT";
  }
  return "A";
}

}  // namespace mc::proto::dns
