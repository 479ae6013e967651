// A quick look at one NDJSON MedicationAdministration line, without building a JSON tree: its id
// and what medicationReference.reference says. Used to count an administration of another drug
// without parsing it in full. Built on simdjson On-Demand, like the Observation skim.
//
// Trusted only when sure: anything unusual (not an object, a field of the wrong type, a key
// given twice, content after the object, a key written with an escape) gives nothing, and the
// caller parses the line in full.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace alemwatch::fhir {

struct AdministrationSkim {
  // Views into the line or the skimmer: valid while the line is and until the skimmer's next use.
  std::string_view resource_type;
  std::string_view id;
  std::optional<std::string_view> medication_reference;  // medicationReference.reference
  bool has_medication_concept = false;                   // medicationCodeableConcept is given
};

class AdministrationSkimmer {
 public:
  AdministrationSkimmer();
  ~AdministrationSkimmer();
  AdministrationSkimmer(const AdministrationSkimmer&) = delete;
  AdministrationSkimmer& operator=(const AdministrationSkimmer&) = delete;

  // `capacity` is how many bytes from line.data() may be read: at least line.size() + 64.
  std::optional<AdministrationSkim> skim(std::string_view line, std::size_t capacity);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alemwatch::fhir
