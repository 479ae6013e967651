#include "alemwatch/adapter/evaluation.hpp"

#include <algorithm>

#include "alemwatch/adapter/exposure.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/resource_types.hpp"
#include "alemwatch/fhir/resources.hpp"

namespace alemwatch::adapter {

namespace {
const char* outcome_name(mappings::ObservationOutcome o) {
  switch (o) {
    case mappings::ObservationOutcome::mapped: return "mapped";
    case mappings::ObservationOutcome::not_monitored: return "not monitored (no LOINC code the rules read)";
    case mappings::ObservationOutcome::excluded_status: return "excluded by status";
    case mappings::ObservationOutcome::unusable: return "unusable (reported)";
  }
  return "unusable (reported)";
}

const char* outcome_name(mappings::AdministrationOutcome o) {
  switch (o) {
    case mappings::AdministrationOutcome::exposure: return "alemtuzumab infusion";
    case mappings::AdministrationOutcome::not_exposure: return "alemtuzumab, not an exposure (status)";
    case mappings::AdministrationOutcome::not_alemtuzumab: return "not alemtuzumab";
    case mappings::AdministrationOutcome::pending_medication: return "pending";
    case mappings::AdministrationOutcome::unusable: return "unusable (reported)";
  }
  return "unusable (reported)";
}

std::string id_of(const boost::json::object& o) {
  const auto* id = o.if_contains("id");
  return id && id->is_string() ? std::string(id->get_string()) : std::string();
}
}  // namespace

Evaluation::Evaluation(const mappings::Mappings& m, RunSummary& summary)
    : m_(m), summary_(summary), lab_mapper_(m), administration_mapper_(m) {}

void Evaluation::add(const fhir::ResourceInput& input) {
  summary_.count_read(input.resource_type);
  if (input.resource_type == "Observation")
    add_observation(input);
  else if (input.resource_type == "MedicationAdministration")
    add_administration(input);
  else if (input.resource_type == "Medication")
    add_medication(input);
  else if (input.resource_type == "Patient")
    summary_.count_outcome("Patient", "read");
  else if (fhir::is_r4_resource_type(input.resource_type))
    summary_.count_outcome(input.resource_type, "not used (resource type)");
  else if (!input.resource_type.empty()) {
    summary_.report({fhir::ProblemSeverity::error, input.where, input.resource_type, id_of(input.resource), "resourceType",
                     "'" + input.resource_type + "' is not a FHIR R4 resource type"});
    summary_.count_outcome(input.resource_type, "rejected (unknown resource type)");
  }
  else
    summary_.count_outcome(input.resource_type, "rejected (not a FHIR resource)");
}

void Evaluation::forget(std::unordered_map<std::string, std::string>& owners, const std::string& id, bool observation) {
  auto it = owners.find(id);
  if (it == owners.end()) return;
  auto& patient = patients_[it->second];
  if (observation)
    patient.results.erase(id);
  else
    patient.infusions.erase(id);
  owners.erase(it);
}

void Evaluation::add_observation(const fhir::ResourceInput& input) {
  fhir::ResourceScope scope(summary_, input.where, "Observation", id_of(input.resource));
  auto obs = fhir::read_observation(input.resource, scope);
  if (!obs) {
    summary_.count_outcome("Observation", "rejected (invalid FHIR)");
    return;
  }
  auto mapped = lab_mapper_.map(*obs, input.full_urls, scope);
  summary_.count_outcome("Observation", outcome_name(mapped.outcome));
  if (mapped.unit_problem) ++summary_.unit_problems;
  // The latest version read under an id wins, whatever its outcome.
  if (!obs->id.empty()) forget(observation_owner_, obs->id, true);
  if (mapped.outcome != mappings::ObservationOutcome::mapped) return;
  observation_owner_[obs->id] = mapped.patient_id;
  patients_[mapped.patient_id].results.insert_or_assign(obs->id, std::move(mapped.result));
}

void Evaluation::add_administration(const fhir::ResourceInput& input) {
  fhir::ResourceScope scope(summary_, input.where, "MedicationAdministration", id_of(input.resource));
  auto ma = fhir::read_medication_administration(input.resource, scope);
  if (!ma) {
    summary_.count_outcome("MedicationAdministration", "rejected (invalid FHIR)");
    return;
  }
  const std::size_t sequence = ++administrations_read_;
  if (!ma->id.empty()) {
    forget(administration_owner_, ma->id, false);
    latest_administration_[ma->id] = sequence;
  }
  auto mapped = administration_mapper_.map(*ma, input.full_urls, scope);
  if (mapped.outcome == mappings::AdministrationOutcome::pending_medication) {
    pending_.push_back({std::move(mapped), input.where, sequence});
    return;
  }
  record_administration(mapped);
}

void Evaluation::record_administration(mappings::MappedAdministration& mapped) {
  summary_.count_outcome("MedicationAdministration", outcome_name(mapped.outcome));
  if (mapped.outcome != mappings::AdministrationOutcome::exposure) return;
  auto& a = mapped.administration;
  if (a.text_match) ++summary_.text_matched_medications;
  if (!mapped.dose_problem.empty()) ++summary_.unknown_doses;
  administration_owner_[a.id] = a.patient_id;
  patients_[a.patient_id].infusions.insert_or_assign(a.id, std::move(a));
}

void Evaluation::add_medication(const fhir::ResourceInput& input) {
  fhir::ResourceScope scope(summary_, input.where, "Medication", id_of(input.resource));
  auto med = fhir::read_medication(input.resource, scope);
  if (!med) {
    summary_.count_outcome("Medication", "rejected (invalid FHIR)");
    return;
  }
  auto match = administration_mapper_.match_medication(*med);
  summary_.count_outcome("Medication", match ? "alemtuzumab" : "not alemtuzumab");
  if (!med->id.empty()) medications_[med->id] = match;
}

void Evaluation::resolve_pending() {
  for (auto& p : pending_) {
    const auto& id = p.mapped.administration.id;
    // A later version read under the same id, pending or not, wins over this one.
    if (!id.empty() && latest_administration_[id] != p.sequence) {
      summary_.count_outcome("MedicationAdministration", "superseded by a later version");
      continue;
    }
    fhir::ResourceScope scope(summary_, p.where, "MedicationAdministration", id);
    auto it = medications_.find(p.mapped.pending_medication);
    const bool found = it != medications_.end();
    administration_mapper_.resolve(p.mapped, found ? it->second : std::nullopt, found, scope);
    record_administration(p.mapped);
  }
  pending_.clear();
}

namespace {
template <class T, class Key>
std::vector<T> sorted_values(std::map<std::string, T>& by_id, Key key) {
  std::vector<T> out;
  out.reserve(by_id.size());
  for (auto& [id, v] : by_id) out.push_back(v);
  std::stable_sort(out.begin(), out.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  return out;
}
}  // namespace

std::vector<fhir::DetectedIssue> Evaluation::finish(fhir::Instant at, const IssueWriterOptions& options) {
  resolve_pending();
  std::vector<fhir::DetectedIssue> issues;
  std::vector<std::string> ids;
  for (const auto& [id, data] : patients_)
    if (!data.infusions.empty()) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  summary_.exposed_patients = ids.size();
  for (const auto& id : ids) {
    auto& data = patients_[id];
    PatientRecord& record = records_[id];
    record.id = id;
    // Maps are ordered by id, so a stable sort by time leaves ties in id order.
    record.infusions = sorted_values(data.infusions, [](const auto& a) { return a.time; });
    record.series.resize(m_.analytes.all().size());
    for (auto& r : sorted_values(data.results, [](const auto& r) { return r.time; }))
      record.series[r.analyte].push_back(std::move(r));
    const Exposure exposure(record, m_.exposure);
    const RuleContext ctx{m_, record, exposure, at};
    for (const auto& signal : evaluate_patient(ctx)) issues.push_back(write_issue(signal, m_, options));
  }
  std::sort(issues.begin(), issues.end(),
            [](const auto& a, const auto& b) { return a.identifier_value < b.identifier_value; });
  for (const auto& i : issues) summary_.count_issue(i);
  patients_.clear();  // the records hold the facts now
  return issues;
}

const PatientRecord* Evaluation::record(const std::string& patient_id) const {
  auto it = records_.find(patient_id);
  return it == records_.end() ? nullptr : &it->second;
}

}  // namespace alemwatch::adapter
