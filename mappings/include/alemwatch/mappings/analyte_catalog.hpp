// The laboratory analytes the adapter reads, by LOINC code, loaded from analytes.json.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alemwatch/mappings/json_file.hpp"
#include "alemwatch/mappings/unit_table.hpp"

namespace alemwatch::mappings {

// How an analyte's results are expressed.
enum class ResultKind { quantity, ordinal, either };

struct Range {
  std::optional<double> low;
  std::optional<double> high;
};

using AnalyteId = std::size_t;  // index into the catalogue; also the evidence order

struct Analyte {
  AnalyteId id = 0;
  std::string name;
  std::string label;               // "Platelet count"
  std::vector<std::string> loinc;  // first is the one written in evidence
  std::string display;             // LOINC display of the first code, may be empty
  ResultKind kind = ResultKind::quantity;
  const UnitGroup* units = nullptr;  // null for ordinal-only analytes
  std::optional<Range> default_range;
};

class AnalyteCatalog {
 public:
  static Loaded<AnalyteCatalog> load(const boost::json::value& json, const std::string& file, const UnitTable& units);

  const Analyte* by_loinc(std::string_view code) const;
  // The analyte of that name; a missing name is a programmer error (the rules name analytes
  // the catalogue must define, checked at load time by the rules' requirements).
  const Analyte* by_name(std::string_view name) const;
  const std::vector<Analyte>& all() const { return analytes_; }
  // Every analyte's LOINC code as a search token, "http://loinc.org|777-3", in catalogue order.
  std::vector<std::string> loinc_tokens() const;

 private:
  std::vector<Analyte> analytes_;
  // Hashed: the population reader looks up the code of every Observation of an exposed patient.
  struct CodeHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, AnalyteId, CodeHash, std::equal_to<>> by_loinc_;
  std::map<std::string, AnalyteId, std::less<>> by_name_;
};

}  // namespace alemwatch::mappings
