// MedicationAdministration -> Administration: is it alemtuzumab (by code, by the referenced or
// contained Medication, or by name), which product, when, and how many mg.
#pragma once

#include <optional>
#include <string>

#include "alemwatch/fhir/element_reader.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/fhir/resources.hpp"
#include "alemwatch/mappings/administration.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::mappings {

enum class AdministrationOutcome {
  exposure,            // an alemtuzumab infusion that counts
  not_exposure,        // alemtuzumab, but not-done, entered-in-error or unknown
  not_alemtuzumab,     // another medication
  pending_medication,  // refers to a Medication resource not seen yet: resolve later
  unusable,            // alemtuzumab, but no patient or no time (reported)
};

struct MappedAdministration {
  AdministrationOutcome outcome = AdministrationOutcome::unusable;
  Administration administration;
  std::string pending_medication;  // Medication id to resolve, with pending_medication
  std::optional<fhir::MedicationAdministration> source;  // kept while pending
  std::string dose_problem;        // why the dose is unknown, when it is
  std::string reason;
};

class AdministrationMapper {
 public:
  explicit AdministrationMapper(const Mappings& m) : m_(m) {}

  MappedAdministration map(const fhir::MedicationAdministration& ma, const fhir::FullUrlIndex* full_urls,
                           fhir::ResourceScope& scope) const;
  // Completes a pending administration once its Medication is known: `match` is empty when the
  // Medication is not alemtuzumab; `found` is false when it never appeared in the input.
  void resolve(MappedAdministration& pending, const std::optional<ProductMatch>& match, bool found,
               fhir::ResourceScope& scope) const;

  // Is this Medication alemtuzumab, and which product?
  std::optional<ProductMatch> match_medication(const fhir::Medication& medication) const;

 private:
  void complete(MappedAdministration& out, const fhir::MedicationAdministration& ma, const ProductMatch& match,
                const fhir::FullUrlIndex* full_urls, fhir::ResourceScope& scope) const;
  void read_dose(MappedAdministration& out, const fhir::MedicationAdministration& ma, fhir::ResourceScope& scope) const;

  const Mappings& m_;
};

}  // namespace alemwatch::mappings
