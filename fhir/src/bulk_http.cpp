#include "bulk_http.hpp"

#include "alemwatch/fhir/bulk_manifest.hpp"

#include <boost/json.hpp>
#include <boost/url.hpp>

#include <cctype>

namespace alemwatch::fhir::bulk {

std::string outcome_text(const std::string& body) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) return {};
  const auto* type = parsed.get_object().if_contains("resourceType");
  if (!type || !type->is_string() || type->get_string() != "OperationOutcome") return {};
  return describe_operation_outcome(parsed.get_object());
}

FhirError status_error(std::string method, std::string_view url, const HttpResponse& response, std::string context) {
  std::string detail = std::move(context);
  if (const auto text = outcome_text(response.body); !text.empty()) detail += (detail.empty() ? "" : ": ") + text;
  return FhirError{FhirError::Kind::status, std::move(method), redacted_url(url), response.status, {}, std::move(detail)};
}

FhirError transport_error(std::string method, std::string_view url, boost::system::error_code ec, const HttpClient& http,
                          std::string detail) {
  if (ec == HttpError::authorization_failed) detail += (detail.empty() ? "" : ": ") + http.last_auth_error();
  return FhirError{FhirError::Kind::transport, std::move(method), redacted_url(url), 0, ec, std::move(detail)};
}

std::string resolve_url(std::string_view base, std::string_view reference) {
  if (boost::urls::parse_absolute_uri(reference)) return std::string(reference);
  auto b = boost::urls::parse_uri(base);
  auto r = boost::urls::parse_uri_reference(reference);
  if (!b || !r) return std::string(reference);
  boost::urls::url resolved;
  if (boost::urls::resolve(*b, *r, resolved)) return std::string(resolved.buffer());
  return std::string(reference);
}

namespace {

struct Origin {
  std::string scheme, host, port;
  bool operator==(const Origin&) const = default;
};

std::optional<Origin> origin_of(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || !parsed->has_authority()) return std::nullopt;
  Origin o{std::string(parsed->scheme()), std::string(parsed->encoded_host()), std::string(parsed->port())};
  for (auto* s : {&o.scheme, &o.host})
    for (auto& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (o.port.empty()) o.port = o.scheme == "https" ? "443" : o.scheme == "http" ? "80" : "";
  return o;
}

}  // namespace

bool same_origin(std::string_view a, std::string_view b) {
  const auto oa = origin_of(a);
  const auto ob = origin_of(b);
  return oa && ob && *oa == *ob;
}

}  // namespace alemwatch::fhir::bulk
