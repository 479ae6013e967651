#include "alemwatch/adapter/run_summary.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "alemwatch/adapter/log.hpp"

namespace alemwatch::adapter {

void RunSummary::report(fhir::DataProblem problem) {
  ++problems_total_[static_cast<int>(problem.severity)];
  const std::string where = problem.resource_type.empty() ? std::string("(file)") : problem.resource_type;
  ++problems_by_element_[fmt::format("{} {} [{}]", where, problem.path.empty() ? "-" : problem.path,
                                     fhir::to_string(problem.severity))];
  if (problems_.size() < kept_problems) problems_.push_back(std::move(problem));
}

void RunSummary::count_read(const std::string& type, std::size_t n) { resources_[type].read += n; }

void RunSummary::count_outcome(const std::string& type, const std::string& outcome, std::size_t n) {
  resources_[type].outcomes[outcome] += n;
}

void RunSummary::count_issue(const fhir::DetectedIssue& issue) {
  std::string code;
  for (const auto& c : issue.code)
    if (c.system != "http://terminology.hl7.org/CodeSystem/v3-ActCode" && c.system != "http://snomed.info/sct") code = c.code;
  ++issues_[code][fhir::to_string(issue.severity)];
}

std::size_t RunSummary::problem_count(fhir::ProblemSeverity s) const { return problems_total_[static_cast<int>(s)]; }

std::string RunSummary::text(std::size_t problem_lines, bool show_values) const {
  std::string out = "alemwatch run summary\n";
  if (reading.files_read + reading.files_failed + reading.files_skipped > 0)
    out += fmt::format("  files: {} read, {} unreadable, {} skipped (not .json/.ndjson); {} NDJSON lines unreadable\n",
                       reading.files_read, reading.files_failed, reading.files_skipped, reading.lines_failed);
  out += "  resources:\n";
  for (const auto& [type, counts] : resources_) {
    out += fmt::format("    {:<26} {:>8} read", type.empty() ? "(no resourceType)" : type, counts.read);
    for (const auto& [outcome, n] : counts.outcomes) out += fmt::format("; {} {}", n, outcome);
    out += "\n";
  }
  out += fmt::format("  patients exposed to alemtuzumab: {}\n", exposed_patients);
  out += fmt::format("  unit problems: {}; medications matched by text only: {}; unknown doses: {}\n", unit_problems,
                     text_matched_medications, unknown_doses);
  std::size_t total = 0;
  for (const auto& [code, by_severity] : issues_)
    for (const auto& [sev, n] : by_severity) total += n;
  out += fmt::format("  DetectedIssues: {}\n", total);
  for (const auto& [code, by_severity] : issues_) {
    out += fmt::format("    {:<28}", code);
    for (const auto& [sev, n] : by_severity) out += fmt::format(" {} {}", n, sev);
    out += "\n";
  }
  const std::size_t problems = problems_total_[0] + problems_total_[1] + problems_total_[2];
  out += fmt::format("  problems in the data: {} (fatal {}, error {}, warning {})\n", problems, problems_total_[0],
                     problems_total_[1], problems_total_[2]);
  for (const auto& [where, n] : problems_by_element_) out += fmt::format("    {:>6}  {}\n", n, where);
  for (std::size_t i = 0; i < problems_.size() && i < problem_lines; ++i) {
    fhir::DataProblem shown = problems_[i];
    if (!show_values) shown.reason = redact_quoted(shown.reason);
    out += fmt::format("  {}: {}\n", fhir::to_string(shown.severity), shown.describe());
  }
  if (problems > problem_lines) out += fmt::format("  ... {} more problems (all counted above)\n", problems - problem_lines);
  return out;
}

boost::json::object RunSummary::json(bool show_values) const {
  boost::json::object o;
  o["files"] = {{"read", reading.files_read}, {"unreadable", reading.files_failed}, {"skipped", reading.files_skipped},
                {"ndjson_lines_unreadable", reading.lines_failed}};
  boost::json::object resources;
  for (const auto& [type, counts] : resources_) {
    boost::json::object outcomes;
    for (const auto& [outcome, n] : counts.outcomes) outcomes[outcome] = n;
    resources[type.empty() ? "(no resourceType)" : type] = {{"read", counts.read}, {"outcomes", std::move(outcomes)}};
  }
  o["resources"] = std::move(resources);
  o["exposed_patients"] = exposed_patients;
  o["unit_problems"] = unit_problems;
  o["text_matched_medications"] = text_matched_medications;
  o["unknown_doses"] = unknown_doses;
  boost::json::object issues;
  std::size_t total = 0;
  for (const auto& [code, by_severity] : issues_) {
    boost::json::object sev;
    for (const auto& [s, n] : by_severity) {
      sev[s] = n;
      total += n;
    }
    issues[code] = std::move(sev);
  }
  o["detected_issues"] = {{"total", total}, {"by_signal", std::move(issues)}};
  boost::json::array problems;
  for (const auto& p : problems_) {
    boost::json::object j{{"severity", fhir::to_string(p.severity)}, {"file", p.where.file}};
    if (p.where.line) j["line"] = *p.where.line;
    if (p.where.entry) j["entry"] = *p.where.entry;
    if (p.where.nested_entry) j["nested_entry"] = *p.where.nested_entry;
    if (!p.resource_type.empty()) j["resourceType"] = p.resource_type;
    if (!p.resource_id.empty()) j["id"] = p.resource_id;
    if (!p.path.empty()) j["path"] = p.path;
    j["reason"] = show_values ? p.reason : redact_quoted(p.reason);
    problems.push_back(std::move(j));
  }
  o["problems"] = {{"fatal", problems_total_[0]}, {"error", problems_total_[1]}, {"warning", problems_total_[2]},
                   {"listed", std::move(problems)}};
  return o;
}

}  // namespace alemwatch::adapter
