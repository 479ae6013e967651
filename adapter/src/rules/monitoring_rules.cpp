// monitoring-overdue-* and baseline-missing: tests that were not done when they were due.
#include <algorithm>

#include "alemwatch/adapter/detail_text.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/adapter/test_family.hpp"

namespace alemwatch::adapter {
namespace {

// The latest result of a family in [from, to], if any.
const LabResult* latest_result(const RuleContext& ctx, const TestFamily& family, fhir::Instant from, fhir::Instant to) {
  const LabResult* latest = nullptr;
  for (const auto& name : family.analytes)
    for (const auto& r : ctx.series(name))
      if (r.time >= from && r.time <= to &&
          (!latest || r.time > latest->time || (r.time == latest->time && r.observation_id > latest->observation_id)))
        latest = &r;
  return latest;
}

struct Lapse {
  const TestFamily* family;
  const LabResult* last;  // null: nothing since the first infusion
  std::chrono::year_month_day overdue_date;
};

// The current lapse of a family, if the evaluation time is past its grace period.
std::optional<Lapse> current_lapse(const RuleContext& ctx, const TestFamily& family, fhir::Days allowed) {
  const fhir::Instant first = ctx.exposure.first_infusion();
  const LabResult* last = latest_result(ctx, family, first, ctx.at);
  const fhir::Instant since = last ? last->time : first;
  if (ctx.at - since <= allowed) return std::nullopt;
  const auto due = std::chrono::sys_days(since.utc_date()) + allowed;
  return Lapse{&family, last, std::chrono::year_month_day(due)};
}

std::string lapse_text(const RuleContext& ctx, const Lapse& l) {
  if (l.last) return "No " + l.family->name + " since " + fhir::format_utc_date(l.last->time);
  return "No " + l.family->name + " since the first alemtuzumab infusion on " +
         fhir::format_utc_date(ctx.exposure.first_infusion());
}

void overdue_signal(const RuleContext& ctx, std::string_view code, const std::vector<const TestFamily*>& families,
                    Signals& out) {
  const auto& def = ctx.signal(code);
  const fhir::Days allowed{static_cast<long>(def.threshold("overdue_after_days"))};
  std::vector<Lapse> lapses;
  for (const auto* f : families)
    if (auto l = current_lapse(ctx, *f, allowed)) lapses.push_back(*l);
  if (lapses.empty()) return;
  const auto earliest = std::min_element(lapses.begin(), lapses.end(), [](const Lapse& a, const Lapse& b) {
                          return a.overdue_date < b.overdue_date;
                        })->overdue_date;
  Signal s = ctx.make_signal(code, &ctx.exposure.courses().back());
  s.anchor = fhir::format_date(earliest);
  s.identified = s.anchor;
  s.severity = code == "monitoring-overdue-thyroid" ? Severity::low : Severity::moderate;
  std::vector<std::string> parts;
  for (const auto& l : lapses) {
    parts.push_back(lapse_text(ctx, l));
    if (l.last) s.evidence[l.last->analyte].add_qualifying(l.last);
  }
  std::string joined;
  for (auto& p : parts) {
    if (!joined.empty()) p[0] = 'n';  // "No creatinine since ...; no urinalysis since ..."
    joined += (joined.empty() ? "" : "; ") + p;
  }
  s.detail = joined + ": overdue since " + s.anchor + ". " + def.rule_text;
  out.push_back(std::move(s));
}

}  // namespace

void monitoring_overdue_rules(const RuleContext& ctx, Signals& out) {
  if (!ctx.exposure.in_monitoring_window(ctx.at)) return;
  overdue_signal(ctx, "monitoring-overdue-cbc", {&platelet_count_family()}, out);
  overdue_signal(ctx, "monitoring-overdue-renal", {&creatinine_family(), &urinalysis_family()}, out);
  overdue_signal(ctx, "monitoring-overdue-thyroid", {&tsh_family()}, out);
}

void baseline_missing_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("baseline-missing");
  const fhir::Days lookback{static_cast<long>(def.threshold("lookback_days"))};
  for (const auto& course : ctx.exposure.courses()) {
    std::vector<std::string> missing;
    for (const auto* f : {&platelet_count_family(), &creatinine_family(), &urinalysis_family(), &tsh_family()}) {
      // Strictly before the first infusion: a sample drawn with it is no baseline.
      if (!latest_result(ctx, *f, course.first - lookback, course.first - fhir::Milliseconds(1)))
        missing.push_back(f->name);
    }
    if (missing.empty()) continue;
    Signal s = ctx.make_signal("baseline-missing", &course);
    s.anchor = course.anchor();
    s.identified = fhir::format_utc_datetime(course.first);
    s.severity = Severity::low;
    s.detail = "Course " + std::to_string(course.number) + " started on " + fhir::format_utc_date(course.first) +
               " without " + join_list(missing) + " in the " + std::to_string(lookback.count()) +
               " days before its first infusion. " + def.rule_text;
    out.push_back(std::move(s));
  }
}

}  // namespace alemwatch::adapter
