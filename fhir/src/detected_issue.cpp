#include "alemwatch/fhir/detected_issue.hpp"

#include <boost/json.hpp>

namespace alemwatch::fhir {

const char* to_string(IssueSeverity s) {
  switch (s) {
    case IssueSeverity::low: return "low";
    case IssueSeverity::moderate: return "moderate";
    case IssueSeverity::high: return "high";
  }
  return "low";
}

const char* to_string(IssueStatus s) {
  switch (s) {
    case IssueStatus::preliminary: return "preliminary";
    case IssueStatus::final: return "final";
    case IssueStatus::entered_in_error: return "entered-in-error";
  }
  return "preliminary";
}

namespace {

boost::json::object coding_json(const Coding& c) {
  boost::json::object o;
  if (!c.system.empty()) o["system"] = c.system;
  if (!c.code.empty()) o["code"] = c.code;
  if (!c.display.empty()) o["display"] = c.display;
  return o;
}

boost::json::object reference_json(const std::string& ref) { return {{"reference", ref}}; }

boost::json::array references_json(const std::vector<std::string>& refs) {
  boost::json::array a;
  for (const auto& r : refs) a.push_back(reference_json(r));
  return a;
}

}  // namespace

boost::json::object to_json(const DetectedIssue& issue) {
  boost::json::object o;
  o["resourceType"] = "DetectedIssue";
  o["meta"] = {{"tag", boost::json::array{coding_json(issue.tag)}}};
  o["identifier"] = boost::json::array{{{"system", issue.identifier_system}, {"value", issue.identifier_value}}};
  o["status"] = to_string(issue.status);
  boost::json::array codings;
  for (const auto& c : issue.code) codings.push_back(coding_json(c));
  boost::json::object code{{"coding", std::move(codings)}};
  if (!issue.code_text.empty()) code["text"] = issue.code_text;
  o["code"] = std::move(code);
  o["severity"] = to_string(issue.severity);
  o["patient"] = reference_json(issue.patient);
  if (!issue.identified.empty()) o["identifiedDateTime"] = issue.identified;
  if (!issue.author_reference.empty())
    o["author"] = reference_json(issue.author_reference);
  else if (!issue.author_display.empty())
    o["author"] = {{"display", issue.author_display}};
  if (!issue.implicated.empty()) o["implicated"] = references_json(issue.implicated);
  if (!issue.evidence.empty()) {
    boost::json::array evidence;
    for (const auto& e : issue.evidence) {
      boost::json::object entry{{"code", boost::json::array{{{"coding", boost::json::array{coding_json(e.code)}}}}}};
      if (!e.detail.empty()) entry["detail"] = references_json(e.detail);
      evidence.push_back(std::move(entry));
    }
    o["evidence"] = std::move(evidence);
  }
  if (!issue.detail.empty()) o["detail"] = issue.detail;
  if (!issue.mitigation.empty()) {
    boost::json::array mitigations;
    for (const auto& m : issue.mitigation)
      mitigations.push_back({{"action", {{"coding", boost::json::array{coding_json(m.action)}}}}, {"date", m.date}});
    o["mitigation"] = std::move(mitigations);
  }
  return o;
}

}  // namespace alemwatch::fhir
