// The page around the patient sections: style sheet, header, the signal list.
#include "alemwatch/adapter/report_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "alemwatch/adapter/exposure.hpp"
#include "alemwatch/adapter/report_markup.hpp"
#include "alemwatch/adapter/report_patient.hpp"

namespace alemwatch::adapter {
namespace {

// Inline only: the page must read the same offline, with scripts disabled, and printed.
constexpr const char* style_sheet = R"css(
body { font-family: sans-serif; color: #222; margin: 1.5em auto; max-width: 1000px; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
dl.inputs dt { font-weight: bold; } dl.inputs dd { margin-left: 1em; }
ol.signals { list-style: none; padding: 0; }
li.signal { border-left: 6px solid #999; padding: 0.2em 0.8em; margin: 0.6em 0; background: #fafafa; break-inside: avoid; }
li.signal.severity-high { border-left-color: #c0392b; }
li.signal.severity-moderate { border-left-color: #e67e22; }
li.signal.severity-low { border-left-color: #d4ac0d; }
li.signal h4 { margin: 0.2em 0; }
.meta { color: #555; font-size: 0.9em; }
svg { max-width: 100%; height: auto; display: block; }
figure.analyte-chart { margin: 0.8em 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: bold; }
tr.evidence td { background: #fdecea; }
tr.overdue td { background: #fdecea; font-weight: bold; }
.note { color: #555; font-size: 0.9em; }
@media print {
  body { margin: 0; max-width: none; }
  section.patient { break-before: page; page-break-before: always; }
  figure.analyte-chart, li.signal, .exposure, .schedule { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
)css";

constexpr std::array<fhir::IssueSeverity, 3> severities = {fhir::IssueSeverity::high, fhir::IssueSeverity::moderate,
                                                            fhir::IssueSeverity::low};

std::string signal_code(const fhir::DetectedIssue& issue, const mappings::Mappings& m) {
  for (const auto& c : issue.code)
    if (c.system == m.signals.signal_system()) return c.code;
  return "";
}

std::string render_header(const ReportHeader& h, const std::vector<fhir::DetectedIssue>& issues,
                          const std::vector<const PatientRecord*>& patients, const RunSummary& summary) {
  std::string out = "<header>\n<h1>alemwatch report: alemtuzumab safety signals</h1>\n<dl class=\"inputs\">\n";
  if (h.generated) out += "<dt>Generated at</dt><dd>" + escape_html(fhir::format_utc_datetime(*h.generated)) + "</dd>\n";
  out += "<dt>Evaluation time (--at)</dt><dd>" + escape_html(fhir::format_utc_datetime(h.at)) + "</dd>\n";
  out += "<dt>Inputs</dt><dd><ul>\n";
  for (const auto& i : h.inputs) out += "<li>" + escape_html(i) + "</li>\n";
  out += "</ul></dd>\n";
  std::size_t resources = 0;
  for (const auto& [type, counts] : summary.resources()) resources += counts.read;
  std::string by_severity;
  for (const auto s : severities) {
    std::size_t n = 0;
    for (const auto& i : issues) n += i.severity == s;
    by_severity += fmt::format("{}{} {}", by_severity.empty() ? "" : ", ", n, fhir::to_string(s));
  }
  out += fmt::format(
      "<dt>Counts</dt><dd>{} file(s) read, {} unreadable; {} resource(s) read; {} exposed patient(s); "
      "{} signal(s) ({}); {} problem(s) in the data (see the run summary)</dd>\n",
      summary.reading.files_read, summary.reading.files_failed, resources, patients.size(), issues.size(), by_severity,
      summary.problem_count(fhir::ProblemSeverity::fatal) + summary.problem_count(fhir::ProblemSeverity::error) +
          summary.problem_count(fhir::ProblemSeverity::warning));
  out += "</dl>\n<p class=\"note\">A screening aid: every signal is a possibility for a clinician to judge, "
         "not a diagnosis.</p>\n</header>\n";
  return out;
}

std::string render_signal(const fhir::DetectedIssue& issue, const mappings::Mappings& m) {
  const std::string patient = issue_patient_id(issue);
  std::string evidence;
  for (const auto& e : issue.evidence)
    for (const auto& ref : e.detail) evidence += (evidence.empty() ? "" : ", ") + ref;
  return fmt::format(
      "<li class=\"signal severity-{0}\" data-identifier=\"{1}\" data-signal=\"{2}\">\n"
      "<h4>{3}</h4>\n<p class=\"meta\">{0} &middot; <code>{2}</code> &middot; patient "
      "<a href=\"#patient-{4}\">{4}</a> &middot; identified {5}</p>\n<p class=\"detail\">{6}</p>\n{7}</li>\n",
      fhir::to_string(issue.severity), escape_html(issue.identifier_value), escape_html(signal_code(issue, m)),
      escape_html(issue.code_text), escape_html(patient), escape_html(issue.identified), escape_html(issue.detail),
      evidence.empty() ? "" : "<p class=\"meta\">Evidence: " + escape_html(evidence) + "</p>\n");
}

std::string render_signals(const std::vector<fhir::DetectedIssue>& issues, const mappings::Mappings& m) {
  std::string out = fmt::format("<section class=\"signals\" id=\"signals\">\n<h2>Signals ({})</h2>\n", issues.size());
  if (issues.empty()) out += "<p>No signal at the evaluation time.</p>\n";
  for (const auto s : severities) {
    std::string items;
    std::size_t n = 0;
    for (const auto& i : issues)
      if (i.severity == s) {
        items += render_signal(i, m);
        ++n;
      }
    if (n == 0) continue;
    out += fmt::format("<h3>{} ({})</h3>\n<ol class=\"signals\">\n{}</ol>\n", fhir::to_string(s), n, items);
  }
  return out + "</section>\n";
}

// Observation ids cited by each patient's DetectedIssues.
std::map<std::string, EvidenceIndex> evidence_by_patient(const std::vector<fhir::DetectedIssue>& issues,
                                                        const mappings::Mappings& m) {
  std::map<std::string, EvidenceIndex> out;
  for (const auto& issue : issues) {
    auto& index = out[issue_patient_id(issue)];
    for (const auto& e : issue.evidence)
      for (const auto& ref : e.detail) {
        const auto slash = ref.rfind("Observation/");
        if (slash == std::string::npos) continue;
        auto& codes = index[ref.substr(slash + std::string("Observation/").size())];
        const std::string code = signal_code(issue, m);
        if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
      }
  }
  return out;
}

}  // namespace

std::string issue_patient_id(const fhir::DetectedIssue& issue) {
  const auto slash = issue.patient.rfind('/');
  return slash == std::string::npos ? issue.patient : issue.patient.substr(slash + 1);
}

std::string render_report(const mappings::Mappings& m, const ReportHeader& header,
                          const std::vector<fhir::DetectedIssue>& issues,
                          const std::vector<const PatientRecord*>& patients, const RunSummary& summary) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>alemwatch report</title>\n<style>" +
      std::string(style_sheet) + "</style>\n</head>\n<body>\n";
  out += render_header(header, issues, patients, summary);
  out += render_signals(issues, m);
  const auto evidence = evidence_by_patient(issues, m);
  const EvidenceIndex none;
  out += fmt::format("<h2 id=\"patients\">Patients ({})</h2>\n", patients.size());
  for (const PatientRecord* record : patients) {
    const Exposure exposure(*record, m.exposure);
    const auto it = evidence.find(record->id);
    const PatientView view{*record, exposure, m, header.at, it == evidence.end() ? none : it->second,
                           TimeAxis::for_patient(*record, exposure, m.exposure, header.at)};
    out += render_patient_section(view);
  }
  return out + "</body>\n</html>\n";
}

}  // namespace alemwatch::adapter
