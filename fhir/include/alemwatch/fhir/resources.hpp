// Views of the FHIR R4 resources the adapter reads: only the elements it uses, type-checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/datatypes.hpp"
#include "alemwatch/fhir/element_reader.hpp"
#include "alemwatch/fhir/instant.hpp"

namespace alemwatch::fhir {

struct ReferenceRange {
  std::optional<Quantity> low;
  std::optional<Quantity> high;

  bool operator==(const ReferenceRange&) const = default;
};

// Where an Observation's time came from, in the order the adapter prefers them.
enum class ObservationTimeSource { effective_date_time, effective_instant, effective_period_start, issued };

struct Observation {
  std::string id;
  std::string status;
  CodeableConcept code;
  std::optional<Reference> subject;
  std::optional<Instant> time;
  ObservationTimeSource time_source = ObservationTimeSource::effective_date_time;
  std::optional<Quantity> value_quantity;
  std::optional<CodeableConcept> value_codeable_concept;
  std::optional<std::string> value_string;
  std::string other_value_type;  // "valueBoolean", "valueInteger", ... when value[x] is another type
  std::optional<CodeableConcept> data_absent_reason;
  std::vector<CodeableConcept> interpretation;
  std::vector<ReferenceRange> reference_ranges;

  bool operator==(const Observation&) const = default;
};

struct Medication {
  std::string id;
  std::optional<CodeableConcept> code;
  std::vector<CodeableConcept> ingredients;  // ingredient[].itemCodeableConcept

  bool operator==(const Medication&) const = default;
};

struct MedicationAdministration {
  std::string id;
  std::string status;
  std::optional<CodeableConcept> medication_concept;
  std::optional<Reference> medication_reference;
  std::optional<Reference> subject;
  std::optional<Instant> time;  // effectiveDateTime, else effectivePeriod.start
  std::optional<Quantity> dose;  // dosage.dose
  std::vector<Medication> contained_medications;

  bool operator==(const MedicationAdministration&) const = default;
};

// Each returns nothing when the resource is rejected (the scope has said why). Elements that are
// optional in FHIR (subject, time, value) are returned empty for the mapping to judge.
std::optional<Observation> read_observation(const JsonObject& o, ResourceScope& scope);
// The statuses an Observation, or a MedicationAdministration, may have (FHIR R4's required value
// sets).
bool is_observation_status(std::string_view status);
bool is_administration_status(std::string_view status);
// The value[x] types read_observation() records only by name (Observation::other_value_type):
// the index of `key` among them, or -1; and, given which are present (bit i: index i), the one
// recorded, which is the last of them (only an invalid resource has several), or "" for none.
int other_value_type_index(std::string_view key);
std::string_view other_value_type_given(unsigned present);
std::optional<Medication> read_medication(const JsonObject& o, ResourceScope& scope);
std::optional<MedicationAdministration> read_medication_administration(const JsonObject& o, ResourceScope& scope);

}  // namespace alemwatch::fhir
