// dose-out-of-range, course-too-long, course-interval-short, contraindication-hiv: rules about
// the infusions themselves.
#include <cmath>

#include "alemwatch/adapter/detail_text.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/decimal.hpp"

namespace alemwatch::adapter {

using namespace fhir::decimal;

void dose_out_of_range_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("dose-out-of-range");
  const double dose = def.threshold("dose_mg");
  const double tolerance = def.threshold("tolerance_fraction");
  for (const auto& course : ctx.exposure.courses()) {
    for (const auto* i : course.infusions) {
      // Only a completed infusion's dose is whole; an oncology product has other doses.
      if (i->status != "completed" || i->product == mappings::Product::oncology || !i->dose_mg) continue;
      if (!greater(std::fabs(*i->dose_mg - dose), dose * tolerance)) continue;
      Signal s = ctx.make_signal("dose-out-of-range", &course);
      s.anchor = i->id;
      s.identified = fhir::format_utc_datetime(i->time);
      s.severity = Severity::moderate;
      s.category = *i->dose_mg > dose ? "high" : "low";
      std::string amount = format_number(*i->dose_mg) + " mg";
      if (i->dose_ml && i->strength_mg_per_ml)
        amount += " (" + format_number(*i->dose_ml) + " mL at " + format_number(*i->strength_mg_per_ml) + " mg/mL)";
      s.detail = "Infusion on " + fhir::format_utc_date(i->time) + " (course " + std::to_string(course.number) +
                 ") recorded " + amount + ", outside " + format_number(dose) + " mg +/- " +
                 format_number(tolerance * 100) + " %. " + def.rule_text;
      out.push_back(std::move(s));
    }
  }
}

void course_too_long_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("course-too-long");
  for (const auto& course : ctx.exposure.courses()) {
    if (course.oncology_only()) continue;
    const auto max = static_cast<std::size_t>(
        def.threshold(course.number == 1 ? "first_course_max_infusions" : "later_course_max_infusions"));
    if (course.infusions.size() <= max) continue;
    Signal s = ctx.make_signal("course-too-long", &course);
    s.anchor = course.anchor();
    s.identified = fhir::format_utc_datetime(course.first);
    s.severity = Severity::moderate;
    s.detail = "Course " + std::to_string(course.number) + " from " + fhir::format_utc_date(course.first) + " to " +
               fhir::format_utc_date(course.last) + " has " + std::to_string(course.infusions.size()) +
               " infusions; at most " + std::to_string(max) + " are expected. " + def.rule_text;
    out.push_back(std::move(s));
  }
}

void course_interval_short_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("course-interval-short");
  const fhir::Days minimum{static_cast<long>(def.threshold("minimum_interval_days"))};
  const auto& courses = ctx.exposure.courses();
  for (std::size_t k = 1; k < courses.size(); ++k) {
    const auto& course = courses[k];
    const auto& previous = courses[k - 1];
    if (course.oncology_only() || course.first - previous.last >= minimum) continue;
    Signal s = ctx.make_signal("course-interval-short", &course);
    s.anchor = course.anchor();
    s.identified = fhir::format_utc_datetime(course.first);
    s.severity = Severity::moderate;
    const auto days = std::chrono::floor<fhir::Days>(course.first - previous.last).count();
    s.detail = "Course " + std::to_string(course.number) + " started on " + fhir::format_utc_date(course.first) + ", " +
               std::to_string(days) + " days after the last infusion of course " + std::to_string(previous.number) +
               " on " + fhir::format_utc_date(previous.last) + ". " + def.rule_text;
    out.push_back(std::move(s));
  }
}

void contraindication_hiv_rule(const RuleContext& ctx, Signals& out) {
  const auto& def = ctx.signal("contraindication-hiv");
  std::vector<const LabResult*> positives;
  for (const auto& name : def.analyte_names)
    for (const auto& r : ctx.series(name))
      if (r.time <= ctx.at && r.positivity == mappings::Positivity::positive) positives.push_back(&r);
  if (positives.empty()) return;
  for (const auto& course : ctx.exposure.courses()) {
    for (const auto* infusion : course.infusions) {
      std::vector<const LabResult*> before;
      for (const auto* p : positives)
        if (p->time < infusion->time) before.push_back(p);
      if (before.empty()) continue;
      std::sort(before.begin(), before.end(), earlier);
      Signal s = ctx.make_signal("contraindication-hiv", &course);
      s.anchor = course.anchor();
      s.identified = fhir::format_utc_datetime(infusion->time);
      s.severity = Severity::high;
      for (const auto* p : before) s.evidence[p->analyte].add_qualifying(p);
      s.detail = "Alemtuzumab infused on " + fhir::format_utc_date(infusion->time) + " (course " +
                 std::to_string(course.number) + ") after a positive HIV screen on " +
                 fhir::format_utc_date(before.back()->time) + ". " + def.rule_text;
      out.push_back(std::move(s));
      break;  // one episode per course
    }
  }
}

}  // namespace alemwatch::adapter
