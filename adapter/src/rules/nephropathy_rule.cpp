// nephropathy: creatinine against baseline or range, anti-GBM antibody, urinalysis; outside
// the acute windows.
#include <algorithm>

#include "alemwatch/adapter/lab_episode.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/decimal.hpp"

namespace alemwatch::adapter {

using namespace fhir::decimal;
using mappings::Positivity;

namespace {

constexpr const char* urinalysis_tag = "urinalysis";
constexpr const char* anti_gbm_tag = "anti_gbm";

bool positive(const LabResult& r) { return r.positivity == Positivity::positive; }

// Is this urinalysis result positive? Cut-offs from the signal table where it gives one.
bool urinalysis_positive(const std::string& analyte, const LabResult& r, const mappings::SignalDefinition& def) {
  if (positive(r)) return true;
  if (!r.value) return false;
  if (analyte == "urine_protein_strip") return greater_equal(*r.value, def.threshold("protein_strip_at_least"));
  if (analyte == "urine_protein_ratio") return greater(*r.value, def.threshold("protein_creatinine_ratio_above"));
  if (analyte == "urine_rbc") return greater(*r.value, def.threshold("urine_rbc_above"));
  return false;
}

void creatinine_qualifiers(const RuleContext& ctx, const mappings::SignalDefinition& def, std::vector<Qualifier>& out) {
  const double ratio = def.threshold("creatinine_ratio_at_least");
  const double high_ratio = def.threshold("high_creatinine_ratio_at_least");
  const auto& creatinine = ctx.series("creatinine");
  for (const auto& r : creatinine) {
    if (!r.value || !ctx.judged(r) || !ctx.exposure.outside_acute_windows(r.time)) continue;
    const LabResult* baseline = ctx.exposure.baseline_for(creatinine, r.time);
    if (baseline) {
      if (greater_equal(*r.value, *baseline->value * ratio)) {
        const bool high = greater_equal(*r.value, *baseline->value * high_ratio);
        out.push_back({&r, high ? Severity::high : Severity::moderate, baseline, {}, {}, {}});
      }
    } else if (r.range.high && greater(*r.value, *r.range.high)) {
      out.push_back({&r, Severity::low, nullptr, {}, {}, {}});
    }
  }
}

}  // namespace

void nephropathy_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("nephropathy");
  std::vector<Qualifier> qualifiers;
  creatinine_qualifiers(ctx, def, qualifiers);
  for (const auto& r : ctx.series("anti_gbm"))
    if (ctx.judged(r) && ctx.exposure.outside_acute_windows(r.time) && positive(r))
      qualifiers.push_back({&r, Severity::high, nullptr, {}, {}, anti_gbm_tag});
  for (const char* name : {"urine_protein", "urine_protein_strip", "urine_protein_ratio", "urine_blood", "urine_rbc"})
    for (const auto& r : ctx.series(name))
      if (ctx.judged(r) && ctx.exposure.outside_acute_windows(r.time) && urinalysis_positive(name, r, def))
        qualifiers.push_back({&r, Severity::low, nullptr, {}, {}, urinalysis_tag});
  const auto at_least = static_cast<std::size_t>(def.threshold("moderate_urinalysis_count_at_least"));
  LabRuleHooks hooks;
  hooks.adjust_severity = [at_least](const Episode& e, Severity s) {
    const auto n = std::count_if(e.begin(), e.end(), [](const Qualifier& q) { return q.tag == urinalysis_tag; });
    return static_cast<std::size_t>(n) >= at_least ? std::max(s, Severity::moderate) : s;
  };
  hooks.snomed = [](const Episode& e) {
    const bool anti_gbm = std::any_of(e.begin(), e.end(), [](const Qualifier& q) { return q.tag == anti_gbm_tag; });
    return anti_gbm ? std::string("default") : std::string();
  };
  emit_lab_episodes(ctx, "nephropathy", std::move(qualifiers), out, hooks);
}

}  // namespace alemwatch::adapter
