#include "alemwatch/mappings/signal_catalog.hpp"

#include <boost/json.hpp>

#include <stdexcept>

namespace alemwatch::mappings {

double SignalDefinition::threshold(std::string_view name) const {
  auto it = thresholds.find(name);
  if (it == thresholds.end()) throw std::logic_error("signal " + code + " has no threshold " + std::string(name));
  return it->second;
}

const fhir::Coding* SignalDefinition::category(std::string_view which) const {
  auto it = categories.find(which);
  return it == categories.end() ? nullptr : &it->second;
}

const fhir::Coding* SignalDefinition::snomed_coding(std::string_view which) const {
  auto it = snomed.find(which);
  return it == snomed.end() ? nullptr : &it->second;
}

namespace {

constexpr std::string_view snomed_system = "http://snomed.info/sct";

void read_snomed(DataFileReader& r, const boost::json::object& s, std::string_view key, const std::string& which,
                 const std::string& path, SignalDefinition& def) {
  const auto* v = s.if_contains(key);
  if (!v || v->is_null()) return;
  const auto* o = r.object(*v, path);
  if (!o) return;
  def.snomed[which] = fhir::Coding{std::string(snomed_system), r.string_at(*o, "code", path + ".code"),
                                   r.optional_string_at(*o, "display", path + ".display").value_or("")};
}

}  // namespace

Loaded<SignalCatalog> SignalCatalog::load(const boost::json::value& json, const std::string& file,
                                          const std::map<std::string, std::vector<std::string>>& required) {
  DataFileReader r(file);
  SignalCatalog catalog;
  const auto* root = r.object(json, "");
  if (!root) return r.error();
  catalog.signal_system_ = r.string_at(*root, "signal_system", "signal_system");
  catalog.identifier_system_ = r.string_at(*root, "identifier_system", "identifier_system");
  const auto* categories = r.object_at(*root, "categories", "categories");
  const std::string category_system = categories ? r.string_at(*categories, "system", "categories.system") : "";
  const auto* displays = categories ? r.object_at(*categories, "displays", "categories.displays") : nullptr;
  const auto act_code = [&](const std::string& code, const std::string& path) {
    std::string display;
    if (displays) display = r.string_at(*displays, code, "categories.displays." + code);
    (void)path;
    return fhir::Coding{category_system, code, display};
  };
  const auto* signals = r.object_at(*root, "signals", "signals");
  for (const auto& [code_sv, sv] : signals ? *signals : boost::json::object{}) {
    const std::string code(code_sv);
    const std::string path = "signals." + code;
    const auto* s = r.object(sv, path);
    if (!s) continue;
    SignalDefinition def;
    def.code = code;
    def.display = r.string_at(*s, "display", path + ".display");
    def.text = r.string_at(*s, "text", path + ".text");
    def.condition = r.optional_string_at(*s, "condition", path + ".condition").value_or("");
    def.rule_text = r.string_at(*s, "rule_text", path + ".rule_text");
    for (const auto& [key, which] : {std::pair{"category", "default"}, {"category_high", "high"}, {"category_low", "low"}})
      if (auto c = r.optional_string_at(*s, key, path + "." + key)) def.categories[which] = act_code(*c, path + "." + key);
    if (def.categories.empty()) r.fail(path, "needs a category (v3 ActCode)");
    read_snomed(r, *s, "snomed", "default", path + ".snomed", def);
    read_snomed(r, *s, "snomed_tsh_high", "tsh_high", path + ".snomed_tsh_high", def);
    read_snomed(r, *s, "snomed_tsh_low", "tsh_low", path + ".snomed_tsh_low", def);
    if (s->contains("hiv_analytes")) def.analyte_names = r.strings_at(*s, "hiv_analytes", path + ".hiv_analytes");
    if (const auto* t = r.object_at(*s, "thresholds", path + ".thresholds"))
      for (const auto& [name, value] : *t) def.thresholds[std::string(name)] = r.number(value, path + ".thresholds." + std::string(name));
    catalog.signals_.emplace(code, std::move(def));
  }
  for (const auto& [code, names] : required) {
    auto it = catalog.signals_.find(code);
    if (it == catalog.signals_.end()) {
      r.fail("signals." + code, "missing: the rules need this signal");
      continue;
    }
    for (const auto& name : names)
      if (!it->second.thresholds.contains(name))
        r.fail("signals." + code + ".thresholds." + name, "missing: the rule needs this threshold");
  }
  if (r.failed()) return r.error();
  return catalog;
}

const SignalDefinition& SignalCatalog::get(std::string_view code) const {
  auto it = signals_.find(code);
  if (it == signals_.end()) throw std::logic_error("unknown signal " + std::string(code));
  return it->second;
}

}  // namespace alemwatch::mappings
