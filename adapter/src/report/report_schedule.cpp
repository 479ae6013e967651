// The monitoring schedule: when each test family was last done and when the next is due, by the
// same arithmetic as the monitoring-overdue rules (rules/monitoring_rules.cpp).
#include <fmt/format.h>

#include <optional>

#include "alemwatch/adapter/report_markup.hpp"
#include "alemwatch/adapter/report_patient.hpp"
#include "alemwatch/adapter/test_family.hpp"

namespace alemwatch::adapter {
namespace {

// Which overdue signal watches each family (its overdue_after_days is the allowed interval).
struct ScheduledFamily {
  const TestFamily& family;
  const char* signal;
};

const LabResult* latest(const PatientView& p, const TestFamily& f, std::optional<fhir::Instant> from) {
  const LabResult* best = nullptr;
  for (const auto& name : f.analytes)
    for (const auto& r : p.record.results(p.mappings.analytes.by_name(name)->id))
      if (r.time <= p.at && (!from || r.time >= *from) && (!best || earlier(best, &r))) best = &r;
  return best;
}

std::string schedule_row(const PatientView& p, const ScheduledFamily& s) {
  const fhir::Days allowed{static_cast<long>(p.mappings.signals.get(s.signal).threshold("overdue_after_days"))};
  const LabResult* last_ever = latest(p, s.family, std::nullopt);
  const LabResult* last = latest(p, s.family, p.exposure.first_infusion());
  const fhir::Instant since = last ? last->time : p.exposure.first_infusion();
  const auto due = std::chrono::year_month_day(std::chrono::sys_days(since.utc_date()) + allowed);
  std::string status, cls;
  if (!p.exposure.in_monitoring_window(p.at)) {
    status = p.at < p.exposure.first_infusion() ? "before treatment"
                                                : "monitoring window closed " + fhir::format_utc_date(p.exposure.monitoring_end());
    cls = "closed";
  } else if (p.at - since > allowed) {
    status = "OVERDUE since " + fhir::format_date(due);
    cls = "overdue";
  } else {
    status = "due by " + fhir::format_date(due);
    cls = "due";
  }
  return fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", cls,
                     escape_html(s.family.name), fmt::format("every {} days", allowed.count()),
                     escape_html(last_ever ? fhir::format_utc_date(last_ever->time) : "none"),
                     escape_html(last ? "" : "counted from the first infusion " +
                                                 fhir::format_utc_date(p.exposure.first_infusion())),
                     escape_html(status));
}

}  // namespace

std::string render_monitoring_schedule(const PatientView& p) {
  const ScheduledFamily families[] = {{platelet_count_family(), "monitoring-overdue-cbc"},
                                      {creatinine_family(), "monitoring-overdue-renal"},
                                      {urinalysis_family(), "monitoring-overdue-renal"},
                                      {tsh_family(), "monitoring-overdue-thyroid"}};
  std::string out = fmt::format(
      "<div class=\"schedule\">\n<h3>Monitoring schedule at {}</h3>\n<table>\n<thead><tr><th>test</th><th>at most</th>"
      "<th>last result</th><th>note</th><th>next</th></tr></thead>\n<tbody>\n",
      escape_html(fhir::format_utc_datetime(p.at)));
  for (const auto& f : families) out += schedule_row(p, f);
  return out + "</tbody>\n</table>\n</div>\n";
}

std::string render_patient_section(const PatientView& p) {
  const std::string id = escape_html(p.record.id);
  std::string out = fmt::format("<section class=\"patient\" id=\"patient-{0}\">\n<h2>Patient {0}</h2>\n", id);
  out += render_exposure_timeline(p);
  const auto analytes = charted_analytes(p);
  out += fmt::format("<div class=\"charts\">\n<h3>Results from {} to {}</h3>\n", fhir::format_utc_date(p.axis.from),
                     fhir::format_utc_date(p.axis.to));
  if (analytes.empty()) out += "<p>No laboratory results in this window.</p>\n";
  for (const auto* a : analytes) out += render_analyte_figure(p, *a);
  out += "</div>\n";
  out += render_monitoring_schedule(p);
  return out + "</section>\n";
}

}  // namespace alemwatch::adapter
