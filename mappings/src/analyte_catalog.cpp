#include "alemwatch/mappings/analyte_catalog.hpp"

#include "alemwatch/fhir/datatypes.hpp"

#include <boost/json.hpp>

namespace alemwatch::mappings {
namespace {

std::optional<ResultKind> parse_kind(const std::string& s) {
  if (s == "quantity") return ResultKind::quantity;
  if (s == "ordinal") return ResultKind::ordinal;
  if (s == "either") return ResultKind::either;
  return std::nullopt;
}

std::optional<Range> read_range(DataFileReader& r, const boost::json::object& a, const std::string& path) {
  const auto* v = a.if_contains("range");
  if (!v || v->is_null()) return std::nullopt;
  const auto* o = r.object(*v, path);
  if (!o) return std::nullopt;
  Range range{r.optional_number_at(*o, "low", path + ".low"), r.optional_number_at(*o, "high", path + ".high")};
  if (range.low && range.high && *range.low > *range.high) r.fail(path, "low is above high");
  return range;
}

}  // namespace

Loaded<AnalyteCatalog> AnalyteCatalog::load(const boost::json::value& json, const std::string& file,
                                            const UnitTable& units) {
  DataFileReader r(file);
  AnalyteCatalog catalog;
  const auto* root = r.object(json, "");
  const auto* list = root ? r.array_at(*root, "analytes", "analytes") : nullptr;
  for (std::size_t i = 0; list && i < list->size(); ++i) {
    const std::string path = "analytes[" + std::to_string(i) + "]";
    const auto* a = r.object((*list)[i], path);
    if (!a) continue;
    Analyte analyte;
    analyte.id = catalog.analytes_.size();
    analyte.name = r.string_at(*a, "name", path + ".name");
    analyte.label = r.string_at(*a, "label", path + ".label");
    analyte.loinc = r.strings_at(*a, "loinc", path + ".loinc");
    if (analyte.loinc.empty()) r.fail(path + ".loinc", "at least one LOINC code is needed");
    analyte.display = r.optional_string_at(*a, "display", path + ".display").value_or("");
    const std::string kind = r.string_at(*a, "kind", path + ".kind");
    if (auto k = parse_kind(kind))
      analyte.kind = *k;
    else
      r.fail(path + ".kind", "'" + kind + "' is not quantity, ordinal or either");
    if (auto group = r.optional_string_at(*a, "unit_group", path + ".unit_group")) {
      analyte.units = units.group(*group);
      if (!analyte.units) r.fail(path + ".unit_group", "no unit group named '" + *group + "' in units.json");
    } else if (analyte.kind != ResultKind::ordinal) {
      r.fail(path + ".unit_group", "a quantitative analyte needs a unit group");
    }
    analyte.default_range = read_range(r, *a, path + ".range");
    for (const auto& code : analyte.loinc)
      if (!catalog.by_loinc_.emplace(code, analyte.id).second)
        r.fail(path + ".loinc", "LOINC " + code + " is listed for two analytes");
    if (!catalog.by_name_.emplace(analyte.name, analyte.id).second) r.fail(path + ".name", "duplicate name");
    catalog.analytes_.push_back(std::move(analyte));
  }
  if (r.failed()) return r.error();
  return catalog;
}

const Analyte* AnalyteCatalog::by_loinc(std::string_view code) const {
  auto it = by_loinc_.find(code);
  return it == by_loinc_.end() ? nullptr : &analytes_[it->second];
}

const Analyte* AnalyteCatalog::by_name(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &analytes_[it->second];
}

std::vector<std::string> AnalyteCatalog::loinc_tokens() const {
  std::vector<std::string> out;
  for (const auto& a : analytes_)
    for (const auto& code : a.loinc) out.push_back(std::string(fhir::loinc_system) + "|" + code);
  return out;
}

}  // namespace alemwatch::mappings
