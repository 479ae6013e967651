// An alemtuzumab MedicationAdministration as the exposure model sees it.
#pragma once

#include <optional>
#include <string>

#include "alemwatch/fhir/instant.hpp"
#include "alemwatch/mappings/medication_catalog.hpp"

namespace alemwatch::mappings {

struct Administration {
  std::string id;
  std::string patient_id;
  std::string status;  // FHIR status; only exposure statuses reach the model
  fhir::Instant time;
  Product product = Product::ingredient;
  bool text_match = false;
  std::optional<double> dose_mg;        // empty when the dose is unknown
  std::optional<double> dose_ml;        // the dose as given, when given as a volume
  std::optional<double> strength_mg_per_ml;
};

}  // namespace alemwatch::mappings
