#include "alemwatch/adapter/report_thresholds.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "alemwatch/adapter/detail_text.hpp"

namespace alemwatch::adapter {
namespace {

// A threshold of signals.json that is an absolute limit on one analyte, and how the rule
// compares with it (the meaning of its name: "_below" is <, "_at_least" >=, "_above" >).
struct AbsoluteThreshold {
  const char* signal;
  const char* threshold;
  const char* analyte;
  const char* comparison;
};

constexpr AbsoluteThreshold absolute_thresholds[] = {
    {"itp", "platelets_below", "platelets", "<"},
    {"itp", "platelets_high_below", "platelets", "< (high)"},
    {"post-infusion-tma", "platelets_below", "platelets", "<"},
    {"post-infusion-tma", "haemoglobin_below", "haemoglobin", "<"},
    {"acute-kidney-injury", "high_creatinine_at_least", "creatinine", ">= (high)"},
    {"nephropathy", "protein_strip_at_least", "urine_protein_strip", ">="},
    {"nephropathy", "protein_creatinine_ratio_above", "urine_protein_ratio", ">"},
    {"nephropathy", "urine_rbc_above", "urine_rbc", ">"},
    {"thyroid-dysfunction", "moderate_tsh_below", "tsh", "< (moderate)"},
    {"thyroid-dysfunction", "moderate_tsh_above", "tsh", "> (moderate)"},
    {"neutropenia", "neutrophils_below", "neutrophils", "<"},
    {"neutropenia", "moderate_below", "neutrophils", "< (moderate)"},
    {"neutropenia", "high_below", "neutrophils", "< (high)"},
    {"anaemia", "haemoglobin_below", "haemoglobin", "<"},
    {"anaemia", "high_below", "haemoglobin", "< (high)"},
    {"pure-red-cell-aplasia", "haemoglobin_below", "haemoglobin", "<"},
    {"pure-red-cell-aplasia", "reticulocytes_percent_below", "reticulocytes_percent", "<"},
    {"pure-red-cell-aplasia", "reticulocytes_absolute_below", "reticulocytes_absolute", "<"},
    {"acquired-haemophilia", "factor_viii_below", "factor_viii", "<"},
    {"hlh", "ferritin_at_least", "ferritin", ">="},
    {"hlh", "high_at_least", "ferritin", ">= (high)"},
};

}  // namespace

std::vector<DrawnThreshold> thresholds_for(const mappings::Mappings& m, const std::string& analyte_name) {
  struct Labels {
    std::vector<std::string> codes;
    std::vector<std::string> words;
    std::string comparison;
  };
  std::map<double, Labels> by_value;
  for (const auto& t : absolute_thresholds) {
    if (analyte_name != t.analyte) continue;
    const auto& def = m.signals.get(t.signal);
    if (!def.thresholds.contains(t.threshold)) continue;  // a hospital may drop an optional tier
    const double v = def.threshold(t.threshold);
    if (!std::isfinite(v)) continue;
    auto& labels = by_value[v];
    labels.codes.push_back(t.signal);
    // "< (high)": the comparison, then the severity tier the limit marks, if any.
    const std::string comparison(t.comparison);
    const auto space = comparison.find(' ');
    const std::string op = comparison.substr(0, space);
    const std::string tier = space == std::string::npos ? "" : comparison.substr(space);
    labels.words.push_back(def.display + " " + op + " " + format_number(v) + tier);
    if (labels.comparison.empty()) labels.comparison = op;
  }
  std::vector<DrawnThreshold> out;
  for (const auto& [value, labels] : by_value) {
    std::string words;
    for (const auto& w : labels.words) words += (words.empty() ? "" : "; ") + w;
    // Beside the chart there is room for one code; the others are in the title and the legend.
    const std::string more = labels.codes.size() > 1 ? fmt::format(" +{}", labels.codes.size() - 1) : "";
    out.push_back({value, labels.codes.front() + more + " " + labels.comparison + " " + format_number(value), words});
  }
  return out;
}

}  // namespace alemwatch::adapter
