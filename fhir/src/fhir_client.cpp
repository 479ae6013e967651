#include "alemwatch/fhir/fhir_client.hpp"

#include <boost/json.hpp>
#include <boost/url.hpp>

#include <set>

namespace alemwatch::fhir {

namespace http = boost::beast::http;

std::string FhirError::describe() const {
  std::string out = method + " " + url + ": ";
  switch (kind) {
    case Kind::transport: out += transport.message(); break;
    case Kind::status: out += "HTTP " + std::to_string(status); break;
    case Kind::invalid_response: out += "invalid response"; break;
    case Kind::paging_loop: out += "paging loop"; break;
  }
  if (!detail.empty()) out += ": " + detail;
  return out;
}

std::string FhirResponse::version_id() const {
  // ETag: W/"3" -> 3
  const auto first = etag.find('"');
  const auto last = etag.rfind('"');
  if (first != std::string::npos && last > first) return etag.substr(first + 1, last - first - 1);
  if (const auto* meta = resource.if_contains("meta"))
    if (const auto* v = meta->is_object() ? meta->get_object().if_contains("versionId") : nullptr)
      if (v->is_string()) return std::string(v->get_string());
  return {};
}

std::string describe_operation_outcome(const boost::json::object& outcome) {
  std::string out;
  const auto* issues = outcome.if_contains("issue");
  if (!issues || !issues->is_array()) return out;
  for (const auto& i : issues->get_array()) {
    if (!i.is_object()) continue;
    const auto& o = i.get_object();
    std::string severity = o.contains("severity") && o.at("severity").is_string() ? std::string(o.at("severity").get_string()) : "issue";
    std::string text;
    if (const auto* d = o.if_contains("diagnostics"); d && d->is_string()) text = std::string(d->get_string());
    if (const auto* details = o.if_contains("details"); text.empty() && details && details->is_object())
      if (const auto* t = details->get_object().if_contains("text"); t && t->is_string()) text = std::string(t->get_string());
    if (const auto* c = o.if_contains("code"); text.empty() && c && c->is_string()) text = std::string(c->get_string());
    if (!out.empty()) out += "; ";
    out += severity + ": " + text;
  }
  return out;
}

FhirClient::FhirClient(std::string base, HttpClient& http) : base_(std::move(base)), http_(http) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

std::string FhirClient::encode(std::string_view value) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

FhirResult<FhirResponse> FhirClient::exchange(http::verb method, const std::string& url, const std::string& body,
                                              std::vector<HttpHeader> headers) {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.body = body;
  request.headers = std::move(headers);
  const std::string method_name(http::to_string(method));
  auto sent = http_.send(request);
  if (!sent)
    return FhirError{FhirError::Kind::transport, method_name, url, 0, sent.error(),
                     sent.error() == HttpError::authorization_failed ? http_.last_auth_error() : std::string()};
  FhirResponse response;
  response.status = sent->status;
  response.etag = sent->header("ETag");
  response.location = sent->header("Location");
  response.date = sent->header("Date");
  if (!sent->body.empty()) {
    boost::system::error_code ec;
    auto parsed = boost::json::parse(sent->body, ec);
    if (!ec && parsed.is_object()) {
      response.resource = std::move(parsed.get_object());
    } else if (sent->status < 300) {
      return FhirError{FhirError::Kind::invalid_response, method_name, url, sent->status, {},
                       ec ? "body is not valid JSON: " + ec.message() : "body is not a JSON object"};
    }
  }
  if (response.status >= 300) {
    std::string detail;
    const auto* type = response.resource.if_contains("resourceType");
    if (type && type->is_string() && type->get_string() == "OperationOutcome")
      detail = describe_operation_outcome(response.resource);
    return FhirError{FhirError::Kind::status, method_name, url, response.status, {}, detail};
  }
  return response;
}

FhirResult<FhirResponse> FhirClient::read(const std::string& type, const std::string& id) {
  return exchange(http::verb::get, base_ + "/" + type + "/" + encode(id), {});
}

FhirResult<FhirResponse> FhirClient::create(const std::string& type, const boost::json::object& resource) {
  return exchange(http::verb::post, base_ + "/" + type, boost::json::serialize(resource));
}

FhirResult<FhirResponse> FhirClient::update(const std::string& type, const std::string& id,
                                            const boost::json::object& resource, const std::string& if_match_version) {
  std::vector<HttpHeader> headers;
  if (!if_match_version.empty()) headers.push_back({"If-Match", "W/\"" + if_match_version + "\""});
  return exchange(http::verb::put, base_ + "/" + type + "/" + encode(id), boost::json::serialize(resource), std::move(headers));
}

FhirResult<FhirResponse> FhirClient::conditional_update(const std::string& type, const std::string& query,
                                                        const boost::json::object& resource) {
  return exchange(http::verb::put, base_ + "/" + type + "?" + query, boost::json::serialize(resource));
}

FhirResult<FhirResponse> FhirClient::transaction(const boost::json::object& bundle) {
  return exchange(http::verb::post, base_, boost::json::serialize(bundle));
}

FhirResult<std::size_t> FhirClient::search(const std::string& type, const std::string& query,
                                           const EntryCallback& on_entry, const OutcomeCallback& on_outcome) {
  return follow_pages(base_ + "/" + type + (query.empty() ? "" : "?" + query), on_entry, on_outcome);
}

namespace {

// A next link resolved against the page it came from: absolute links are used verbatim.
std::string resolve_link(const std::string& current, const std::string& link) {
  if (boost::urls::parse_absolute_uri(link)) return link;
  auto base = boost::urls::parse_uri(current);
  auto ref = boost::urls::parse_uri_reference(link);
  if (!base || !ref) return link;
  boost::urls::url resolved;
  if (boost::urls::resolve(*base, *ref, resolved)) return std::string(resolved.buffer());
  return link;
}

std::string next_link(const boost::json::object& bundle) {
  const auto* links = bundle.if_contains("link");
  if (!links || !links->is_array()) return {};
  for (const auto& l : links->get_array()) {
    if (!l.is_object()) continue;
    const auto* rel = l.get_object().if_contains("relation");
    const auto* url = l.get_object().if_contains("url");
    if (rel && rel->is_string() && rel->get_string() == "next" && url && url->is_string())
      return std::string(url->get_string());
  }
  return {};
}

}  // namespace

FhirResult<std::size_t> FhirClient::follow_pages(std::string url, const EntryCallback& on_entry,
                                                 const OutcomeCallback& on_outcome) {
  std::set<std::string> seen;
  std::size_t pages = 0;
  while (!url.empty()) {
    if (!seen.insert(url).second)
      return FhirError{FhirError::Kind::paging_loop, "GET", url, 0, {}, "the server's next link repeats a page already read"};
    auto page = exchange(http::verb::get, url, {});
    if (!page) return page.error();
    ++pages;
    const auto& bundle = page->resource;
    const auto* type = bundle.if_contains("resourceType");
    if (!type || !type->is_string() || type->get_string() != "Bundle")
      return FhirError{FhirError::Kind::invalid_response, "GET", url, page->status, {}, "a search did not return a Bundle"};
    if (const auto* entries = bundle.if_contains("entry"); entries && entries->is_array()) {
      for (const auto& e : entries->get_array()) {
        if (!e.is_object()) continue;
        const auto* res = e.get_object().if_contains("resource");
        if (!res || !res->is_object()) continue;
        const auto* search = e.get_object().if_contains("search");
        const auto* mode = search && search->is_object() ? search->get_object().if_contains("mode") : nullptr;
        const auto* rtype = res->get_object().if_contains("resourceType");
        const bool outcome = (mode && mode->is_string() && mode->get_string() == "outcome") ||
                             (rtype && rtype->is_string() && rtype->get_string() == "OperationOutcome");
        if (outcome) {
          if (on_outcome) on_outcome(describe_operation_outcome(res->get_object()));
          continue;
        }
        if (!on_entry(res->get_object())) return pages;
      }
    }
    const auto next = next_link(bundle);
    url = next.empty() ? std::string() : resolve_link(url, next);
  }
  return pages;
}

}  // namespace alemwatch::fhir
