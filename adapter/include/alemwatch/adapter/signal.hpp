// A safety signal episode found by a rule: what becomes one DetectedIssue.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "alemwatch/fhir/detected_issue.hpp"
#include "alemwatch/mappings/lab_result.hpp"

namespace alemwatch::adapter {

using Severity = fhir::IssueSeverity;

// The Observations of one analyte cited as evidence.
struct AnalyteEvidence {
  std::vector<const mappings::LabResult*> qualifying;  // results that met a criterion
  std::vector<const mappings::LabResult*> supporting;  // baselines and earlier results compared with

  void add_qualifying(const mappings::LabResult* r);
  void add_supporting(const mappings::LabResult* r);
};

struct Signal {
  std::string patient_id;
  std::string code;    // signal code, "itp"
  std::string anchor;  // "2026-03-02", "course-2025-01-27", a MedicationAdministration id, an overdue date
  Severity severity = Severity::low;
  std::string identified;                 // identifiedDateTime
  std::vector<std::string> implicated;    // MedicationAdministration ids, time order
  std::map<mappings::AnalyteId, AnalyteEvidence> evidence;  // ordered by analyte
  std::string detail;
  std::string category = "default";  // which ActCode of the signal's definition
  std::string snomed;                // which SNOMED coding of the definition; empty for none

  std::string identifier() const { return patient_id + "/" + code + "/" + anchor; }
};

}  // namespace alemwatch::adapter
