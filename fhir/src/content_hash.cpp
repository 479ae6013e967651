#include "alemwatch/fhir/content_hash.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace alemwatch::fhir {
namespace {

void canonical(const boost::json::value& v, std::string& out) {
  if (v.is_object()) {
    std::vector<std::pair<std::string_view, const boost::json::value*>> members;
    for (const auto& [k, x] : v.get_object()) members.emplace_back(k, &x);
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i) out += ',';
      out += boost::json::serialize(boost::json::value(members[i].first));
      out += ':';
      canonical(*members[i].second, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i) out += ',';
      canonical(a[i], out);
    }
    out += ']';
  } else {
    out += boost::json::serialize(v);
  }
}

}  // namespace

std::string content_hash(const boost::json::object& resource) {
  boost::json::object copy = resource;
  copy.erase("id");
  copy.erase("meta");
  copy.erase("text");
  std::string text;
  canonical(copy, text);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace alemwatch::fhir
