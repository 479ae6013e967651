#include "alemwatch/mappings/ordinal_table.hpp"

#include <boost/json.hpp>

#include "ascii.hpp"

namespace alemwatch::mappings {
namespace {

std::string fold_text(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  std::string out(s.substr(b, e - b + 1));
  ascii::lower_in_place(out);
  return out;
}

void read_codes(DataFileReader& r, const boost::json::object& root, std::string_view key,
                std::set<CodeKey, CodeKeyLess>& into) {
  const std::string path(key);
  const auto* list = r.array_at(root, key, path);
  for (std::size_t i = 0; list && i < list->size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (const auto* o = r.object((*list)[i], p))
      into.emplace(r.string_at(*o, "system", p + ".system"), r.string_at(*o, "code", p + ".code"));
  }
}

Positivity combine(Positivity a, Positivity b) {
  if (a == Positivity::positive || b == Positivity::positive) return Positivity::positive;
  if (a == Positivity::negative || b == Positivity::negative) return Positivity::negative;
  return Positivity::unknown;
}

}  // namespace

Loaded<OrdinalTable> OrdinalTable::load(const boost::json::value& json, const std::string& file) {
  DataFileReader r(file);
  OrdinalTable t;
  const auto* root = r.object(json, "");
  if (root) {
    for (const auto& s : r.strings_at(*root, "positive_strings", "positive_strings")) t.positive_strings_.insert(fold_text(s));
    for (const auto& s : r.strings_at(*root, "negative_strings", "negative_strings")) t.negative_strings_.insert(fold_text(s));
    read_codes(r, *root, "positive_codes", t.positive_codes_);
    read_codes(r, *root, "negative_codes", t.negative_codes_);
    t.interpretation_system_ = r.string_at(*root, "interpretation_system", "interpretation_system");
    for (const auto& s : r.strings_at(*root, "positive_interpretations", "positive_interpretations"))
      t.positive_interpretations_.insert(s);
    for (const auto& s : t.positive_strings_)
      if (t.negative_strings_.contains(s)) r.fail("negative_strings", "'" + s + "' is listed as both positive and negative");
  }
  if (r.failed()) return r.error();
  return t;
}

Positivity OrdinalTable::read_text(std::string_view text) const {
  const std::string folded = fold_text(text);
  if (folded.empty()) return Positivity::unknown;
  if (positive_strings_.contains(folded)) return Positivity::positive;
  if (negative_strings_.contains(folded)) return Positivity::negative;
  return Positivity::unknown;
}

std::string OrdinalTable::positive_interpretation(const fhir::Observation& obs) const {
  for (const auto& cc : obs.interpretation)
    for (const auto& c : cc.codings)
      if ((c.system == interpretation_system_ || c.system.empty()) && positive_interpretations_.contains(c.code))
        return c.code;
  return {};
}

OrdinalReading OrdinalTable::read(const fhir::Observation& obs) const {
  OrdinalReading out;
  if (obs.value_string) {
    out.has_value = true;
    out.value_text = *obs.value_string;
    out.value = read_text(*obs.value_string);
  } else if (obs.value_codeable_concept) {
    const auto& cc = *obs.value_codeable_concept;
    out.has_value = true;
    out.value_text = cc.readable();
    Positivity coded = Positivity::unknown;
    for (const auto& c : cc.codings) {
      const CodeKeyView key{c.system, c.code};
      if (positive_codes_.contains(key)) coded = combine(coded, Positivity::positive);
      if (negative_codes_.contains(key)) coded = combine(coded, Positivity::negative);
    }
    if (coded == Positivity::unknown) {
      coded = read_text(cc.text);
      for (const auto& c : cc.codings) {
        if (coded != Positivity::unknown) break;
        coded = read_text(c.display);
      }
    }
    out.value = coded;
  }
  out.positive_interpretation = positive_interpretation(obs);
  if (!out.positive_interpretation.empty()) out.interpretation = Positivity::positive;
  return out;
}

}  // namespace alemwatch::mappings
