// A laboratory result as the rules see it: one analyte, one time, a value in canonical units
// or a positive/negative reading, and the reference range that applies.
#pragma once

#include <optional>
#include <string>

#include "alemwatch/fhir/instant.hpp"
#include "alemwatch/mappings/analyte_catalog.hpp"
#include "alemwatch/mappings/ordinal_table.hpp"

namespace alemwatch::mappings {

struct LabResult {
  std::string observation_id;
  AnalyteId analyte = 0;
  fhir::Instant time;
  std::optional<double> value;              // canonical unit; empty for ordinal results
  std::string unit_as_reported;             // only for assay-specific values, which are not converted
  Positivity positivity = Positivity::unknown;  // ordinal reading, interpretation or assay range
  std::string value_text;                   // ordinal value as reported
  std::string positive_interpretation;      // e.g. "POS" when the interpretation said positive
  bool positive_only_by_interpretation = false;  // the value alone would not have said positive
  Range range;                              // the Observation's range, else the default
};

}  // namespace alemwatch::mappings
