// The time axis of a patient's charts, and the exposure timeline drawn on it.
#include <fmt/format.h>

#include <algorithm>

#include "alemwatch/adapter/detail_text.hpp"
#include "alemwatch/adapter/report_markup.hpp"
#include "alemwatch/adapter/report_patient.hpp"

namespace alemwatch::adapter {
namespace {

std::string dose_text(const Administration& a) {
  if (!a.dose_mg) return "dose unknown";
  std::string s = format_number(*a.dose_mg) + " mg";
  if (a.dose_ml && a.strength_mg_per_ml)
    s += " (" + format_number(*a.dose_ml) + " mL at " + format_number(*a.strength_mg_per_ml) + " mg/mL)";
  return s;
}

std::string infusion_label(const Administration& a, const Course& c) {
  return fmt::format("Infusion {} (course {}): {}, {}", fhir::format_utc_datetime(a.time), c.number, dose_text(a),
                     a.status);
}

}  // namespace

TimeAxis TimeAxis::for_patient(const PatientRecord& record, const Exposure& exposure,
                               const mappings::ExposureSettings& settings, fhir::Instant at) {
  TimeAxis axis{exposure.first_infusion() - settings.baseline_lookback, std::max(at, record.infusions.back().time)};
  for (const auto& series : record.series)
    if (!series.empty()) axis.to = std::max(axis.to, series.back().time);
  if (axis.to <= axis.from) axis.to = axis.from + fhir::Days{1};
  return axis;
}

double TimeAxis::days(fhir::Instant t) {
  return static_cast<double>(t.time().time_since_epoch().count()) / (24.0 * 3600.0 * 1000.0);
}

std::vector<ChartTick> TimeAxis::ticks() const {
  using namespace std::chrono;
  const double span = days(to) - days(from);
  const unsigned step = span <= 200 ? 1 : span <= 800 ? 3 : span <= 2000 ? 6 : 12;
  const year_month_day first = from.utc_date();
  year_month ym = first.year() / first.month();
  if (first.day() != day{1}) ym += months{1};
  std::vector<ChartTick> out;
  for (; fhir::start_of_day(ym / 1) <= to; ym += months{1}) {
    if ((static_cast<unsigned>(ym.month()) - 1) % step != 0) continue;
    out.push_back({days(fhir::start_of_day(ym / 1)),
                   fmt::format("{:04}-{:02}", static_cast<int>(ym.year()), static_cast<unsigned>(ym.month()))});
  }
  return out;
}

std::string render_exposure_timeline(const PatientView& p) {
  const ChartGeometry g{.height = 70, .top = 10, .bottom = 24};
  const LinearScale x{TimeAxis::days(p.axis.from), TimeAxis::days(p.axis.to), g.left, g.width - g.right};
  const double lane_top = g.top + 6, lane_height = 24, mid = lane_top + lane_height / 2;
  const std::string id = escape_html("timeline-" + p.record.id);
  std::string svg = fmt::format(
      "<svg class=\"timeline\" id=\"{0}\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" height=\"{2}\" role=\"img\" "
      "aria-labelledby=\"{0}-title {0}-desc\" font-family=\"sans-serif\">\n<title id=\"{0}-title\">{3}</title>\n"
      "<desc id=\"{0}-desc\">{4}</desc>\n",
      id, svg_number(g.width), svg_number(g.height),
      escape_html("Alemtuzumab exposure of patient " + p.record.id),
      escape_html(fmt::format("{} course(s), {} infusion(s); shaded: each course's acute window", p.exposure.courses().size(),
                              p.record.infusions.size())));
  svg += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#888\"/>\n",
                     svg_number(g.left), svg_number(g.width - g.right), svg_number(mid));
  for (const auto& c : p.exposure.courses()) {
    const double x0 = x(TimeAxis::days(c.first)), x1 = std::min(x(TimeAxis::days(c.acute_end)), g.width - g.right);
    svg += fmt::format(
        "<rect class=\"course\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#7d3c98\" fill-opacity=\"0.18\">"
        "<title>{}</title></rect>\n",
        svg_number(x0), svg_number(lane_top), svg_number(std::max(2.0, x1 - x0)), svg_number(lane_height),
        escape_html(fmt::format("Course {}: {} to {}, acute window to {}", c.number, fhir::format_utc_date(c.first),
                                fhir::format_utc_date(c.last), fhir::format_utc_date(c.acute_end))));
    svg += fmt::format("<text class=\"course-label\" x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>\n", svg_number(x0),
                       svg_number(lane_top - 2), escape_html(fmt::format("course {}", c.number)));
    for (const auto* a : c.infusions)
      svg += fmt::format(
          "<circle class=\"infusion\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"#7d3c98\"><title>{}</title></circle>\n",
          svg_number(x(TimeAxis::days(a->time))), svg_number(mid), escape_html(infusion_label(*a, c)));
  }
  for (const auto& t : p.axis.ticks())
    svg += fmt::format("<text class=\"tick x-tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>\n",
                       svg_number(x(t.value)), svg_number(g.height - 6), escape_html(t.label));
  svg += "</svg>\n";

  std::string list = "<table class=\"infusions\">\n<thead><tr><th>course</th><th>infusion</th><th>dose</th>"
                     "<th>status</th><th>MedicationAdministration</th></tr></thead>\n<tbody>\n";
  for (const auto& c : p.exposure.courses())
    for (const auto* a : c.infusions)
      list += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", c.number,
                          escape_html(fhir::format_utc_datetime(a->time)), escape_html(dose_text(*a)),
                          escape_html(a->status), escape_html(a->id));
  list += "</tbody>\n</table>\n";
  return "<div class=\"exposure\">\n<h3>Exposure</h3>\n" + svg + list + "</div>\n";
}

}  // namespace alemwatch::adapter
