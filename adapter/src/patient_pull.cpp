#include "alemwatch/adapter/patient_pull.hpp"

#include <boost/json.hpp>

#include "alemwatch/fhir/datatypes.hpp"
#include "alemwatch/mappings/lab_result_mapper.hpp"

namespace alemwatch::adapter {

using fhir::FhirClient;
using fhir::FhirResult;

PatientPull::PatientPull(FhirClient& client, const mappings::Mappings& m, PullSettings settings,
                         std::function<void(const std::string&)> on_warning)
    : client_(client), m_(m), settings_(settings), on_warning_(std::move(on_warning)) {}

FhirResult<std::size_t> PatientPull::search(const std::string& type, const std::string& query,
                                            const FhirClient::EntryCallback& on_entry) {
  return client_.search(type, query, on_entry, [&](const std::string& text) {
    if (on_warning_) on_warning_("search " + type + ": server said: " + text);
  });
}

std::string PatientPull::code_list() const {
  std::string out;
  for (const auto& [system, code] : m_.medications.codes()) {
    if (!out.empty()) out += ",";
    out += FhirClient::encode(system + "|" + code);
  }
  return out;
}

std::string PatientPull::analyte_codes() const {
  std::string out;
  for (const auto& token : m_.analytes.loinc_tokens()) {
    if (!out.empty()) out += ",";
    out += FhirClient::encode(token);
  }
  return out;
}

namespace {

std::string since_filter(const std::optional<std::string>& since) {
  return since ? "&_lastUpdated=ge" + FhirClient::encode(*since) : std::string();
}

}  // namespace

FhirResult<std::set<std::string>> PatientPull::exposed_patients(const std::optional<std::string>& since) {
  std::set<std::string> patients;
  const auto collect = [&](const boost::json::object& r) {
    if (auto p = mappings::subject_patient_id(r)) patients.insert(*p);
    return true;
  };
  // 1. Administrations coded as alemtuzumab.
  if (auto r = search("MedicationAdministration", "code=" + code_list() + since_filter(since) + "&" + paging(), collect); !r)
    return r.error();
  // 2. Medications coded as alemtuzumab, then the administrations that reference them.
  std::vector<std::string> medication_ids;
  if (auto r = search("Medication", "code=" + code_list() + since_filter(std::nullopt) + "&" + paging(),
                      [&](const boost::json::object& med) {
                        if (const auto* id = med.if_contains("id"); id && id->is_string())
                          medication_ids.emplace_back(id->get_string());
                        return true;
                      });
      !r)
    return r.error();
  for (std::size_t i = 0; i < medication_ids.size(); i += 50) {
    std::string refs;
    for (std::size_t k = i; k < medication_ids.size() && k < i + 50; ++k)
      refs += (refs.empty() ? "" : ",") + FhirClient::encode("Medication/" + medication_ids[k]);
    if (auto r = search("MedicationAdministration", "medication=" + refs + since_filter(since) + "&" + paging(), collect); !r)
      return r.error();
  }
  // 3. Uncoded medications, by name.
  for (const auto& name : m_.medications.names())
    if (auto r = search("MedicationAdministration", "code:text=" + FhirClient::encode(name) + since_filter(since) + "&" + paging(), collect);
        !r)
      return r.error();
  return patients;
}

FhirResult<std::set<std::string>> PatientPull::patients_with_changed_results(const std::string& since) {
  std::set<std::string> patients;
  std::string query = "code=" + analyte_codes() + since_filter(since) + "&" + paging();
  if (settings_.require_category) query += "&category=laboratory";
  if (auto r = search("Observation", query, [&](const boost::json::object& obs) {
        if (auto p = mappings::subject_patient_id(obs)) patients.insert(*p);
        return true;
      });
      !r)
    return r.error();
  return patients;
}

FhirResult<std::vector<std::string>> PatientPull::group_members(const std::string& group_id) {
  auto group = client_.read("Group", group_id);
  if (!group) return group.error();
  std::vector<std::string> out;
  if (const auto* members = group->resource.if_contains("member"); members && members->is_array())
    for (const auto& m : members->get_array()) {
      if (!m.is_object()) continue;
      const auto* entity = m.get_object().if_contains("entity");
      if (!entity || !entity->is_object()) continue;
      const auto* ref = entity->get_object().if_contains("reference");
      if (!ref || !ref->is_string()) continue;
      if (auto p = mappings::patient_id_of({std::string(ref->get_string()), {}}, nullptr)) out.push_back(*p);
    }
  return out;
}

std::optional<boost::json::object> PatientPull::medication(const std::string& id, fhir::FhirError& error, bool& failed) {
  {
    std::lock_guard lock(medications_mutex_);
    if (auto it = medications_.find(id); it != medications_.end()) return it->second;
  }
  auto read = client_.read("Medication", id);
  std::optional<boost::json::object> found;
  if (read) {
    found = std::move(read->resource);
  } else if (read.error().kind == fhir::FhirError::Kind::status && (read.error().status == 404 || read.error().status == 410)) {
    found = std::nullopt;  // gone: the evaluation reports the dangling reference
  } else {
    error = read.error();
    failed = true;
    return std::nullopt;
  }
  std::lock_guard lock(medications_mutex_);
  medications_[id] = found;
  return found;
}

FhirResult<PulledPatient> PatientPull::fetch(const std::string& patient_id) {
  PulledPatient out;
  out.id = patient_id;
  const std::string patient = "patient=" + FhirClient::encode("Patient/" + patient_id);
  std::set<std::string> referenced;
  auto administrations = search("MedicationAdministration", patient + "&" + paging(), [&](const boost::json::object& ma) {
    if (const auto* ref = ma.if_contains("medicationReference"); ref && ref->is_object())
      if (const auto* r = ref->get_object().if_contains("reference"); r && r->is_string()) {
        const auto target = fhir::parse_reference(r->get_string());
        if (target.type == "Medication" && (target.kind == fhir::ReferenceTarget::Kind::relative ||
                                            target.kind == fhir::ReferenceTarget::Kind::absolute))
          referenced.insert(target.id);
      }
    out.resources.push_back(ma);
    return true;
  });
  if (!administrations) return administrations.error();
  for (const auto& id : referenced) {
    fhir::FhirError error;
    bool failed = false;
    auto med = medication(id, error, failed);
    if (failed) return error;
    if (med) out.resources.push_back(std::move(*med));
  }
  std::string query = patient + "&code=" + analyte_codes() + "&" + paging();
  if (settings_.require_category) query += "&category=laboratory";
  auto observations = search("Observation", query, [&](const boost::json::object& obs) {
    out.resources.push_back(obs);
    return true;
  });
  if (!observations) return observations.error();
  return out;
}

}  // namespace alemwatch::adapter
