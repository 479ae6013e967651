#include "alemwatch/adapter/issue_writer.hpp"

#include <algorithm>

namespace alemwatch::adapter {

fhir::DetectedIssue write_issue(const Signal& s, const mappings::Mappings& m, const IssueWriterOptions& options) {
  const auto& def = m.signals.get(s.code);
  const auto ref = [&](const char* type, const std::string& id) { return options.reference_base + type + "/" + id; };
  fhir::DetectedIssue issue;
  issue.tag = {"urn:alemwatch", "generated", {}};
  issue.identifier_system = m.signals.identifier_system();
  issue.identifier_value = s.identifier();
  if (const auto* category = def.category(s.category)) issue.code.push_back(*category);
  issue.code.push_back({m.signals.signal_system(), s.code, def.display});
  if (!s.snomed.empty())
    if (const auto* snomed = def.snomed_coding(s.snomed)) issue.code.push_back(*snomed);
  issue.code_text = def.text;
  issue.severity = s.severity;
  issue.patient = ref("Patient", s.patient_id);
  issue.identified = s.identified;
  issue.author_reference = options.author_device;
  issue.author_display = options.author_display;
  for (const auto& id : s.implicated) issue.implicated.push_back(ref("MedicationAdministration", id));
  for (const auto& [analyte_id, e] : s.evidence) {
    const auto& analyte = m.analytes.all()[analyte_id];
    fhir::DetectedIssueEvidence entry;
    entry.code = {std::string(fhir::loinc_system), analyte.loinc.front(), analyte.display};
    for (const auto* r : e.qualifying) entry.detail.push_back(ref("Observation", r->observation_id));
    for (const auto* r : e.supporting) {
      auto reference = ref("Observation", r->observation_id);
      if (std::find(entry.detail.begin(), entry.detail.end(), reference) == entry.detail.end())
        entry.detail.push_back(std::move(reference));
    }
    issue.evidence.push_back(std::move(entry));
  }
  issue.detail = s.detail;
  return issue;
}

}  // namespace alemwatch::adapter
