// Observation -> LabResult: the analyte by LOINC code, the value in canonical units, the
// reference range. Every Observation ends in exactly one outcome, so the run summary can
// account for all of them.
#pragma once

#include <optional>
#include <string>

#include "alemwatch/fhir/element_reader.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/fhir/resources.hpp"
#include "alemwatch/mappings/lab_result.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::mappings {

enum class ObservationOutcome {
  mapped,           // a usable result of a monitored analyte
  not_monitored,    // no LOINC code the adapter reads
  excluded_status,  // e.g. entered-in-error, cancelled, registered
  unusable,         // monitored, but the value, unit, subject or time cannot be used (reported)
};

struct MappedObservation {
  ObservationOutcome outcome = ObservationOutcome::unusable;
  std::string patient_id;
  LabResult result;
  bool unit_problem = false;  // unusable because of its unit
  std::string reason;         // why, for unusable and excluded outcomes
};

class LabResultMapper {
 public:
  explicit LabResultMapper(const Mappings& m) : m_(m) {}

  // Problems are reported through `scope` with their element paths.
  MappedObservation map(const fhir::Observation& obs, const fhir::FullUrlIndex* full_urls,
                        fhir::ResourceScope& scope) const;

 private:
  bool map_quantity(const fhir::Observation& obs, const Analyte& a, MappedObservation& out,
                    fhir::ResourceScope& scope) const;
  bool map_assay_specific(const fhir::Observation& obs, MappedObservation& out, fhir::ResourceScope& scope) const;
  bool map_ordinal(const fhir::Observation& obs, MappedObservation& out, fhir::ResourceScope& scope) const;
  Range reference_range(const fhir::Observation& obs, const Analyte& a, fhir::ResourceScope& scope) const;

  const Mappings& m_;
};

// The Patient id a subject reference points at ("Patient/1", an absolute URL, or a urn:uuid
// fullUrl of the same Bundle), or nothing when it is not a Patient.
std::optional<std::string> patient_id_of(const fhir::Reference& subject, const fhir::FullUrlIndex* full_urls);
// The same for the form exports write, "Patient/<id>" with a valid id, read in place without
// taking the reference apart; nothing for any other form (ask patient_id_of()).
std::optional<std::string_view> plain_patient_id(std::string_view reference);

// The Patient id of a resource's `subject`, when it is a plain Patient reference (no Bundle to
// resolve a urn:uuid against), read straight from its JSON.
std::optional<std::string> subject_patient_id(const boost::json::object& resource);

}  // namespace alemwatch::mappings
