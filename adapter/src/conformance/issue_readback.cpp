#include "alemwatch/adapter/conformance_readback.hpp"

#include <set>

#include "alemwatch/adapter/conformance_comparison.hpp"

namespace alemwatch::adapter {
namespace {

constexpr const char* page_size = "_count=200";

}  // namespace

fhir::FhirResult<std::vector<boost::json::object>> read_back_issues(fhir::FhirClient& server,
                                                                   const std::string& identifier_system,
                                                                   const std::vector<std::string>& patient_ids,
                                                                   const std::vector<std::string>& patient_references) {
  const std::set<std::string> wanted(patient_ids.begin(), patient_ids.end());
  std::vector<boost::json::object> out;
  std::set<std::string> seen;  // resource ids: the per-patient searches may overlap
  const auto keep = [&](const boost::json::object& issue) {
    const auto identifier = issue_identifier(issue, identifier_system);
    if (!identifier || !wanted.contains(identifier->substr(0, identifier->find('/')))) return true;
    const auto* id = issue.if_contains("id");
    if (id && id->is_string() && !seen.insert(std::string(id->get_string())).second) return true;
    out.push_back(issue);
    return true;
  };
  auto by_system =
      server.search("DetectedIssue", "identifier=" + fhir::FhirClient::encode(identifier_system + "|") + "&" + page_size, keep);
  if (by_system) return out;
  const auto& e = by_system.error();
  if (e.kind != fhir::FhirError::Kind::status || e.status != 400) return e;
  out.clear();
  seen.clear();
  for (const auto& reference : patient_references) {
    auto by_patient = server.search("DetectedIssue", "patient=" + fhir::FhirClient::encode(reference) + "&" + page_size, keep);
    if (!by_patient) return by_patient.error();
  }
  return out;
}

}  // namespace alemwatch::adapter
