#include "alemwatch/fhir/bulk_manifest.hpp"

#include "alemwatch/fhir/instant.hpp"

#include <boost/json.hpp>
#include <boost/url.hpp>

#include <cctype>

namespace alemwatch::fhir {

namespace json = boost::json;

std::string redacted_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) {
    // Not a URL at all: keep only what comes before anything that could be a query.
    return std::string(url.substr(0, url.find_first_of("?#")));
  }
  boost::urls::url shown = *parsed;
  shown.remove_query();
  shown.remove_fragment();
  shown.remove_userinfo();
  return std::string(shown.buffer());
}

namespace {

using Error = std::string;

// What went wrong, convertible to any of the results below (whose values could otherwise be
// built from a string too).
struct Failure {
  Error what;
  template <class T>
  operator boost::system::result<T, Error>() const {
    return {boost::system::in_place_error, what};
  }
};

bool is_resource_type_name(std::string_view s) {
  if (s.empty() || !std::isupper(static_cast<unsigned char>(s.front()))) return false;
  for (unsigned char c : s)
    if (!std::isalpha(c)) return false;
  return true;
}

bool is_absolute_http_url(std::string_view s) {
  auto parsed = boost::urls::parse_absolute_uri(s);
  return parsed && (parsed->scheme() == "http" || parsed->scheme() == "https") && parsed->has_authority() &&
         !parsed->host().empty();
}

boost::system::result<BulkFile, Error> parse_file(const json::value& item, const std::string& where) {
  if (!item.is_object()) return Failure{where + ": is not an object"};
  const auto& o = item.get_object();
  BulkFile file;
  const auto* type = o.if_contains("type");
  if (!type || !type->is_string()) return Failure{where + ".type: missing or not a string"};
  if (!is_resource_type_name(type->get_string()))
    return Failure{where + ".type: \"" + std::string(type->get_string()) + "\" is not a resource type name"};
  file.type = std::string(type->get_string());
  const auto* url = o.if_contains("url");
  if (!url || !url->is_string()) return Failure{where + ".url: missing or not a string"};
  if (!is_absolute_http_url(url->get_string()))
    return Failure{where + ".url: \"" + redacted_url(url->get_string()) + "\" is not an absolute http(s) URL"};
  file.url = std::string(url->get_string());
  if (const auto* count = o.if_contains("count")) {
    if (count->is_uint64()) {
      file.count = static_cast<std::size_t>(count->get_uint64());
    } else if (count->is_int64() && count->get_int64() >= 0) {
      file.count = static_cast<std::size_t>(count->get_int64());
    } else {
      return Failure{where + ".count: not a non-negative integer"};
    }
  }
  return file;
}

// An array of file items; `required` says whether it may be absent.
boost::system::result<std::vector<BulkFile>, Error> parse_files(const json::object& manifest, const char* field,
                                                                bool required) {
  std::vector<BulkFile> files;
  const auto* value = manifest.if_contains(field);
  if (!value) {
    if (required) return Failure{std::string(field) + ": missing"};
    return files;
  }
  if (!value->is_array()) return Failure{std::string(field) + ": not an array"};
  for (std::size_t i = 0; i < value->get_array().size(); ++i) {
    auto file = parse_file(value->get_array()[i], std::string(field) + "[" + std::to_string(i) + "]");
    if (!file) return Failure{file.error()};
    files.push_back(std::move(*file));
  }
  return files;
}

}  // namespace

boost::system::result<BulkManifest, std::string> parse_bulk_manifest(std::string_view body) {
  boost::system::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec) return Failure{"not valid JSON: " + ec.message()};
  if (!parsed.is_object()) return Failure{"not a JSON object"};
  const auto& o = parsed.get_object();
  BulkManifest manifest;

  const auto* time = o.if_contains("transactionTime");
  if (!time || !time->is_string()) return Failure{"transactionTime: missing or not a string"};
  const std::string_view text = time->get_string();
  if (text.find('T') == std::string_view::npos || !parse_fhir_datetime(text))
    return Failure{"transactionTime: \"" + std::string(text) + "\" is not a FHIR instant"};
  manifest.transaction_time = std::string(text);

  if (const auto* request = o.if_contains("request")) {
    if (!request->is_string()) return Failure{"request: not a string"};
    manifest.request = std::string(request->get_string());
  }
  if (const auto* token = o.if_contains("requiresAccessToken")) {
    if (!token->is_bool()) return Failure{"requiresAccessToken: not a boolean"};
    manifest.requires_access_token = token->get_bool();
  }

  auto output = parse_files(o, "output", true);
  if (!output) return Failure{output.error()};
  manifest.output = std::move(*output);
  auto error = parse_files(o, "error", false);
  if (!error) return Failure{error.error()};
  manifest.error = std::move(*error);
  auto deleted = parse_files(o, "deleted", false);
  if (!deleted) return Failure{deleted.error()};
  manifest.deleted = std::move(*deleted);
  return manifest;
}

}  // namespace alemwatch::fhir
