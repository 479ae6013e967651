// What every rule reads: the mapping data, one patient's record and exposure, and "now".
#pragma once

#include <string_view>
#include <vector>

#include "alemwatch/adapter/exposure.hpp"
#include "alemwatch/adapter/patient_record.hpp"
#include "alemwatch/adapter/signal.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

struct RuleContext {
  const mappings::Mappings& mappings;
  const PatientRecord& patient;
  const Exposure& exposure;
  fhir::Instant at;  // the evaluation time

  const mappings::Analyte& analyte(std::string_view name) const;
  // The named analyte's results up to the evaluation time.
  const LabSeries& series(std::string_view name) const;
  const mappings::SignalDefinition& signal(std::string_view code) const;
  // A result the rules may judge: in the monitoring window and not after the evaluation time.
  bool judged(const LabResult& r) const { return r.time <= at && exposure.in_monitoring_window(r.time); }

  // A new Signal for this patient with `course`'s infusions implicated.
  Signal make_signal(std::string_view code, const Course* course) const;
};

using Signals = std::vector<Signal>;

}  // namespace alemwatch::adapter
