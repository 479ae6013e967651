// How each safety signal is named and worded, and its thresholds, loaded from signals.json.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/datatypes.hpp"
#include "alemwatch/mappings/json_file.hpp"

namespace alemwatch::mappings {

struct SignalDefinition {
  std::string code;  // "itp"
  std::string display;
  std::string text;       // DetectedIssue.code.text
  std::string condition;  // "immune thrombocytopenia", for "Possible ..."
  std::string rule_text;  // the monitoring rule, last sentence of the detail
  std::map<std::string, fhir::Coding, std::less<>> categories;  // "default", "high", "low" -> ActCode
  std::map<std::string, fhir::Coding, std::less<>> snomed;      // "default", "tsh_high", "tsh_low"
  std::map<std::string, double, std::less<>> thresholds;
  std::vector<std::string> analyte_names;  // extra analyte lists (HIV tests)

  // A threshold the rules need; load() has checked it exists.
  double threshold(std::string_view name) const;
  const fhir::Coding* category(std::string_view which = "default") const;
  const fhir::Coding* snomed_coding(std::string_view which = "default") const;
};

class SignalCatalog {
 public:
  // `required` names, per signal code, the thresholds the rules read: a hospital's copy that
  // lacks one is a start-up error, not a crash in the middle of a run.
  static Loaded<SignalCatalog> load(const boost::json::value& json, const std::string& file,
                                    const std::map<std::string, std::vector<std::string>>& required);

  const SignalDefinition& get(std::string_view code) const;  // programmer error if absent
  const std::string& signal_system() const { return signal_system_; }
  const std::string& identifier_system() const { return identifier_system_; }

 private:
  std::map<std::string, SignalDefinition, std::less<>> signals_;
  std::string signal_system_;
  std::string identifier_system_;
};

}  // namespace alemwatch::mappings
