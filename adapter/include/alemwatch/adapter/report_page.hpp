// The HTML report: one self-contained page (inline CSS, inline SVG, no script, no external
// resource) listing the signals by severity, then one section per exposed patient.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "alemwatch/adapter/patient_record.hpp"
#include "alemwatch/adapter/run_summary.hpp"
#include "alemwatch/fhir/detected_issue.hpp"
#include "alemwatch/fhir/instant.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

struct ReportHeader {
  fhir::Instant at;                         // the evaluation time
  std::optional<fhir::Instant> generated;   // shown only when --at was not given: keeps output deterministic
  std::vector<std::string> inputs;          // files, directories, or "state file F, server S"
};

// The page. `issues` are the DetectedIssues the evaluation produced (ordered by identifier),
// `patients` the records of every exposed patient (ordered by id), `summary` the run's account.
std::string render_report(const mappings::Mappings& m, const ReportHeader& header,
                          const std::vector<fhir::DetectedIssue>& issues,
                          const std::vector<const PatientRecord*>& patients, const RunSummary& summary);

// The patient id a DetectedIssue is about ("Patient/p1" -> "p1"; a reference made absolute keeps
// its last two segments' id).
std::string issue_patient_id(const fhir::DetectedIssue& issue);

}  // namespace alemwatch::adapter
