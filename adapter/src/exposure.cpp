#include "alemwatch/adapter/exposure.hpp"

#include <algorithm>

namespace alemwatch::adapter {

const LabSeries& PatientRecord::results(AnalyteId analyte) const {
  static const LabSeries none;
  return analyte < series.size() ? series[analyte] : none;
}

Exposure::Exposure(const PatientRecord& record, const mappings::ExposureSettings& settings)
    : courses_(group_courses(record.infusions, settings.course_gap, settings.acute_window)),
      baseline_lookback_(settings.baseline_lookback) {
  monitoring_end_ = courses_.back().last + settings.monitoring_window;
}

bool Exposure::in_any_acute_window(fhir::Instant t) const {
  return std::any_of(courses_.begin(), courses_.end(), [&](const Course& c) { return c.in_acute_window(t); });
}

const Course* Exposure::course_at(fhir::Instant t) const {
  const Course* found = nullptr;
  for (const auto& c : courses_)
    if (c.first <= t) found = &c;
  return found;
}

std::optional<std::pair<const mappings::Administration*, const Course*>> Exposure::last_infusion_at(fhir::Instant t) const {
  std::optional<std::pair<const mappings::Administration*, const Course*>> found;
  for (const auto& c : courses_)
    for (const auto* i : c.infusions)
      if (i->time <= t) found = std::pair{i, &c};
  return found;
}

const LabResult* Exposure::baseline(const LabSeries& series, const Course& course) const {
  const LabResult* found = nullptr;
  for (const auto& r : series) {
    if (r.time >= course.first) break;
    if (r.time >= course.first - baseline_lookback_) found = &r;
  }
  return found;
}

const LabResult* Exposure::baseline_for(const LabSeries& series, fhir::Instant t) const {
  const Course* c = course_at(t);
  return c ? baseline(series, *c) : nullptr;
}

}  // namespace alemwatch::adapter
