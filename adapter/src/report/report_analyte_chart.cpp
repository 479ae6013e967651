// One analyte's chart for one patient: its results over the monitoring window, the reference
// range, the rule thresholds, the infusions, and the results cited as evidence.
#include <fmt/format.h>

#include <algorithm>

#include "alemwatch/adapter/detail_text.hpp"
#include "alemwatch/adapter/report_markup.hpp"
#include "alemwatch/adapter/report_patient.hpp"
#include "alemwatch/adapter/report_thresholds.hpp"

namespace alemwatch::adapter {
namespace {

std::vector<const LabResult*> results_in_window(const PatientView& p, const mappings::Analyte& a) {
  std::vector<const LabResult*> out;
  for (const auto& r : p.record.results(a.id))
    if (p.axis.contains(r.time)) out.push_back(&r);
  return out;
}

// A chart of positive/negative readings rather than numbers: ordinal analytes, assay-specific
// antibodies (values in each laboratory's own units) and any series holding a reading without a
// number.
bool drawn_as_positivity(const mappings::Analyte& a, const std::vector<const LabResult*>& results) {
  if (!a.units || a.units->assay_specific) return true;
  return std::any_of(results.begin(), results.end(), [](const LabResult* r) { return !r->value; });
}

std::string unit_of(const mappings::Analyte& a) { return a.units ? a.units->display : std::string(); }

std::string range_text(const mappings::Range& r, const std::string& unit) {
  if (!r.low && !r.high) return "";
  std::string s = r.low && r.high ? format_number(*r.low) + "-" + format_number(*r.high)
                  : r.low         ? ">= " + format_number(*r.low)
                                  : "<= " + format_number(*r.high);
  return unit.empty() ? s : s + " " + unit;
}

std::string reading_text(const LabResult& r) {
  switch (r.positivity) {
    case mappings::Positivity::positive: return "positive";
    case mappings::Positivity::negative: return "negative";
    default: return "not interpretable";
  }
}

std::string evidence_text(const PatientView& p, const LabResult& r) {
  const auto it = p.evidence.find(r.observation_id);
  if (it == p.evidence.end()) return "";
  std::string s;
  for (const auto& code : it->second) s += (s.empty() ? "" : ", ") + code;
  return s;
}

std::string chart_id(const PatientView& p, const mappings::Analyte& a) { return "chart-" + p.record.id + "-" + a.name; }

}  // namespace

std::vector<const mappings::Analyte*> charted_analytes(const PatientView& p) {
  std::vector<const mappings::Analyte*> out;
  for (const auto& a : p.mappings.analytes.all())
    if (!results_in_window(p, a).empty()) out.push_back(&a);
  return out;
}

LineChart analyte_chart(const PatientView& p, const mappings::Analyte& a) {
  const auto results = results_in_window(p, a);
  const bool positivity = drawn_as_positivity(a, results);
  LineChart c;
  c.id = chart_id(p, a);
  c.title = fmt::format("{} of patient {}", a.label, p.record.id);
  c.x_min = TimeAxis::days(p.axis.from);
  c.x_max = TimeAxis::days(p.axis.to);
  c.x_ticks = p.axis.ticks();
  c.y_label = positivity ? a.label : a.label + (unit_of(a).empty() ? "" : " (" + unit_of(a) + ")");
  std::size_t highlighted = 0;
  for (const LabResult* r : results) {
    ChartPoint point{TimeAxis::days(r->time), 0, "", false};
    const std::string value = positivity ? reading_text(*r) : describe_value(*r, a);
    const std::string cited = evidence_text(p, *r);
    if (positivity) {
      // A number among readings (a strip reported in mg/dL beside "1+" ones): drawn as positive
      // when a signal cites it (the rule found it at or past its threshold), else only listed.
      if (r->positivity == mappings::Positivity::unknown) {
        if (cited.empty()) continue;
        point.y = 1;
      } else {
        point.y = r->positivity == mappings::Positivity::positive ? 1 : 0;
      }
    } else {
      point.y = *r->value;
    }
    point.highlighted = !cited.empty();
    highlighted += point.highlighted;
    point.label = fhir::format_utc_date(r->time) + ": " + value + (cited.empty() ? "" : " (evidence: " + cited + ")");
    c.points.push_back(std::move(point));
  }
  if (positivity) {
    c.y_ticks = {{0, "negative"}, {1, "positive"}};
  } else {
    if (!results.empty() && (results.back()->range.low || results.back()->range.high))
      c.band = ChartBand{results.back()->range.low, results.back()->range.high,
                         "Reference range " + range_text(results.back()->range, unit_of(a))};
    for (const auto& t : thresholds_for(p.mappings, a.name)) c.thresholds.push_back({t.value, t.label, t.description});
  }
  for (const auto& course : p.exposure.courses())
    for (const auto* inf : course.infusions)
      c.markers.push_back({TimeAxis::days(inf->time),
                           "", fmt::format("Alemtuzumab infusion {} (course {})", fhir::format_utc_date(inf->time),
                                           course.number)});
  c.desc = fmt::format("{} result(s) from {} to {}; {} cited as evidence of a signal; {}", results.size(),
                       fhir::format_utc_date(p.axis.from), fhir::format_utc_date(p.axis.to), highlighted,
                       c.band ? c.band->label : std::string("no reference range drawn"));
  return c;
}

std::string render_analyte_figure(const PatientView& p, const mappings::Analyte& a) {
  const LineChart chart = analyte_chart(p, a);
  const auto results = results_in_window(p, a);
  std::string table = fmt::format(
      "<details class=\"data\"><summary>{} results as a table</summary>\n<table>\n<thead><tr><th>time</th>"
      "<th>value</th><th>reference range</th><th>Observation</th><th>evidence of</th></tr></thead>\n<tbody>\n",
      escape_html(a.label));
  for (const LabResult* r : results) {
    const std::string cited = evidence_text(p, *r);
    std::string value = r->value && a.units && !a.units->assay_specific ? describe_value(*r, a) : reading_text(*r);
    if (!r->value_text.empty()) value += " (" + r->value_text + ")";
    table += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         cited.empty() ? "" : " class=\"evidence\"", escape_html(fhir::format_utc_datetime(r->time)),
                         escape_html(value), escape_html(range_text(r->range, unit_of(a))),
                         escape_html(r->observation_id), escape_html(cited));
  }
  table += "</tbody>\n</table>\n</details>\n";
  std::string legend;
  for (const auto& t : chart.thresholds) legend += "<li>" + escape_html(t.description) + "</li>";
  if (!legend.empty()) table = "<ul class=\"thresholds\">" + legend + "</ul>\n" + table;
  return fmt::format("<figure class=\"analyte-chart\" data-patient=\"{}\" data-analyte=\"{}\">\n"
                     "<figcaption>{}</figcaption>\n{}{}</figure>\n",
                     escape_html(p.record.id), escape_html(a.name), escape_html(a.label), render_svg(chart), table);
}

}  // namespace alemwatch::adapter
