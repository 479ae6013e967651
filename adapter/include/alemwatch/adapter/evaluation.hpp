// One offline evaluation: resources go in one at a time, DetectedIssues come out at the end.
//
// Only mapped facts are kept (infusions, laboratory results, which Medications are
// alemtuzumab), never the resources themselves. A resource read again under the same id
// replaces the earlier one, so an amended or entered-in-error version read later wins.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "alemwatch/adapter/issue_writer.hpp"
#include "alemwatch/adapter/patient_record.hpp"
#include "alemwatch/adapter/run_summary.hpp"
#include "alemwatch/fhir/detected_issue.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/mappings/administration_mapper.hpp"
#include "alemwatch/mappings/lab_result_mapper.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

class Evaluation {
 public:
  Evaluation(const mappings::Mappings& m, RunSummary& summary);

  void add(const fhir::ResourceInput& input);

  // Resolves Medication references, runs every rule for each exposed patient and returns the
  // DetectedIssues ordered by identifier.
  std::vector<fhir::DetectedIssue> finish(fhir::Instant at, const IssueWriterOptions& options);

  // After finish(): the record of an exposed patient, or null.
  const PatientRecord* record(const std::string& patient_id) const;

 private:
  struct PatientData {
    std::map<std::string, mappings::Administration> infusions;  // by MedicationAdministration id
    std::map<std::string, mappings::LabResult> results;         // by Observation id
  };
  struct PendingAdministration {
    mappings::MappedAdministration mapped;
    fhir::SourcePosition where;
    std::size_t sequence = 0;  // when it was read: only the latest version of an id counts
  };

  void add_observation(const fhir::ResourceInput& input);
  void add_administration(const fhir::ResourceInput& input);
  void add_medication(const fhir::ResourceInput& input);
  void record_administration(mappings::MappedAdministration& mapped);
  void forget(std::unordered_map<std::string, std::string>& owners, const std::string& id, bool observation);
  void resolve_pending();

  const mappings::Mappings& m_;
  RunSummary& summary_;
  mappings::LabResultMapper lab_mapper_;
  mappings::AdministrationMapper administration_mapper_;
  std::unordered_map<std::string, PatientData> patients_;
  std::unordered_map<std::string, std::string> observation_owner_;     // Observation id -> patient
  std::unordered_map<std::string, std::string> administration_owner_;  // MedicationAdministration id -> patient
  std::unordered_map<std::string, std::optional<mappings::ProductMatch>> medications_;  // Medication id -> match
  std::vector<PendingAdministration> pending_;
  std::size_t administrations_read_ = 0;
  std::unordered_map<std::string, std::size_t> latest_administration_;  // id -> sequence of its latest version
  std::map<std::string, PatientRecord> records_;  // exposed patients, built by finish()
};

}  // namespace alemwatch::adapter
