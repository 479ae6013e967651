// thyroid-dysfunction: TSH outside its range, or a positive TSH-receptor antibody; every result
// in the monitoring window, acute windows included.
#include "alemwatch/adapter/lab_episode.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/decimal.hpp"

namespace alemwatch::adapter {

using namespace fhir::decimal;

void thyroid_dysfunction_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("thyroid-dysfunction");
  const double moderate_below = def.threshold("moderate_tsh_below");
  const double moderate_above = def.threshold("moderate_tsh_above");
  std::vector<Qualifier> qualifiers;
  for (const auto& r : ctx.series("tsh")) {
    if (!r.value || !ctx.judged(r)) continue;
    const bool low = r.range.low && less(*r.value, *r.range.low);
    const bool high = r.range.high && greater(*r.value, *r.range.high);
    if (!low && !high) continue;
    const bool moderate = less(*r.value, moderate_below) || greater(*r.value, moderate_above);
    qualifiers.push_back({&r, moderate ? Severity::moderate : Severity::low, nullptr, {}, {}, high ? "tsh_high" : "tsh_low"});
  }
  for (const auto& r : ctx.series("trab"))
    if (ctx.judged(r) && r.positivity == mappings::Positivity::positive)
      qualifiers.push_back({&r, Severity::moderate, nullptr, {}, {}, "antibody"});
  LabRuleHooks hooks;
  // Hypo- or hyperthyroidism by the direction of the episode's first abnormal TSH.
  hooks.snomed = [](const Episode& e) {
    for (const auto& q : e)
      if (q.tag == "tsh_high" || q.tag == "tsh_low") return q.tag;
    return std::string();
  };
  emit_lab_episodes(ctx, "thyroid-dysfunction", std::move(qualifiers), out, hooks);
}

}  // namespace alemwatch::adapter
