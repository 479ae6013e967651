// The exposure model's windows and the statuses that count, loaded from exposure.json.
#pragma once

#include <boost/json/value.hpp>

#include <set>
#include <string>

#include "alemwatch/fhir/instant.hpp"
#include "alemwatch/mappings/json_file.hpp"

namespace alemwatch::mappings {

struct ExposureSettings {
  fhir::Days course_gap{30};
  fhir::Days acute_window{14};
  fhir::Days monitoring_window{1461};
  fhir::Days baseline_lookback{90};
  fhir::Days episode_gap{90};
  std::set<std::string, std::less<>> countable_observation_statuses;
  std::set<std::string, std::less<>> exposure_administration_statuses;

  static Loaded<ExposureSettings> load(const boost::json::value& json, const std::string& file);
};

}  // namespace alemwatch::mappings
