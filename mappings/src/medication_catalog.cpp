#include "alemwatch/mappings/medication_catalog.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "alemwatch/mappings/unit_table.hpp"
#include "ascii.hpp"

namespace alemwatch::mappings {
namespace {

std::optional<Product> parse_product(const std::string& s) {
  if (s == "ingredient") return Product::ingredient;
  if (s == "ms") return Product::ms;
  if (s == "oncology") return Product::oncology;
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  ascii::lower_in_place(out);
  return out;
}

// Oncology outranks MS outranks ingredient: a Campath name anywhere makes the product oncology.
int rank(Product p) { return p == Product::oncology ? 2 : p == Product::ms ? 1 : 0; }

}  // namespace

Loaded<MedicationCatalog> MedicationCatalog::load(const boost::json::value& json, const std::string& file) {
  DataFileReader r(file);
  MedicationCatalog c;
  const auto* root = r.object(json, "");
  if (!root) return r.error();
  const auto read_entry = [&](const boost::json::object& o, const std::string& path) {
    const std::string product = r.string_at(o, "product", path + ".product");
    auto p = parse_product(product);
    if (!p) r.fail(path + ".product", "'" + product + "' is not ingredient, ms or oncology");
    return Entry{p.value_or(Product::ingredient), r.optional_number_at(o, "strength_mg_per_ml", path + ".strength_mg_per_ml")};
  };
  const auto* codes = r.array_at(*root, "codes", "codes");
  for (std::size_t i = 0; codes && i < codes->size(); ++i) {
    const std::string path = "codes[" + std::to_string(i) + "]";
    if (const auto* o = r.object((*codes)[i], path))
      c.codes_.emplace(std::pair{r.string_at(*o, "system", path + ".system"), r.string_at(*o, "code", path + ".code")},
                       read_entry(*o, path));
  }
  const auto* texts = r.array_at(*root, "texts", "texts");
  for (std::size_t i = 0; texts && i < texts->size(); ++i) {
    const std::string path = "texts[" + std::to_string(i) + "]";
    if (const auto* o = r.object((*texts)[i], path))
      c.texts_.emplace_back(lower(r.string_at(*o, "contains", path + ".contains")), read_entry(*o, path));
  }
  if (const auto* units = r.object_at(*root, "dose_units", "dose_units"))
    for (const auto& [unit, factor] : *units) c.dose_units_[fold_unit(unit)] = r.number(factor, "dose_units." + std::string(unit));
  for (const auto& u : r.strings_at(*root, "volume_units", "volume_units")) c.volume_units_.push_back(fold_unit(u));
  if (r.failed()) return r.error();
  return c;
}

std::optional<ProductMatch> MedicationCatalog::match(const std::vector<const fhir::CodeableConcept*>& concepts) const {
  std::optional<Entry> best;
  bool by_code = false;
  const auto consider = [&](const Entry& e) {
    if (!best || rank(e.product) > rank(best->product)) best = e;
  };
  for (const auto* cc : concepts) {
    for (const auto& coding : cc->codings) {
      if (auto it = codes_.find(CodeKeyView{coding.system, coding.code}); it != codes_.end()) {
        consider(it->second);
        by_code = true;
      }
    }
  }
  const auto consider_text = [&](std::string_view text) {
    if (text.empty()) return;
    const std::string name = lower(text);
    for (const auto& [fragment, entry] : texts_)
      if (name.find(fragment) != std::string::npos) consider(entry);
  };
  for (const auto* cc : concepts) {
    consider_text(cc->text);
    for (const auto& coding : cc->codings) consider_text(coding.display);
  }
  if (!best) return std::nullopt;
  return ProductMatch{best->product, best->strength, !by_code};
}

std::optional<double> MedicationCatalog::mg_factor(const fhir::Quantity& dose) const {
  for (const auto* spelling : {&dose.code, &dose.unit}) {
    if (spelling->empty()) continue;
    if (auto it = dose_units_.find(fold_unit(*spelling)); it != dose_units_.end()) return it->second;
  }
  return std::nullopt;
}

bool MedicationCatalog::is_volume(const fhir::Quantity& dose) const {
  for (const auto* spelling : {&dose.code, &dose.unit})
    if (!spelling->empty() &&
        std::find(volume_units_.begin(), volume_units_.end(), fold_unit(*spelling)) != volume_units_.end())
      return true;
  return false;
}

}  // namespace alemwatch::mappings

namespace alemwatch::mappings {

std::vector<std::pair<std::string, std::string>> MedicationCatalog::codes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, entry] : codes_) out.push_back(key);
  return out;
}

std::vector<std::string> MedicationCatalog::names() const {
  std::vector<std::string> out;
  for (const auto& [fragment, entry] : texts_) out.push_back(fragment);
  return out;
}

}  // namespace alemwatch::mappings
