#include "alemwatch/mappings/exposure_settings.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace alemwatch::mappings {

Loaded<ExposureSettings> ExposureSettings::load(const boost::json::value& json, const std::string& file) {
  DataFileReader r(file);
  ExposureSettings s;
  const auto* root = r.object(json, "");
  if (!root) return r.error();
  const auto days = [&](std::string_view key) {
    const double d = r.number_at(*root, key, std::string(key));
    if (d < 0 || d != std::floor(d)) r.fail(std::string(key), "expected a whole number of days");
    return fhir::Days(static_cast<long>(d));
  };
  s.course_gap = days("course_gap_days");
  s.acute_window = days("acute_window_days");
  s.monitoring_window = days("monitoring_window_days");
  s.baseline_lookback = days("baseline_lookback_days");
  s.episode_gap = days("episode_gap_days");
  for (auto& v : r.strings_at(*root, "countable_observation_statuses", "countable_observation_statuses"))
    s.countable_observation_statuses.insert(std::move(v));
  for (auto& v : r.strings_at(*root, "exposure_administration_statuses", "exposure_administration_statuses"))
    s.exposure_administration_statuses.insert(std::move(v));
  if (r.failed()) return r.error();
  return s;
}

}  // namespace alemwatch::mappings
