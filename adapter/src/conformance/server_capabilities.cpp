#include "alemwatch/adapter/conformance_capabilities.hpp"

#include <boost/json.hpp>

namespace alemwatch::adapter {
namespace {

const boost::json::array* array_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

void read_resource(const boost::json::object& resource, DetectedIssueCapabilities& out) {
  out.listed = true;
  if (const auto* interactions = array_at(resource, "interaction"))
    for (const auto& i : *interactions) {
      const auto* code = i.is_object() ? i.get_object().if_contains("code") : nullptr;
      if (!code || !code->is_string()) continue;
      if (code->get_string() == "create") out.create = true;
      if (code->get_string() == "update") out.update = true;
    }
  if (const auto* c = resource.if_contains("conditionalUpdate"); c && c->is_bool()) out.conditional_update = c->get_bool();
}

}  // namespace

DetectedIssueCapabilities read_detected_issue_capabilities(fhir::FhirClient& server) {
  DetectedIssueCapabilities out;
  fhir::HttpRequest request;
  request.url = server.base() + "/metadata";
  auto response = server.http().send(request);
  if (!response) {
    out.error = "GET " + request.url + ": " + response.error().message();
    return out;
  }
  if (response->status != 200) {
    out.error = "GET " + request.url + ": HTTP " + std::to_string(response->status);
    return out;
  }
  boost::system::error_code ec;
  auto body = boost::json::parse(response->body, ec);
  if (ec || !body.is_object() || !body.get_object().contains("rest")) {
    out.error = "GET " + request.url + ": not a CapabilityStatement";
    return out;
  }
  out.read = true;
  if (const auto* rest = array_at(body.get_object(), "rest"))
    for (const auto& r : *rest) {
      const auto* resources = r.is_object() ? array_at(r.get_object(), "resource") : nullptr;
      if (!resources) continue;
      for (const auto& res : *resources)
        if (res.is_object() && res.get_object().contains("type") && res.get_object().at("type") == "DetectedIssue")
          read_resource(res.get_object(), out);
    }
  return out;
}

}  // namespace alemwatch::adapter
