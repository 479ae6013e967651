// Unit conversions to each quantity's canonical unit, loaded from units.json.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "alemwatch/fhir/datatypes.hpp"
#include "alemwatch/mappings/json_file.hpp"

namespace alemwatch::mappings {

struct UnitGroup {
  std::string name;
  std::string canonical;        // UCUM code of the canonical unit
  std::string display;          // how we write it in text ("x10^9/L")
  bool unitless = false;        // a value with no unit at all is in the canonical unit (INR)
  bool assay_specific = false;  // no conversion: comparable only with a range in the same unit
  std::map<std::string, double> folded;  // spelling folded for case and micro sign -> factor
  std::map<std::string, double> exact;   // spelling as written -> factor
};

// Folds a unit spelling for matching: white space removed, micro signs as 'u', lower case.
std::string fold_unit(std::string_view unit);
// The same without lower-casing, for spellings where case carries meaning.
std::string normalise_unit(std::string_view unit);

class UnitTable {
 public:
  static Loaded<UnitTable> load(const boost::json::value& json, const std::string& file);

  const UnitGroup* group(std::string_view name) const;

  // The factor that takes `quantity` to `group`'s canonical unit: the UCUM code is tried first,
  // then the readable unit. Nothing when neither is known: the caller must not guess.
  std::optional<double> factor(const UnitGroup& group, const fhir::Quantity& quantity) const;

 private:
  std::map<std::string, UnitGroup, std::less<>> groups_;
};

}  // namespace alemwatch::mappings
