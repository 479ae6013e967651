#include "alemwatch/mappings/unit_table.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "ascii.hpp"

namespace alemwatch::mappings {

namespace {
// A byte normalise_unit() may drop or rewrite: white space, or the lead byte of a micro sign.
bool may_change(char c) { return ascii::is_space(c) || c == '\xC2' || c == '\xCE'; }
}  // namespace

std::string normalise_unit(std::string_view unit) {
  // Most spellings ("mg/dL", "10*9/L") are already normal: copy them whole.
  if (std::none_of(unit.begin(), unit.end(), may_change)) return std::string(unit);
  std::string out;
  out.reserve(unit.size());
  for (std::size_t i = 0; i < unit.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(unit[i]);
    if (ascii::is_space(static_cast<char>(c))) continue;
    // U+00B5 MICRO SIGN (C2 B5) and U+03BC GREEK SMALL LETTER MU (CE BC) both mean micro.
    if (i + 1 < unit.size() && ((c == 0xC2 && static_cast<unsigned char>(unit[i + 1]) == 0xB5) ||
                                (c == 0xCE && static_cast<unsigned char>(unit[i + 1]) == 0xBC))) {
      out += 'u';
      ++i;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string fold_unit(std::string_view unit) {
  std::string out = normalise_unit(unit);
  ascii::lower_in_place(out);
  return out;
}

namespace {

// A spelling's factor: a number multiplies; {"divide": x} divides.
std::optional<double> read_factor(DataFileReader& r, const boost::json::value& v, const std::string& path) {
  if (v.is_number()) {
    const double f = r.number(v, path);
    if (f <= 0) r.fail(path, "a conversion factor must be positive");
    return f;
  }
  if (const auto* o = v.if_object(); o && o->contains("divide")) {
    const double d = r.number_at(*o, "divide", path + ".divide");
    if (d <= 0) {
      r.fail(path, "a divisor must be positive");
      return std::nullopt;
    }
    return 1.0 / d;
  }
  r.fail(path, "expected a number or {\"divide\": number}");
  return std::nullopt;
}

void read_spellings(DataFileReader& r, const boost::json::object& g, std::string_view key, const std::string& path,
                    std::map<std::string, double>& into, bool folded) {
  const auto* v = g.if_contains(key);
  if (!v) return;
  const auto* spellings = r.object(*v, path);
  if (!spellings) return;
  for (const auto& [spelling, factor_json] : *spellings) {
    if (auto f = read_factor(r, factor_json, path + "." + std::string(spelling)))
      into[folded ? fold_unit(spelling) : normalise_unit(spelling)] = *f;
  }
}

}  // namespace

Loaded<UnitTable> UnitTable::load(const boost::json::value& json, const std::string& file) {
  DataFileReader r(file);
  UnitTable table;
  const auto* root = r.object(json, "");
  const auto* groups = root ? r.object_at(*root, "groups", "groups") : nullptr;
  if (groups) {
    for (const auto& [name, gv] : *groups) {
      const std::string path = "groups." + std::string(name);
      const auto* g = r.object(gv, path);
      if (!g) continue;
      UnitGroup group;
      group.name = std::string(name);
      group.canonical = r.optional_string_at(*g, "canonical", path + ".canonical").value_or("");
      group.display = r.optional_string_at(*g, "display", path + ".display").value_or("");
      group.unitless = r.bool_or(*g, "unitless", false, path + ".unitless");
      group.assay_specific = r.bool_or(*g, "assay_specific", false, path + ".assay_specific");
      read_spellings(r, *g, "spellings", path + ".spellings", group.folded, true);
      read_spellings(r, *g, "exact", path + ".exact", group.exact, false);
      table.groups_.emplace(group.name, std::move(group));
    }
    // "include" pulls in another group's spellings (reticulocyte counts reuse cell counts).
    for (const auto& [name, gv] : *groups) {
      const auto* g = gv.if_object();
      if (!g || !g->contains("include")) continue;
      const std::string path = "groups." + std::string(name) + ".include";
      const std::string included = r.string_at(*g, "include", path);
      auto it = table.groups_.find(included);
      if (it == table.groups_.end()) {
        r.fail(path, "no unit group named '" + included + "'");
        continue;
      }
      auto& target = table.groups_.at(std::string(name));
      for (const auto& [k, f] : it->second.folded) target.folded.try_emplace(k, f);
      for (const auto& [k, f] : it->second.exact) target.exact.try_emplace(k, f);
    }
  }
  if (r.failed()) return r.error();
  return table;
}

const UnitGroup* UnitTable::group(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

namespace {
std::optional<double> lookup(const UnitGroup& g, std::string_view spelling) {
  std::string key = normalise_unit(spelling);
  if (auto it = g.exact.find(key); it != g.exact.end()) return it->second;
  ascii::lower_in_place(key);  // now fold_unit(spelling), without normalising it again
  if (auto it = g.folded.find(key); it != g.folded.end()) return it->second;
  return std::nullopt;
}
}  // namespace

std::optional<double> UnitTable::factor(const UnitGroup& g, const fhir::Quantity& q) const {
  if (!q.code.empty())
    if (auto f = lookup(g, q.code)) return f;
  if (!q.unit.empty())
    if (auto f = lookup(g, q.unit)) return f;
  if (q.code.empty() && q.unit.empty() && g.unitless) return 1.0;
  return std::nullopt;
}

}  // namespace alemwatch::mappings
