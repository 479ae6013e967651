// A patient's exposure to alemtuzumab: courses, the acute and monitoring windows, baselines.
#pragma once

#include <optional>
#include <vector>

#include "alemwatch/adapter/course.hpp"
#include "alemwatch/adapter/patient_record.hpp"
#include "alemwatch/mappings/exposure_settings.hpp"

namespace alemwatch::adapter {

class Exposure {
 public:
  // `record` must have at least one infusion and outlive this object.
  Exposure(const PatientRecord& record, const mappings::ExposureSettings& settings);

  const std::vector<Course>& courses() const { return courses_; }
  fhir::Instant first_infusion() const { return courses_.front().first; }
  fhir::Instant monitoring_end() const { return monitoring_end_; }

  bool in_monitoring_window(fhir::Instant t) const { return first_infusion() <= t && t <= monitoring_end_; }
  bool in_any_acute_window(fhir::Instant t) const;
  // In the monitoring window and in no acute window.
  bool outside_acute_windows(fhir::Instant t) const { return in_monitoring_window(t) && !in_any_acute_window(t); }

  // The latest course that began at or before t, if any.
  const Course* course_at(fhir::Instant t) const;
  // The latest infusion at or before t, with its course.
  std::optional<std::pair<const mappings::Administration*, const Course*>> last_infusion_at(fhir::Instant t) const;

  // The latest result of `series` in the lookback before `course` began (strictly before).
  const LabResult* baseline(const LabSeries& series, const Course& course) const;
  // The baseline that applies to a result at time t: that of course_at(t).
  const LabResult* baseline_for(const LabSeries& series, fhir::Instant t) const;

 private:
  std::vector<Course> courses_;
  fhir::Instant monitoring_end_;
  fhir::Days baseline_lookback_;
};

}  // namespace alemwatch::adapter
