// How ordinal laboratory results read as positive or negative, loaded from ordinals.json.
#pragma once

#include <boost/json/value.hpp>

#include <set>
#include <string>
#include <utility>

#include "alemwatch/fhir/resources.hpp"
#include "alemwatch/mappings/code_key.hpp"
#include "alemwatch/mappings/json_file.hpp"

namespace alemwatch::mappings {

enum class Positivity { unknown, negative, positive };

struct OrdinalReading {
  Positivity value = Positivity::unknown;           // from valueString / valueCodeableConcept
  Positivity interpretation = Positivity::unknown;  // from Observation.interpretation
  std::string value_text;                           // the value as reported, for the detail text
  std::string positive_interpretation;              // the interpretation code that said positive
  bool has_value = false;                           // a string or coded value was present
};

class OrdinalTable {
 public:
  static Loaded<OrdinalTable> load(const boost::json::value& json, const std::string& file);

  // Reads a result's ordinal value and its interpretation.
  OrdinalReading read(const fhir::Observation& obs) const;
  Positivity read_text(std::string_view text) const;
  // The interpretation code that makes a result positive, if any.
  std::string positive_interpretation(const fhir::Observation& obs) const;

 private:
  std::set<std::string, std::less<>> positive_strings_;
  std::set<std::string, std::less<>> negative_strings_;
  std::set<CodeKey, CodeKeyLess> positive_codes_;
  std::set<CodeKey, CodeKeyLess> negative_codes_;
  std::string interpretation_system_;
  std::set<std::string, std::less<>> positive_interpretations_;
};

}  // namespace alemwatch::mappings
