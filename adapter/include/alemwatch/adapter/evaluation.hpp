// One offline evaluation: resources go in one at a time, DetectedIssues come out at the end.
//
// Only mapped facts are kept (infusions, laboratory results, which Medications are
// alemtuzumab), never the resources themselves. A resource read again under the same id
// replaces the earlier one, so an amended or entered-in-error version read later wins.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
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

  // A copy holds its own facts (no member points into another), so it can be kept to go back to.
  Evaluation(const Evaluation&) = default;
  // Puts this evaluation back as `earlier`, a copy taken of it before. (Not an assignment: the
  // evaluation refers to its mappings and summary, which stay the same.)
  void rewind(const Evaluation& earlier);

  void add(const fhir::ResourceInput& input);
  // Whether add() only counts a resource of this type and keeps nothing of it (a Patient, or an
  // R4 type the rules do not read), so a reader on another thread need not hand it over...
  static bool only_counts(std::string_view resource_type);
  // ...but calls this instead, which counts it as add() would.
  void count_resource(const std::string& resource_type);

  // Observations may be read and mapped on other threads, then added in reading order.
  struct ObservationFact {
    std::string id;
    std::optional<mappings::MappedObservation> mapped;  // none: not a valid Observation (reported)
    std::size_t id_hash = 0;                            // id_hash(id), taken where it was mapped
  };
  // Reads and maps one Observation, reporting problems to `sink`. Safe to call from several
  // threads at once (it touches nothing in the evaluation).
  ObservationFact map_observation(const fhir::ResourceInput& input, fhir::ProblemSink& sink) const;
  // The same for an Observation read already (outside a Bundle), found at `where`.
  ObservationFact map_observation(const fhir::Observation& obs, const fhir::SourcePosition& where,
                                  fhir::ProblemSink& sink) const;
  // Adds what map_observation() gave, counted as one Observation read.
  void add_observation(ObservationFact fact);
  // Counts of Observations added, kept by a caller adding many and given to the run summary once
  // (its counts are looked up by name, which costs more than adding a result).
  struct ObservationTally {
    std::size_t read = 0;
    std::size_t rejected = 0;                 // not a valid Observation
    std::array<std::size_t, 4> outcomes{};    // by mappings::ObservationOutcome
  };
  void add_observation(ObservationFact fact, ObservationTally& tally);
  void count(const ObservationTally& tally);
  // MedicationAdministrations likewise: read and mapped anywhere, then added in reading order.
  struct AdministrationFact {
    std::string id;
    fhir::SourcePosition where;
    std::optional<mappings::MappedAdministration> mapped;  // none: not valid (reported)
  };
  AdministrationFact map_administration(const fhir::ResourceInput& input, fhir::ProblemSink& sink) const;
  // The same for an administration read already (outside a Bundle), found at `where`.
  AdministrationFact map_administration(const fhir::MedicationAdministration& ma, const fhir::SourcePosition& where,
                                        fhir::ProblemSink& sink) const;
  // Adds what map_administration() gave, counted as one MedicationAdministration read.
  void add_administration(AdministrationFact fact);
  // The ids of the Medications read so far that are not alemtuzumab.
  std::unordered_set<std::string> other_medications() const;
  // A MedicationAdministration skimmed, not parsed, whose medicationReference names Medication
  // `medication_id`. When that Medication has been read and is not alemtuzumab, and no earlier
  // version under `id` counts as an infusion or waits for its Medication, counts the
  // administration as add() would ("not alemtuzumab"; what else it holds is not checked) and
  // returns true. Otherwise does nothing and returns false: the caller reads it in full.
  // Those it counts are tallied in `counted`, for count_administrations_of_other_medications().
  bool add_administration_of_other_medication(std::string_view id, std::string_view medication_id,
                                              std::size_t& counted);
  void count_administrations_of_other_medications(std::size_t n);

  // How the run summary names an Observation outcome.
  static const char* observation_outcome_name(mappings::ObservationOutcome outcome);
  // Counts `n` Observations read but not examined, with the outcome saying why.
  void count_skipped_observations(const std::string& outcome, std::size_t n);
  // An Observation read but not examined: like any later version, it withdraws what an earlier
  // version under its id contributed. (Counted with count_skipped_observations.)
  void forget_observation(std::string_view id) { forget_observation(id, id_hash(id)); }
  // The same, with the id's hash taken elsewhere (a worker thread) by id_hash().
  void forget_observation(std::string_view id, std::size_t hash);
  static std::size_t id_hash(std::string_view id) { return IdHash{}(id); }
  // The patients who may have an alemtuzumab infusion among what was added so far: those with
  // one, and those with an administration still waiting for its Medication. Nothing when that
  // cannot be told (a waiting administration whose patient is not plain to see).
  std::optional<std::unordered_set<std::string>> possibly_exposed_patients() const;

  // Resolves Medication references, runs every rule for each exposed patient and returns the
  // DetectedIssues ordered by identifier.
  std::vector<fhir::DetectedIssue> finish(fhir::Instant at, const IssueWriterOptions& options);

  // After finish(): the record of an exposed patient, or null.
  const PatientRecord* record(const std::string& patient_id) const;
  // After finish(): every exposed patient's record, by id (the report draws them all).
  const std::map<std::string, PatientRecord>& records() const { return records_; }

  // Heterogeneous lookup: an id seen as a string_view is looked up without a copy.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

 private:
  // A laboratory result as read, in reading order. Versions are settled in finish(): of all the
  // entries and withdrawals under one id, the one read last counts. No index by id is kept while
  // reading, so adding a result is cheap and its memory is the result's own.
  struct ResultEntry {
    std::uint32_t sequence = 0;
    std::size_t id_hash = 0;  // id_hash(result.observation_id): settling looks strings up only when it matches
    mappings::LabResult result;
  };
  struct PatientData {
    std::map<std::string, mappings::Administration> infusions;  // by MedicationAdministration id
    std::vector<ResultEntry> results;                           // in reading order
  };
  struct Withdrawal {  // a later version under an id that may have a result: it withdraws it
    std::uint32_t sequence = 0;
    std::string id;
  };
  // Resource id -> the patient whose data hold what it contributed (an id, not a pointer, so that
  // a copy of the evaluation stands alone).
  using OwnerMap = std::unordered_map<std::string, std::string, IdHash, std::equal_to<>>;
  struct PendingAdministration {
    mappings::MappedAdministration mapped;
    fhir::SourcePosition where;
    std::size_t sequence = 0;  // when it was read: only the latest version of an id counts
  };

  void add_observation(const fhir::ResourceInput& input);
  void record_observation(ObservationFact fact, ObservationTally& tally);
  void add_administration(const fhir::ResourceInput& input);
  void record_administration_fact(AdministrationFact fact);
  // Makes a new version under `id` (possibly empty) the latest: what an earlier one contributed
  // is withdrawn. Returns the new version's sequence.
  std::size_t supersede_administration(std::string_view id);
  void add_medication(const fhir::ResourceInput& input);
  void record_administration(mappings::MappedAdministration& mapped);
  void forget(OwnerMap& owners, std::string_view id);
  // The results that count after every version is settled, by patient (moved out of patients_).
  void settle_results();
  void resolve_pending();
  // Moves one exposed patient's facts into their record, in time order, and runs the rules on it.
  std::vector<fhir::DetectedIssue> evaluate_record(PatientData& data, PatientRecord& record, fhir::Instant at,
                                                   const IssueWriterOptions& options) const;

  const mappings::Mappings& m_;
  RunSummary& summary_;
  mappings::LabResultMapper lab_mapper_;
  mappings::AdministrationMapper administration_mapper_;
  std::unordered_map<std::string, PatientData> patients_;
  std::uint32_t observations_read_ = 0;  // the sequence of versions
  std::vector<Withdrawal> withdrawals_;
  // Ids of results read more than once (and a few the filter below mistakes for such): only
  // these and the withdrawn ids need their versions settled.
  std::unordered_set<std::string> repeated_ids_;
  // A Bloom filter over the ids of the results kept: most Observations read are new, and the
  // filter says so, so that only a few later versions are recorded as withdrawals.
  std::vector<std::uint64_t> observation_ids_seen_ = std::vector<std::uint64_t>(1u << 16);
  bool maybe_seen(std::size_t hash) const;
  void mark_seen(std::size_t hash);
  OwnerMap administration_owner_;  // MedicationAdministration id -> patient
  // Medication id -> match
  std::unordered_map<std::string, std::optional<mappings::ProductMatch>, IdHash, std::equal_to<>> medications_;
  std::unordered_set<std::string> medications_used_;  // Medication ids administrations were resolved with
  std::string last_medication_used_;                  // the last one added to medications_used_
  std::vector<PendingAdministration> pending_;
  std::size_t administrations_read_ = 0;
  // MedicationAdministration id -> sequence of its latest version, for ids with a version pending.
  std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>> latest_pending_;
  std::map<std::string, PatientRecord> records_;  // exposed patients, built by finish()
};

}  // namespace alemwatch::adapter
