// One exposed patient's section of the HTML report: the exposure timeline, one chart per analyte
// with results, and the monitoring schedule. Each part is in its own source file
// (src/report/report_timeline.cpp, report_analyte_chart.cpp, report_schedule.cpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "alemwatch/adapter/exposure.hpp"
#include "alemwatch/adapter/patient_record.hpp"
#include "alemwatch/adapter/report_svg_chart.hpp"
#include "alemwatch/fhir/instant.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

// Observation id -> the signal codes whose DetectedIssue cites it as evidence.
using EvidenceIndex = std::map<std::string, std::vector<std::string>>;

// The monitoring window drawn for a patient: from the first infusion less the baseline look-back
// to the later of the evaluation time, the last result and the last infusion. x is in days.
struct TimeAxis {
  fhir::Instant from;
  fhir::Instant to;

  static TimeAxis for_patient(const PatientRecord& record, const Exposure& exposure,
                              const mappings::ExposureSettings& settings, fhir::Instant at);
  static double days(fhir::Instant t);  // days since 1970-01-01, fractional
  bool contains(fhir::Instant t) const { return from <= t && t <= to; }
  // Month starts ("2025-04"), every 1, 3, 6 or 12 months depending on the span.
  std::vector<ChartTick> ticks() const;
};

struct PatientView {
  const PatientRecord& record;
  const Exposure& exposure;
  const mappings::Mappings& mappings;
  fhir::Instant at;
  const EvidenceIndex& evidence;
  TimeAxis axis;
};

// The courses and infusions as an SVG lane and as a list (dates, doses, statuses).
std::string render_exposure_timeline(const PatientView& p);

// The analytes with at least one result in the axis window, in catalogue order.
std::vector<const mappings::Analyte*> charted_analytes(const PatientView& p);
// The chart of one analyte (reference range band, thresholds, infusion markers, evidence
// highlighted) and its data table, as a <figure class="analyte-chart">.
LineChart analyte_chart(const PatientView& p, const mappings::Analyte& analyte);
std::string render_analyte_figure(const PatientView& p, const mappings::Analyte& analyte);

// Per monitored test family: the last result, the date by which the next is due, overdue marked.
std::string render_monitoring_schedule(const PatientView& p);

// The whole section, <section class="patient" id="patient-<id>">.
std::string render_patient_section(const PatientView& p);

}  // namespace alemwatch::adapter
