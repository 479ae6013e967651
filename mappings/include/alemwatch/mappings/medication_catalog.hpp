// Recognising alemtuzumab and its product by code or text, loaded from alemtuzumab.json.
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alemwatch/fhir/datatypes.hpp"
#include "alemwatch/mappings/code_key.hpp"
#include "alemwatch/mappings/json_file.hpp"

namespace alemwatch::mappings {

// Which alemtuzumab product. Ingredient-only names are treated as MS (signals.md section 2).
enum class Product { ingredient, ms, oncology };

struct ProductMatch {
  Product product = Product::ingredient;
  std::optional<double> strength_mg_per_ml;  // known when the product is known
  bool by_text_only = false;                 // no code matched, only a name
};

class MedicationCatalog {
 public:
  static Loaded<MedicationCatalog> load(const boost::json::value& json, const std::string& file);

  // Matches one or more CodeableConcepts (a medication's code and its ingredients).
  std::optional<ProductMatch> match(const std::vector<const fhir::CodeableConcept*>& concepts) const;

  // The factor from a dose unit to mg, or nothing; `is_volume` when the unit is a volume (mL).
  std::optional<double> mg_factor(const fhir::Quantity& dose) const;
  bool is_volume(const fhir::Quantity& dose) const;

  // For searching a FHIR server: every (system, code) that names alemtuzumab, and the names.
  std::vector<std::pair<std::string, std::string>> codes() const;
  std::vector<std::string> names() const;

 private:
  struct Entry {
    Product product;
    std::optional<double> strength;
  };
  std::map<CodeKey, Entry, CodeKeyLess> codes_;
  std::vector<std::pair<std::string, Entry>> texts_;  // lower-case fragment, in priority order
  std::map<std::string, double> dose_units_;
  std::vector<std::string> volume_units_;
};

}  // namespace alemwatch::mappings
