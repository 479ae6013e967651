// itp, neutropenia, anaemia, pure-red-cell-aplasia: blood counts outside the acute windows.
#include "alemwatch/adapter/lab_episode.hpp"
#include "alemwatch/adapter/detail_text.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/decimal.hpp"

namespace alemwatch::adapter {

using namespace fhir::decimal;

namespace {
// Results of `name` outside the acute windows, with a value.
template <class F>
void for_each_outside_acute(const RuleContext& ctx, std::string_view name, F f) {
  for (const auto& r : ctx.series(name))
    if (r.value && ctx.judged(r) && ctx.exposure.outside_acute_windows(r.time)) f(r);
}
}  // namespace

void itp_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("itp");
  const double below = def.threshold("platelets_below");
  const double high_below = def.threshold("platelets_high_below");
  const double drop = def.threshold("relative_drop_at_least");
  const auto& platelets = ctx.series("platelets");
  std::vector<Qualifier> qualifiers;
  for_each_outside_acute(ctx, "platelets", [&](const LabResult& r) {
    std::optional<Severity> tier;
    if (less(*r.value, below)) tier = less(*r.value, high_below) ? Severity::high : Severity::moderate;
    const LabResult* baseline = ctx.exposure.baseline_for(platelets, r.time);
    const bool below_range = r.range.low && less(*r.value, *r.range.low);
    const bool relative = baseline && below_range && less_equal(*r.value, *baseline->value * (1 - drop));
    if (relative && !tier) tier = Severity::low;
    if (tier) qualifiers.push_back({&r, *tier, relative ? baseline : nullptr, {}, {}, {}});
  });
  emit_lab_episodes(ctx, "itp", std::move(qualifiers), out);
}

void neutropenia_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("neutropenia");
  const double below = def.threshold("neutrophils_below");
  const double moderate = def.threshold("moderate_below");
  const double high = def.threshold("high_below");
  std::vector<Qualifier> qualifiers;
  for_each_outside_acute(ctx, "neutrophils", [&](const LabResult& r) {
    if (!less(*r.value, below)) return;
    const Severity tier = less(*r.value, high) ? Severity::high : less(*r.value, moderate) ? Severity::moderate : Severity::low;
    qualifiers.push_back({&r, tier, nullptr, {}, {}, {}});
  });
  emit_lab_episodes(ctx, "neutropenia", std::move(qualifiers), out);
}

void anaemia_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("anaemia");
  const double below = def.threshold("haemoglobin_below");
  const double high = def.threshold("high_below");
  std::vector<Qualifier> qualifiers;
  for_each_outside_acute(ctx, "haemoglobin", [&](const LabResult& r) {
    if (less(*r.value, below)) qualifiers.push_back({&r, less(*r.value, high) ? Severity::high : Severity::moderate, nullptr, {}, {}, {}});
  });
  emit_lab_episodes(ctx, "anaemia", std::move(qualifiers), out);
}

void pure_red_cell_aplasia_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("pure-red-cell-aplasia");
  const double hb_below = def.threshold("haemoglobin_below");
  const fhir::Days pairing{static_cast<long>(def.threshold("pairing_days"))};
  // Low reticulocytes, as percent or absolute count, in time order.
  std::vector<const LabResult*> low_retics;
  for (const auto& [name, limit] : {std::pair{"reticulocytes_percent", def.threshold("reticulocytes_percent_below")},
                                    std::pair{"reticulocytes_absolute", def.threshold("reticulocytes_absolute_below")}})
    for (const auto& r : ctx.series(name))
      if (r.value && r.time <= ctx.at && less(*r.value, limit)) low_retics.push_back(&r);
  std::sort(low_retics.begin(), low_retics.end(), earlier);
  std::vector<Qualifier> qualifiers;
  for_each_outside_acute(ctx, "haemoglobin", [&](const LabResult& r) {
    if (!less(*r.value, hb_below)) return;
    Qualifier q{&r, Severity::high, nullptr, {}, {}, {}};
    for (const auto* retic : low_retics)
      if (retic->time >= r.time - pairing && retic->time <= r.time + pairing) q.also_qualifying.push_back(retic);
    if (q.also_qualifying.empty()) return;
    const auto& retic = *q.also_qualifying.front();
    q.clause = " with " + describe_result(retic, ctx.mappings.analytes.all()[retic.analyte]);
    qualifiers.push_back(std::move(q));
  });
  emit_lab_episodes(ctx, "pure-red-cell-aplasia", std::move(qualifiers), out);
}

}  // namespace alemwatch::adapter
