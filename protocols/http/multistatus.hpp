// A WebDAV multistatus (RFC 4918 §13) as CalDAV and CardDAV servers answer PROPFIND and REPORT:
// each response's href, and the resource types and display name its successful propstat gives.
// Read with Expat, namespaces resolved, no DTD: a calendar is a resourcetype element
// {urn:ietf:params:xml:ns:caldav}calendar, whatever prefix the server chose.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc::proto::http {

inline constexpr std::size_t kMaxDavResponses = 10000;
inline constexpr std::size_t kMaxDavText = 8192;  // an href, a status line, a display name
inline constexpr std::size_t kMaxDavDepth = 64;

inline constexpr std::string_view kDavNs = "DAV:";
inline constexpr std::string_view kCalDavNs = "urn:ietf:params:xml:ns:caldav";
inline constexpr std::string_view kCardDavNs = "urn:ietf:params:xml:ns:carddav";

struct DavType {
  std::string ns;  // "DAV:", "urn:ietf:params:xml:ns:caldav", "" without a namespace
  std::string name;
  bool operator==(const DavType&) const = default;
};

struct DavResource {
  std::string href;
  std::vector<DavType> types;  // of the propstats whose status is 2xx
  std::string displayname;
};

struct Multistatus {
  std::vector<DavResource> responses;
  std::optional<std::string> error;  // not well-formed, not a multistatus, over a limit
};

Multistatus read_multistatus(std::string_view xml);

// The collection kinds an expectation names: "calendar" (CalDAV) and "addressbook" (CardDAV).
std::optional<DavType> collection_type(std::string_view kind);

// The resources that are of `type`.
std::vector<const DavResource*> resources_of(const Multistatus& m, const DavType& type);

}  // namespace mc::proto::http
