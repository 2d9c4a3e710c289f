#include "protocols/http/multistatus.hpp"

#include <expat.h>

#include <memory>

namespace mc::proto::http {
namespace {

// Expat gives a namespaced name as "URI NAME" (the separator chosen at creation).
constexpr char kSep = '\x01';

DavType split(const XML_Char* name) {
  const std::string_view n(name);
  const auto sep = n.rfind(kSep);
  if (sep == std::string_view::npos) return {"", std::string(n)};
  return {std::string(n.substr(0, sep)), std::string(n.substr(sep + 1))};
}

bool is_dav(const DavType& t, std::string_view name) {
  return t.ns == kDavNs && t.name == name;
}

// Where the reader is: the path of open elements, and what the current response collects.
struct Reader {
  XML_Parser parser = nullptr;
  Multistatus out;
  std::vector<DavType> path;
  DavResource current;
  std::vector<DavType> prop_types;  // of the propstat being read
  std::string prop_name;
  std::string status;
  std::string* text = nullptr;  // the element whose text is being collected
  bool in_response = false;

  void fail(std::string why) {
    if (!out.error) out.error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }

  // The element `depth` levels from the root, or nothing.
  const DavType* at(std::size_t depth) const {
    return depth < path.size() ? &path[depth] : nullptr;
  }

  void start(const XML_Char* name) {
    DavType t = split(name);
    path.push_back(t);
    const std::size_t d = path.size() - 1;
    if (path.size() > kMaxDavDepth) return fail("nested deeper than 64 elements");
    if (d == 0) {
      if (!is_dav(t, "multistatus"))
        return fail("the root element is {" + t.ns + "}" + t.name + ", not {DAV:}multistatus");
      return;
    }
    // multistatus / response / (href | propstat / (prop / (resourcetype / TYPE | displayname)
    // | status))
    if (d == 1 && is_dav(t, "response")) {
      if (out.responses.size() >= kMaxDavResponses)
        return fail("more than " + std::to_string(kMaxDavResponses) + " responses");
      in_response = true;
      current = {};
    } else if (!in_response) {
      return;
    } else if (d == 2 && is_dav(t, "href")) {
      current.href.clear();
      text = &current.href;
    } else if (d == 2 && is_dav(t, "propstat")) {
      prop_types.clear();
      prop_name.clear();
      status.clear();
    } else if (d == 3 && is_dav(*at(2), "propstat") && is_dav(t, "status")) {
      text = &status;
    } else if (d == 4 && is_dav(*at(3), "prop") && is_dav(t, "displayname")) {
      text = &prop_name;
    } else if (d == 5 && is_dav(*at(4), "resourcetype") && is_dav(*at(3), "prop")) {
      if (prop_types.size() < 64) prop_types.push_back(std::move(t));
    }
  }

  void end() {
    const std::size_t d = path.size() - 1;
    const DavType t = path.back();
    path.pop_back();
    text = nullptr;
    if (!in_response) return;
    if (d == 2 && is_dav(t, "propstat") && ok_status()) {
      for (auto& p : prop_types) current.types.push_back(std::move(p));
      if (!prop_name.empty()) current.displayname = prop_name;
    } else if (d == 1 && is_dav(t, "response")) {
      in_response = false;
      out.responses.push_back(std::move(current));
    }
  }

  // "HTTP/1.1 200 OK": a 2xx status says the properties beside it are the resource's.
  bool ok_status() const {
    const auto sp = status.find(' ');
    if (sp == std::string::npos || sp + 4 > status.size()) return false;
    return status[sp + 1] == '2' && std::isdigit(static_cast<unsigned char>(status[sp + 2])) &&
           std::isdigit(static_cast<unsigned char>(status[sp + 3]));
  }

  void chars(const XML_Char* s, int len) {
    if (text == nullptr) return;
    if (text->size() + static_cast<std::size_t>(len) > kMaxDavText)
      return fail("a text longer than " + std::to_string(kMaxDavText) + " bytes");
    text->append(s, static_cast<std::size_t>(len));
  }
};

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

Multistatus read_multistatus(std::string_view xml) {
  Reader r;
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreateNS(nullptr, kSep), XML_ParserFree);
  if (!parser) {
    r.out.error = "cannot create an XML parser";
    return r.out;
  }
  r.parser = parser.get();
  XML_SetUserData(r.parser, &r);
  XML_SetElementHandler(
      r.parser,
      [](void* u, const XML_Char* name, const XML_Char**) { static_cast<Reader*>(u)->start(name); },
      [](void* u, const XML_Char*) { static_cast<Reader*>(u)->end(); });
  XML_SetCharacterDataHandler(r.parser, [](void* u, const XML_Char* s, int len) {
    static_cast<Reader*>(u)->chars(s, len);
  });
  // A multistatus has no use for a DTD; entity definitions are how XML bombs are built.
  XML_SetStartDoctypeDeclHandler(
      r.parser, [](void* u, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        static_cast<Reader*>(u)->fail("a DOCTYPE is not allowed in a multistatus");
      });
  if (xml.size() > static_cast<std::size_t>(INT32_MAX)) {
    r.out.error = "too large";
    return r.out;
  }
  const auto status = XML_Parse(r.parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (status != XML_STATUS_OK && !r.out.error) {
    r.out.error = std::string("not well-formed XML (") +
                  XML_ErrorString(XML_GetErrorCode(r.parser)) + " at line " +
                  std::to_string(XML_GetCurrentLineNumber(r.parser)) + ")";
  }
  if (r.out.error) {
    r.out.responses.clear();
    return r.out;
  }
  for (auto& res : r.out.responses) {
    res.href = trimmed(res.href);
    res.displayname = trimmed(res.displayname);
  }
  return r.out;
}

std::optional<DavType> collection_type(std::string_view kind) {
  if (kind == "calendar") return DavType{std::string(kCalDavNs), "calendar"};
  if (kind == "addressbook") return DavType{std::string(kCardDavNs), "addressbook"};
  return std::nullopt;
}

std::vector<const DavResource*> resources_of(const Multistatus& m, const DavType& type) {
  std::vector<const DavResource*> out;
  for (const auto& r : m.responses)
    for (const auto& t : r.types)
      if (t == type) {
        out.push_back(&r);
        break;
      }
  return out;
}

}  // namespace mc::proto::http
