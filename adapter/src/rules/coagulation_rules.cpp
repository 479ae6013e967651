// acquired-haemophilia and hlh: every result in the monitoring window.
#include "alemwatch/adapter/lab_episode.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/decimal.hpp"

namespace alemwatch::adapter {

using namespace fhir::decimal;

void acquired_haemophilia_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("acquired-haemophilia");
  const double factor = def.threshold("aptt_above_upper_limit_factor");
  const double inr_explains = def.threshold("inr_explains_at_least");
  const fhir::Days inr_days{static_cast<long>(def.threshold("inr_days"))};
  const double fviii_below = def.threshold("factor_viii_below");
  const auto& inr = ctx.series("inr");
  std::vector<Qualifier> qualifiers;
  for (const auto& r : ctx.series("aptt")) {
    if (!r.value || !ctx.judged(r) || !r.range.high || !greater(*r.value, *r.range.high * factor)) continue;
    // A raised INR nearby points at another cause (anticoagulants, liver disease, DIC).
    const bool explained = std::any_of(inr.begin(), inr.end(), [&](const LabResult& i) {
      return i.value && i.time >= r.time - inr_days && i.time <= r.time + inr_days && i.time <= ctx.at &&
             greater_equal(*i.value, inr_explains);
    });
    if (!explained) qualifiers.push_back({&r, Severity::moderate, nullptr, {}, {}, {}});
  }
  for (const auto& r : ctx.series("factor_viii"))
    if (r.value && ctx.judged(r) && less(*r.value, fviii_below)) qualifiers.push_back({&r, Severity::high, nullptr, {}, {}, {}});
  emit_lab_episodes(ctx, "acquired-haemophilia", std::move(qualifiers), out);
}

void hlh_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("hlh");
  const double at_least = def.threshold("ferritin_at_least");
  const double high = def.threshold("high_at_least");
  std::vector<Qualifier> qualifiers;
  for (const auto& r : ctx.series("ferritin"))
    if (r.value && ctx.judged(r) && greater_equal(*r.value, at_least))
      qualifiers.push_back({&r, greater_equal(*r.value, high) ? Severity::high : Severity::moderate, nullptr, {}, {}, {}});
  emit_lab_episodes(ctx, "hlh", std::move(qualifiers), out);
}

}  // namespace alemwatch::adapter
