// Reading what the rules need from an EHR's FHIR API: who was given alemtuzumab, and each such
// patient's administrations, Medications and monitored laboratory results.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

struct PulledPatient {
  std::string id;
  std::vector<boost::json::object> resources;  // MedicationAdministrations, Medications, Observations
};

struct PullSettings {
  int page_size = 200;
  bool require_category = false;
};

class PatientPull {
 public:
  // `on_warning` receives the OperationOutcome texts servers put inside search results.
  PatientPull(fhir::FhirClient& client, const mappings::Mappings& m, PullSettings settings,
              std::function<void(const std::string&)> on_warning);

  // Patients with an alemtuzumab MedicationAdministration: by code, through Medications carrying
  // the codes, and by name (code:text) for uncoded medications. With `since`, only
  // administrations (and Medications) changed since then (_lastUpdated=ge).
  fhir::FhirResult<std::set<std::string>> exposed_patients(const std::optional<std::string>& since);
  // Patients with a monitored laboratory result changed since `since`.
  fhir::FhirResult<std::set<std::string>> patients_with_changed_results(const std::string& since);
  // The members of a Group (Patient references).
  fhir::FhirResult<std::vector<std::string>> group_members(const std::string& group_id);
  // Everything one patient's evaluation needs. Safe to call from several threads.
  fhir::FhirResult<PulledPatient> fetch(const std::string& patient_id);

 private:
  fhir::FhirResult<std::size_t> search(const std::string& type, const std::string& query,
                                       const fhir::FhirClient::EntryCallback& on_entry);
  std::string code_list() const;     // "system|code,system|code" of alemtuzumab, encoded
  std::string analyte_codes() const; // LOINC codes of every analyte, encoded
  std::string paging() const { return "_count=" + std::to_string(settings_.page_size); }
  std::optional<boost::json::object> medication(const std::string& id, fhir::FhirError& error, bool& failed);

  fhir::FhirClient& client_;
  const mappings::Mappings& m_;
  PullSettings settings_;
  std::function<void(const std::string&)> on_warning_;
  std::mutex medications_mutex_;
  std::map<std::string, std::optional<boost::json::object>> medications_;  // fetched this run
};

}  // namespace alemwatch::adapter
