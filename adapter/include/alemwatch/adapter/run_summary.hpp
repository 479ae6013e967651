// The account of a run: every resource read ends in a counted outcome, every problem is kept
// (up to a limit) with where it was found, and the issues raised are counted by signal.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "alemwatch/fhir/data_problem.hpp"
#include "alemwatch/fhir/detected_issue.hpp"
#include "alemwatch/fhir/resource_reader.hpp"

namespace alemwatch::adapter {

struct ResourceTypeCounts {
  std::size_t read = 0;
  std::map<std::string, std::size_t> outcomes;  // "mapped", "not monitored", ... -> count
};

class RunSummary : public fhir::ProblemSink {
 public:
  static constexpr std::size_t kept_problems = 1000;

  void report(fhir::DataProblem problem) override;

  void count_read(const std::string& type, std::size_t n = 1);
  void count_outcome(const std::string& type, const std::string& outcome, std::size_t n = 1);
  void count_issue(const fhir::DetectedIssue& issue);

  std::size_t unit_problems = 0;
  std::size_t text_matched_medications = 0;
  std::size_t unknown_doses = 0;
  std::size_t exposed_patients = 0;
  fhir::ReadStats reading;

  const std::map<std::string, ResourceTypeCounts>& resources() const { return resources_; }
  const std::vector<fhir::DataProblem>& problems() const { return problems_; }
  std::size_t problem_count(fhir::ProblemSeverity s) const;

  // A readable account, for stderr. At most `problem_lines` problems are listed one by one.
  // Problem reasons quote what they found in a resource ('<5', a date, a display text): PHI, so
  // the quotes read '[redacted]' unless `show_values` (--log-phi; docs/logging.md).
  std::string text(std::size_t problem_lines = 50, bool show_values = false) const;
  boost::json::object json(bool show_values = false) const;

 private:
  std::map<std::string, ResourceTypeCounts> resources_;
  std::vector<fhir::DataProblem> problems_;
  std::size_t problems_total_[3] = {0, 0, 0};
  // "Observation valueQuantity.unit" -> count, for grouping problems by where they occur.
  std::map<std::string, std::size_t> problems_by_element_;
  std::map<std::string, std::map<std::string, std::size_t>> issues_;  // signal -> severity -> count
};

}  // namespace alemwatch::adapter
