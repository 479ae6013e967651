// Which thresholds of signals.json the report draws as lines, on which analyte's chart.
//
// Only absolute limits ("platelets below 100") can be drawn as a line; relative ones (a drop from
// baseline, a ratio to it) depend on the baseline and are left to the signal's detail text. The
// table here holds names only: every number is read from the signal catalogue, so a hospital's
// tuned thresholds are what the report shows.
#pragma once

#include <string>
#include <vector>

#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

struct DrawnThreshold {
  double value = 0;
  std::string label;        // short: the first signal code, "+N" for the others: "post-infusion-tma +2 < 10"
  std::string description;  // in words: "Immune thrombocytopenia < 100 (high); ..."
};

// The thresholds that apply to `analyte_name`, one per distinct value (signals sharing a value
// share the line, their names joined), ordered by value.
std::vector<DrawnThreshold> thresholds_for(const mappings::Mappings& m, const std::string& analyte_name);

}  // namespace alemwatch::adapter
