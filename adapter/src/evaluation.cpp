#include "alemwatch/adapter/evaluation.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <stdexcept>
#include <thread>
#include <tuple>

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

const char* Evaluation::observation_outcome_name(mappings::ObservationOutcome outcome) {
  return adapter::outcome_name(outcome);
}

Evaluation::Evaluation(const mappings::Mappings& m, RunSummary& summary)
    : m_(m), summary_(summary), lab_mapper_(m), administration_mapper_(m) {}

void Evaluation::rewind(const Evaluation& earlier) {
  if (&earlier.m_ != &m_ || &earlier.summary_ != &summary_)
    throw std::logic_error("Evaluation::rewind: an evaluation of other mappings or another summary");
  Evaluation copy(earlier);  // may throw: before this evaluation is touched
  // Since C++20 an object with reference members may be replaced in place like this.
  std::destroy_at(this);
  std::construct_at(this, std::move(copy));
}

bool Evaluation::only_counts(std::string_view type) {
  // A Bundle never reaches add(): the reader opens it and hands over its entries.
  return type != "Observation" && type != "MedicationAdministration" && type != "Medication" && type != "Bundle" &&
         fhir::is_r4_resource_type(type);
}

void Evaluation::count_resource(const std::string& type) {
  summary_.count_read(type);
  summary_.count_outcome(type, type == "Patient" ? "read" : "not used (resource type)");
}

void Evaluation::add(const fhir::ResourceInput& input) {
  if (only_counts(input.resource_type)) {
    count_resource(input.resource_type);
    return;
  }
  summary_.count_read(input.resource_type);
  if (input.resource_type == "Observation")
    add_observation(input);
  else if (input.resource_type == "MedicationAdministration")
    add_administration(input);
  else if (input.resource_type == "Medication")
    add_medication(input);
  else if (!input.resource_type.empty()) {
    summary_.report({fhir::ProblemSeverity::error, input.where, input.resource_type, id_of(input.resource), "resourceType",
                     "'" + input.resource_type + "' is not a FHIR R4 resource type"});
    summary_.count_outcome(input.resource_type, "rejected (unknown resource type)");
  }
  else
    summary_.count_outcome(input.resource_type, "rejected (not a FHIR resource)");
}

void Evaluation::forget(OwnerMap& owners, std::string_view id) {
  auto it = owners.find(id);
  if (it == owners.end()) return;
  if (auto patient = patients_.find(it->second); patient != patients_.end()) patient->second.infusions.erase(it->first);
  owners.erase(it);
}

void Evaluation::add_observation(const fhir::ResourceInput& input) {
  ObservationTally tally;  // read is counted by add()
  record_observation(map_observation(input, summary_), tally);
  count(tally);
}

Evaluation::ObservationFact Evaluation::map_observation(const fhir::ResourceInput& input, fhir::ProblemSink& sink) const {
  ObservationFact fact;
  fact.id = id_of(input.resource);
  fhir::ResourceScope scope(sink, input.where, "Observation", fact.id);
  auto obs = fhir::read_observation(input.resource, scope);
  if (obs) {
    fact.id = obs->id;
    fact.mapped = lab_mapper_.map(*obs, input.full_urls, scope);
  }
  fact.id_hash = id_hash(fact.id);
  return fact;
}

Evaluation::ObservationFact Evaluation::map_observation(const fhir::Observation& obs, const fhir::SourcePosition& where,
                                                        fhir::ProblemSink& sink) const {
  ObservationFact fact;
  fact.id = obs.id;
  fhir::ResourceScope scope(sink, where, "Observation", fact.id);
  fact.mapped = lab_mapper_.map(obs, nullptr, scope);
  fact.id_hash = id_hash(fact.id);
  return fact;
}

void Evaluation::add_observation(ObservationFact fact) {
  ObservationTally tally;
  add_observation(std::move(fact), tally);
  count(tally);
}

void Evaluation::add_observation(ObservationFact fact, ObservationTally& tally) {
  ++tally.read;
  record_observation(std::move(fact), tally);
}

void Evaluation::count(const ObservationTally& tally) {
  if (tally.read) summary_.count_read("Observation", tally.read);
  if (tally.rejected) summary_.count_outcome("Observation", "rejected (invalid FHIR)", tally.rejected);
  for (std::size_t i = 0; i < tally.outcomes.size(); ++i)
    if (tally.outcomes[i])
      summary_.count_outcome("Observation", outcome_name(static_cast<mappings::ObservationOutcome>(i)), tally.outcomes[i]);
}

void Evaluation::record_observation(ObservationFact fact, ObservationTally& tally) {
  if (fact.id_hash == 0) fact.id_hash = id_hash(fact.id);  // a fact not made by map_observation()
  if (!fact.mapped) {
    // Even a rejected version is the latest read under its id: the earlier one no longer stands.
    forget_observation(fact.id, fact.id_hash);
    ++tally.rejected;
    return;
  }
  auto& mapped = *fact.mapped;
  ++tally.outcomes.at(static_cast<std::size_t>(mapped.outcome));
  if (mapped.unit_problem) ++summary_.unit_problems;
  // The latest version read under an id wins, whatever its outcome.
  if (mapped.outcome != mappings::ObservationOutcome::mapped) {
    forget_observation(fact.id, fact.id_hash);
    return;
  }
  if (!fact.id.empty()) {
    if (maybe_seen(fact.id_hash)) repeated_ids_.insert(fact.id);
    mark_seen(fact.id_hash);
  }
  // The result's observation_id is the fact's id (both are the Observation's).
  patients_[mapped.patient_id].results.push_back({++observations_read_, fact.id_hash, std::move(mapped.result)});
}

void Evaluation::count_skipped_observations(const std::string& outcome, std::size_t n) {
  summary_.count_read("Observation", n);
  summary_.count_outcome("Observation", outcome, n);
}

void Evaluation::forget_observation(std::string_view id, std::size_t hash) {
  if (!id.empty() && maybe_seen(hash)) withdrawals_.push_back({++observations_read_, std::string(id)});
}

void Evaluation::settle_results() {
  // The last version read under each contested id (one read more than once, or withdrawn); an
  // id read once stands. An Observation without an id is its patient's own (as ever: the last
  // one without an id stands for that patient). The keys point into withdrawals_ and
  // repeated_ids_, which outlive the decisions; entries move only after all are taken.
  std::unordered_map<std::string_view, std::uint32_t> latest;
  for (const auto& w : withdrawals_) latest[w.id] = std::max(latest[w.id], w.sequence);
  for (const auto& id : repeated_ids_) latest.try_emplace(id, 0);
  // Contested ids are few: most results are passed over by their hash, without hashing strings.
  std::unordered_set<std::size_t> contested;
  for (const auto& [id, sequence] : latest) contested.insert(id_hash(id));
  const auto latest_of = [&](const ResultEntry& e) {
    return contested.contains(e.id_hash) ? latest.find(e.result.observation_id) : latest.end();
  };
  if (!latest.empty())
    for (const auto& [patient, data] : patients_)
      for (const auto& e : data.results)
        if (auto it = latest_of(e); it != latest.end()) it->second = std::max(it->second, e.sequence);
  const auto stands = [&](const ResultEntry& e, std::uint32_t last_unnamed) {
    if (e.result.observation_id.empty()) return e.sequence == last_unnamed;
    const auto it = latest_of(e);
    return it == latest.end() || it->second == e.sequence;
  };
  for (auto& [patient, data] : patients_) {
    std::uint32_t last_unnamed = 0;
    for (const auto& e : data.results)
      if (e.result.observation_id.empty()) last_unnamed = std::max(last_unnamed, e.sequence);
    std::vector<bool> keep;
    keep.reserve(data.results.size());
    for (const auto& e : data.results) keep.push_back(stands(e, last_unnamed));
    if (std::find(keep.begin(), keep.end(), false) == keep.end()) continue;
    std::vector<ResultEntry> kept;
    kept.reserve(static_cast<std::size_t>(std::count(keep.begin(), keep.end(), true)));
    for (std::size_t i = 0; i < data.results.size(); ++i)
      if (keep[i]) kept.push_back(std::move(data.results[i]));
    data.results = std::move(kept);
  }
  latest.clear();
  withdrawals_.clear();
  withdrawals_.shrink_to_fit();
  repeated_ids_.clear();
}

// Two bits per id, both in one 64-bit word chosen by the hash (one memory access per check);
// 4 Mbit hold hundreds of thousands of ids with about 1 % false positives, and a false positive
// only costs the lookup it would have made.
namespace {
std::uint64_t seen_bits(std::size_t hash) {
  return std::uint64_t{1} << (hash >> 32 & 63) | std::uint64_t{1} << (hash >> 40 & 63);
}
}  // namespace

bool Evaluation::maybe_seen(std::size_t hash) const {
  const auto bits = seen_bits(hash);
  return (observation_ids_seen_[hash % observation_ids_seen_.size()] & bits) == bits;
}

void Evaluation::mark_seen(std::size_t hash) { observation_ids_seen_[hash % observation_ids_seen_.size()] |= seen_bits(hash); }

std::optional<std::unordered_set<std::string>> Evaluation::possibly_exposed_patients() const {
  std::unordered_set<std::string> out;
  for (const auto& [id, data] : patients_)
    if (!data.infusions.empty()) out.insert(id);
  for (const auto& p : pending_) {
    // Waiting for a Medication read since, and not alemtuzumab: not exposed by this one.
    if (auto known = medications_.find(p.mapped.pending_medication); known != medications_.end() && !known->second)
      continue;
    const auto& source = p.mapped.source;
    auto patient = source && source->subject ? mappings::patient_id_of(*source->subject, nullptr) : std::nullopt;
    if (!patient) return std::nullopt;
    out.insert(*patient);
  }
  return out;
}

void Evaluation::add_administration(const fhir::ResourceInput& input) {
  record_administration_fact(map_administration(input, summary_));
}

Evaluation::AdministrationFact Evaluation::map_administration(const fhir::ResourceInput& input,
                                                              fhir::ProblemSink& sink) const {
  AdministrationFact fact{id_of(input.resource), input.where, std::nullopt};
  fhir::ResourceScope scope(sink, input.where, "MedicationAdministration", fact.id);
  auto ma = fhir::read_medication_administration(input.resource, scope);
  if (!ma) return fact;
  fact.id = ma->id;
  fact.mapped = administration_mapper_.map(*ma, input.full_urls, scope);
  return fact;
}

Evaluation::AdministrationFact Evaluation::map_administration(const fhir::MedicationAdministration& ma,
                                                              const fhir::SourcePosition& where,
                                                              fhir::ProblemSink& sink) const {
  AdministrationFact fact{ma.id, where, std::nullopt};
  fhir::ResourceScope scope(sink, where, "MedicationAdministration", fact.id);
  fact.mapped = administration_mapper_.map(ma, nullptr, scope);
  return fact;
}

void Evaluation::add_administration(AdministrationFact fact) {
  summary_.count_read("MedicationAdministration");
  record_administration_fact(std::move(fact));
}

void Evaluation::record_administration_fact(AdministrationFact fact) {
  if (!fact.mapped) {
    summary_.count_outcome("MedicationAdministration", "rejected (invalid FHIR)");
    return;
  }
  const std::size_t sequence = supersede_administration(fact.id);
  auto& mapped = *fact.mapped;
  if (mapped.outcome == mappings::AdministrationOutcome::pending_medication) {
    // Resolved now when its Medication has been read, so that a population's administrations
    // of other drugs are not all kept until the end.
    auto known = medications_.find(mapped.pending_medication);
    if (known == medications_.end()) {
      if (!fact.id.empty()) latest_pending_[fact.id] = sequence;
      pending_.push_back({std::move(mapped), fact.where, sequence});
      return;
    }
    fhir::ResourceScope scope(summary_, fact.where, "MedicationAdministration", fact.id);
    administration_mapper_.resolve(mapped, known->second, true, scope);
    medications_used_.insert(known->first);
  }
  record_administration(mapped);
}

std::size_t Evaluation::supersede_administration(std::string_view id) {
  const std::size_t sequence = ++administrations_read_;
  if (!id.empty()) {
    forget(administration_owner_, id);
    // Only ids with a version waiting for its Medication need their latest version remembered.
    if (auto it = latest_pending_.find(id); it != latest_pending_.end()) it->second = sequence;
  }
  return sequence;
}

std::unordered_set<std::string> Evaluation::other_medications() const {
  std::unordered_set<std::string> out;
  for (const auto& [id, match] : medications_)
    if (!match) out.insert(id);
  return out;
}

bool Evaluation::add_administration_of_other_medication(std::string_view id, std::string_view medication_id,
                                                        std::size_t& counted) {
  const auto known = medications_.find(medication_id);
  if (known == medications_.end() || known->second) return false;
  // A later version of an administration that counts is read in full: if it were invalid, it
  // would not replace the earlier one, and only the full read can tell.
  if (!id.empty() && (administration_owner_.contains(id) || latest_pending_.contains(id))) return false;
  supersede_administration(id);
  // Most administrations name one of a few Medications: remember the last one marked used.
  if (last_medication_used_ != known->first) {
    medications_used_.insert(known->first);
    last_medication_used_ = known->first;
  }
  ++counted;
  return true;
}

void Evaluation::count_administrations_of_other_medications(std::size_t n) {
  if (n == 0) return;
  summary_.count_read("MedicationAdministration", n);
  summary_.count_outcome("MedicationAdministration", outcome_name(mappings::AdministrationOutcome::not_alemtuzumab), n);
}

void Evaluation::record_administration(mappings::MappedAdministration& mapped) {
  summary_.count_outcome("MedicationAdministration", outcome_name(mapped.outcome));
  if (mapped.outcome != mappings::AdministrationOutcome::exposure) return;
  auto& a = mapped.administration;
  if (a.text_match) ++summary_.text_matched_medications;
  if (!mapped.dose_problem.empty()) ++summary_.unknown_doses;
  auto& patient = patients_[a.patient_id];
  administration_owner_[a.id] = a.patient_id;
  patient.infusions.insert_or_assign(a.id, std::move(a));
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
  if (med->id.empty()) return;
  auto [it, added] = medications_.try_emplace(med->id, match);
  if (added) return;
  const bool changed = it->second.has_value() != match.has_value();
  it->second = match;
  if (changed && medications_used_.contains(med->id))
    scope.warning("code", "this later version changes whether the Medication is alemtuzumab; administrations read "
                          "before it were judged on the earlier version (put Medications before administrations)");
}

void Evaluation::resolve_pending() {
  for (auto& p : pending_) {
    const auto& id = p.mapped.administration.id;
    // A later version read under the same id, pending or not, wins over this one.
    if (!id.empty() && latest_pending_[id] != p.sequence) {
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
  latest_pending_.clear();
}

namespace {
template <class T, class Key>
std::vector<T> sorted_values(std::map<std::string, T>&& by_id, Key key) {
  std::vector<T> out;
  out.reserve(by_id.size());
  for (auto& [id, v] : by_id) out.push_back(std::move(v));
  by_id.clear();
  std::stable_sort(out.begin(), out.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  return out;
}
}  // namespace

std::vector<fhir::DetectedIssue> Evaluation::finish(fhir::Instant at, const IssueWriterOptions& options) {
  resolve_pending();
  settle_results();
  std::vector<std::string> ids;
  for (const auto& [id, data] : patients_)
    if (!data.infusions.empty()) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  summary_.exposed_patients = ids.size();
  std::vector<std::pair<PatientData*, PatientRecord*>> patients;
  for (const auto& id : ids) {
    PatientRecord& record = records_[id];
    record.id = id;
    patients.emplace_back(&patients_[id], &record);
  }
  // Patients are independent: they are shared between threads. Each patient's issues are kept
  // apart and gathered in patient order, so the result does not depend on the threads.
  const unsigned threads = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 8);
  std::vector<std::vector<fhir::DetectedIssue>> found(patients.size());
  std::vector<std::exception_ptr> failures(threads);
  const auto evaluate_share = [&](unsigned t) {
    try {
      for (std::size_t i = t; i < patients.size(); i += threads)
        found[i] = evaluate_record(*patients[i].first, *patients[i].second, at, options);
    } catch (...) {
      failures[t] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads && t < patients.size(); ++t) helpers.emplace_back(evaluate_share, t);
  evaluate_share(0);
  for (auto& h : helpers) h.join();
  for (const auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
  std::vector<fhir::DetectedIssue> issues;
  for (auto& f : found)
    for (auto& issue : f) issues.push_back(std::move(issue));
  std::stable_sort(issues.begin(), issues.end(),
                   [](const auto& a, const auto& b) { return a.identifier_value < b.identifier_value; });
  for (const auto& i : issues) summary_.count_issue(i);
  patients_.clear();  // the records hold the facts now
  administration_owner_.clear();
  return issues;
}

std::vector<fhir::DetectedIssue> Evaluation::evaluate_record(PatientData& data, PatientRecord& record, fhir::Instant at,
                                                             const IssueWriterOptions& options) const {
  // Maps are ordered by id, so a stable sort by time leaves ties in id order.
  // The facts move into the record, so the peak memory is one copy of them.
  record.infusions = sorted_values(std::move(data.infusions), [](const auto& a) { return a.time; });
  record.series.resize(m_.analytes.all().size());
  // By time; ties in id order, as results were always kept. Compact keys are sorted, not the
  // results, so each result moves once and most comparisons touch only the keys.
  std::vector<std::pair<fhir::Instant, std::uint32_t>> order;
  order.reserve(data.results.size());
  for (std::uint32_t i = 0; i < data.results.size(); ++i) order.emplace_back(data.results[i].result.time, i);
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return data.results[a.second].result.observation_id < data.results[b.second].result.observation_id;
  });
  std::vector<std::uint32_t> per_analyte(record.series.size());
  for (const auto& e : data.results) ++per_analyte[e.result.analyte];
  for (std::size_t a = 0; a < per_analyte.size(); ++a) record.series[a].reserve(per_analyte[a]);
  for (const auto& [time, i] : order) {
    auto& result = data.results[i].result;
    record.series[result.analyte].push_back(std::move(result));
  }
  data.results = {};  // freed patient by patient: the peak is one copy of the facts
  const Exposure exposure(record, m_.exposure);
  const RuleContext ctx{m_, record, exposure, at};
  std::vector<fhir::DetectedIssue> issues;
  for (const auto& signal : evaluate_patient(ctx)) issues.push_back(write_issue(signal, m_, options));
  return issues;
}

const PatientRecord* Evaluation::record(const std::string& patient_id) const {
  auto it = records_.find(patient_id);
  return it == records_.end() ? nullptr : &it->second;
}

}  // namespace alemwatch::adapter
