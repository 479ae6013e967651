// Everything mapped for one patient: alemtuzumab infusions and laboratory results by analyte.
#pragma once

#include <string>
#include <vector>

#include "alemwatch/mappings/administration.hpp"
#include "alemwatch/mappings/lab_result.hpp"

namespace alemwatch::adapter {

using mappings::Administration;
using mappings::AnalyteId;
using mappings::LabResult;

// One analyte's results for one patient, in time order (ties by Observation id).
using LabSeries = std::vector<LabResult>;

// The order of results everywhere: by time, ties by Observation id.
inline bool earlier(const LabResult* a, const LabResult* b) {
  return a->time != b->time ? a->time < b->time : a->observation_id < b->observation_id;
}

struct PatientRecord {
  std::string id;
  std::vector<Administration> infusions;  // exposures only, in time order (ties by id)
  std::vector<LabSeries> series;          // indexed by AnalyteId

  const LabSeries& results(AnalyteId analyte) const;
};

}  // namespace alemwatch::adapter
