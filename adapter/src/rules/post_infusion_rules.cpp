// post-infusion-tma and acute-kidney-injury: one episode per course, in its acute window.
#include <algorithm>

#include "alemwatch/adapter/detail_text.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/decimal.hpp"

namespace alemwatch::adapter {

using namespace fhir::decimal;

namespace {

struct LimbHit {
  const LabResult* result;
  const LabResult* baseline = nullptr;  // when a relative criterion was met
  const LabResult* earlier = nullptr;   // the earlier creatinine of a 48-hour rise
  Severity severity = Severity::high;
};

// The lowest creatinine at most `window` before r (strictly earlier) that r exceeds by at least
// `rise`; ties go to the earliest.
const LabResult* rise_from(const LabSeries& creatinine, const LabResult& r, double rise, fhir::Hours window,
                           fhir::Instant at) {
  const LabResult* lowest = nullptr;
  for (const auto& e : creatinine) {
    if (e.time >= r.time) break;
    if (e.time > at || r.time - e.time > window) continue;
    if (greater_equal(*r.value - *e.value, rise) && (!lowest || *e.value < *lowest->value)) lowest = &e;
  }
  return lowest;
}

// Results of `series` in the acute window of `course`, not after the evaluation time.
template <class F>
void in_window(const RuleContext& ctx, const Course& course, const LabSeries& series, F f) {
  for (const auto& r : series)
    if (r.value && course.in_acute_window(r.time) && r.time <= ctx.at) f(r);
}

struct CreatinineCriteria {
  double ratio;
  double rise;
  fhir::Hours window;
};

// Creatinine results meeting the ratio or the 48-hour rise criterion in `course`'s window.
std::vector<LimbHit> creatinine_hits(const RuleContext& ctx, const Course& course, const CreatinineCriteria& c,
                                     bool above_range_without_baseline) {
  const auto& creatinine = ctx.series("creatinine");
  const LabResult* baseline = ctx.exposure.baseline(creatinine, course);
  std::vector<LimbHit> hits;
  in_window(ctx, course, creatinine, [&](const LabResult& r) {
    LimbHit hit{&r};
    if (baseline && greater_equal(*r.value, *baseline->value * c.ratio)) hit.baseline = baseline;
    hit.earlier = rise_from(creatinine, r, c.rise, c.window, ctx.at);
    const bool above_range = !baseline && above_range_without_baseline && r.range.high && greater(*r.value, *r.range.high);
    if (hit.baseline || hit.earlier || above_range) hits.push_back(hit);
  });
  return hits;
}

void cite(Signal& s, const std::vector<LimbHit>& hits) {
  for (const auto& h : hits) s.evidence[h.result->analyte].add_qualifying(h.result);
  for (const auto& h : hits)
    if (h.baseline) s.evidence[h.baseline->analyte].add_supporting(h.baseline);
  for (const auto& h : hits)
    if (h.earlier) s.evidence[h.earlier->analyte].add_supporting(h.earlier);
}

std::vector<LimbHit> platelet_hits(const RuleContext& ctx, const Course& course, const mappings::SignalDefinition& def) {
  const auto& platelets = ctx.series("platelets");
  const LabResult* baseline = ctx.exposure.baseline(platelets, course);
  const double below = def.threshold("platelets_below");
  const double drop = def.threshold("platelets_relative_drop_at_least");
  std::vector<LimbHit> hits;
  in_window(ctx, course, platelets, [&](const LabResult& r) {
    const bool relative = baseline && less_equal(*r.value, *baseline->value * (1 - drop));
    if (less(*r.value, below) || relative) hits.push_back({&r, relative ? baseline : nullptr});
  });
  return hits;
}

std::vector<LimbHit> haemolysis_hits(const RuleContext& ctx, const Course& course, const mappings::SignalDefinition& def) {
  const auto& hb = ctx.series("haemoglobin");
  const LabResult* baseline = ctx.exposure.baseline(hb, course);
  const double drop = def.threshold("haemoglobin_drop_at_least");
  const double below = def.threshold("haemoglobin_below");
  std::vector<LimbHit> hits;
  in_window(ctx, course, hb, [&](const LabResult& r) {
    const bool relative = baseline && greater_equal(*baseline->value - *r.value, drop);
    if (less(*r.value, below) || relative) hits.push_back({&r, relative ? baseline : nullptr});
  });
  in_window(ctx, course, ctx.series("ldh"), [&](const LabResult& r) {
    if (r.range.high && greater(*r.value, *r.range.high)) hits.push_back({&r});
  });
  in_window(ctx, course, ctx.series("haptoglobin"), [&](const LabResult& r) {
    if (r.range.low && less(*r.value, *r.range.low)) hits.push_back({&r});
  });
  return hits;
}

bool by_time(const LimbHit& a, const LimbHit& b) { return earlier(a.result, b.result); }

std::string result_text(const RuleContext& ctx, const LabResult& r) {
  return describe_result(r, ctx.mappings.analytes.all()[r.analyte]);
}

}  // namespace

void post_infusion_tma_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("post-infusion-tma");
  const CreatinineCriteria criteria{def.threshold("creatinine_ratio_at_least"), def.threshold("creatinine_rise_at_least"),
                                    fhir::Hours(static_cast<long>(def.threshold("creatinine_rise_hours")))};
  for (const auto& course : ctx.exposure.courses()) {
    std::vector<std::vector<LimbHit>> limbs{platelet_hits(ctx, course, def), haemolysis_hits(ctx, course, def),
                                            creatinine_hits(ctx, course, criteria, true)};
    if (std::any_of(limbs.begin(), limbs.end(), [](const auto& l) { return l.empty(); })) continue;
    Signal s = ctx.make_signal("post-infusion-tma", &course);
    s.anchor = course.anchor();
    s.severity = Severity::high;
    std::vector<std::string> firsts;
    fhir::Instant completed;
    for (auto& limb : limbs) {
      std::sort(limb.begin(), limb.end(), by_time);
      completed = std::max(completed, limb.front().result->time);
      firsts.push_back(result_text(ctx, *limb.front().result));
    }
    for (const auto& limb : limbs) cite(s, limb);
    s.identified = fhir::format_utc_datetime(completed);
    if (def.snomed_coding()) s.snomed = "default";
    s.detail = "In the " + std::to_string(ctx.mappings.exposure.acute_window.count()) + " days after course " +
               std::to_string(course.number) + " (started " + fhir::format_utc_date(course.first) + "): " +
               join_list(firsts) + ". Possible " + def.condition + ". " + def.rule_text;
    out.push_back(std::move(s));
  }
}

void acute_kidney_injury_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("acute-kidney-injury");
  const CreatinineCriteria criteria{def.threshold("creatinine_ratio_at_least"), def.threshold("creatinine_rise_at_least"),
                                    fhir::Hours(static_cast<long>(def.threshold("creatinine_rise_hours")))};
  const double high_ratio = def.threshold("high_ratio_at_least");
  const double high_value = def.threshold("high_creatinine_at_least");
  const auto& creatinine_analyte = ctx.analyte("creatinine");
  for (const auto& course : ctx.exposure.courses()) {
    auto hits = creatinine_hits(ctx, course, criteria, false);
    if (hits.empty()) continue;
    std::sort(hits.begin(), hits.end(), by_time);
    const LabResult* baseline = ctx.exposure.baseline(ctx.series("creatinine"), course);
    Signal s = ctx.make_signal("acute-kidney-injury", &course);
    s.anchor = course.anchor();
    s.severity = Severity::moderate;
    for (const auto& h : hits) {
      const bool high = greater_equal(*h.result->value, high_value) ||
                        (baseline && greater_equal(*h.result->value, *baseline->value * high_ratio));
      if (high) s.severity = Severity::high;
    }
    cite(s, hits);
    const auto& first = hits.front();
    s.identified = fhir::format_utc_datetime(first.result->time);
    if (def.snomed_coding()) s.snomed = "default";
    s.detail = describe_result(*first.result, creatinine_analyte) + ", " + relative_to_infusion(first.result->time, ctx.exposure);
    if (first.baseline)
      s.detail += "; baseline " + describe_value(*first.baseline, creatinine_analyte) + " on " +
                  fhir::format_utc_date(first.baseline->time) + ".";
    else
      s.detail += "; " + describe_value(*first.earlier, creatinine_analyte) + " on " +
                  fhir::format_utc_date(first.earlier->time) + " within the previous " +
                  std::to_string(criteria.window.count()) + " hours.";
    s.detail += " Possible " + def.condition + ". " + def.rule_text;
    out.push_back(std::move(s));
  }
}

}  // namespace alemwatch::adapter
