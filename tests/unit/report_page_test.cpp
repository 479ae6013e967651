// The HTML report of a scenario patient: the signal with its link, one chart per analyte with data,
// the evidence highlighted, the rule's threshold line; hostile text escaped; a well-formed,
// self-contained page.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/report_page.hpp"
#include "scenario.hpp"

namespace alemwatch::adapter {
namespace {

using testing::Scenario;
namespace loinc = testing::loinc;

constexpr const char* at = "2026-11-01T00:00:00Z";

struct Report {
  std::vector<fhir::DetectedIssue> issues;
  std::string html;
};

Report report_of(const Scenario& s, std::vector<std::string> inputs = {"scenario"}) {
  const auto& m = testing::shipped_mappings();
  RunSummary summary;
  Evaluation evaluation(m, summary);
  for (std::size_t i = 0; i < s.resources().size(); ++i) {
    const auto& r = s.resources()[i];
    const std::string type(r.at("resourceType").as_string());
    const fhir::SourcePosition where{"scenario", i + 1, {}, {}};
    evaluation.add({r, type, where, nullptr});
  }
  ReportHeader header{*fhir::parse_fhir_datetime(at), std::nullopt, std::move(inputs)};
  Report out;
  out.issues = evaluation.finish(header.at, {});
  std::vector<const PatientRecord*> patients;
  for (const auto& [id, record] : evaluation.records()) patients.push_back(&record);
  out.html = render_report(m, header, out.issues, patients, summary);
  return out;
}

// Course 1 in January 2024 with baselines and routine monitoring, and one platelet count of 42
// in March 2025: a moderate itp signal citing plt-low and its baseline plt-base.
Scenario itp_patient() {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250, "plt-base")
      .result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8)
      .lab({.loinc = loinc::urine_protein, .time = "2023-12-20T08:00:00Z", .value_string = "Negative"})
      .result(loinc::tsh, "2023-12-20T08:00:00Z", 2.0)
      .course("2024-01-08", 5)
      .routine_monitoring("2024-02-10", "2026-10-20")
      .result(loinc::platelets, "2025-03-05T08:00:00Z", 42, "plt-low");
  return s;
}

// The text of the first element matching `open_tag_pattern` up to its closing tag `close`.
std::string element(const std::string& html, const std::string& open_tag_pattern, const std::string& close) {
  std::smatch m;
  if (!std::regex_search(html, m, std::regex(open_tag_pattern))) return "";
  const auto start = static_cast<std::size_t>(m.position(0));
  const auto end = html.find(close, start);
  return end == std::string::npos ? "" : html.substr(start, end + close.size() - start);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Every element opened is closed, in order (void elements and self-closing tags aside), and no
// raw '<' appears in text: the page parses as XML-ish markup.
void expect_balanced_markup(const std::string& html) {
  static const std::set<std::string> void_elements{"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> open;
  const std::regex tag("<(/?)([a-zA-Z][a-zA-Z0-9]*)([^<>]*?)(/?)>|<!DOCTYPE html>");
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    const std::string between = html.substr(last, static_cast<std::size_t>(m.position(0)) - last);
    EXPECT_EQ(between.find('<'), std::string::npos) << "stray '<' before " << m.str();
    EXPECT_EQ(between.find('>'), std::string::npos) << "stray '>' before " << m.str();
    last = static_cast<std::size_t>(m.position(0) + m.length(0));
    if (m.str() == "<!DOCTYPE html>") continue;
    const std::string name = m[2];
    if (m[4] == "/" || void_elements.contains(name)) continue;
    if (m[1] == "/") {
      ASSERT_FALSE(open.empty()) << "</" << name << "> closes nothing";
      ASSERT_EQ(open.back(), name) << "</" << name << "> closes <" << open.back() << ">";
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  EXPECT_TRUE(open.empty()) << open.size() << " element(s) left open, the last <" << (open.empty() ? "" : open.back())
                            << ">";
}

TEST(ReportPage, ListsTheSignalWithALinkToItsPatient) {
  const auto r = report_of(itp_patient());
  const std::string signal = element(r.html, "<li class=\"signal severity-moderate\"[^>]*data-signal=\"itp\"", "</li>");
  ASSERT_FALSE(signal.empty()) << r.html.substr(0, 4000);
  EXPECT_NE(signal.find("Possible immune thrombocytopenia after alemtuzumab"), std::string::npos);
  EXPECT_NE(signal.find("href=\"#patient-p1\""), std::string::npos);
  EXPECT_NE(signal.find("Platelet count 42 x10^9/L on 2025-03-05"), std::string::npos);
  EXPECT_NE(signal.find("identified 2025-03-05T08:00:00Z"), std::string::npos);
  EXPECT_EQ(count(r.html, "<li class=\"signal "), r.issues.size());
  EXPECT_NE(r.html.find("<section class=\"patient\" id=\"patient-p1\">"), std::string::npos);
  // Signals come first, grouped from high to low.
  EXPECT_LT(r.html.find("id=\"signals\""), r.html.find("id=\"patient-p1\""));
}

TEST(ReportPage, DrawsOneChartPerAnalyteWithData) {
  const auto r = report_of(itp_patient());
  std::vector<std::string> charted;
  const std::regex figure("<figure class=\"analyte-chart\" data-patient=\"p1\" data-analyte=\"([a-z_0-9]+)\">");
  for (auto it = std::sregex_iterator(r.html.begin(), r.html.end(), figure); it != std::sregex_iterator(); ++it)
    charted.push_back((*it)[1]);
  EXPECT_EQ(charted, (std::vector<std::string>{"platelets", "creatinine", "urine_protein", "tsh"}));
  // Each figure holds exactly one chart with a title, a description and a data table.
  EXPECT_EQ(count(r.html, "<svg class=\"chart\""), charted.size());
  EXPECT_EQ(count(r.html, "<details class=\"data\">"), charted.size());
  EXPECT_EQ(count(r.html, "<svg class=\"timeline\""), 1u);
}

TEST(ReportPage, HighlightsTheEvidenceAndDrawsTheRuleThreshold) {
  const auto r = report_of(itp_patient());
  const std::string chart = element(r.html, "<svg class=\"chart\" id=\"chart-p1-platelets\"", "</svg>");
  ASSERT_FALSE(chart.empty());
  // plt-low and its baseline plt-base are the evidence; nothing else is highlighted.
  EXPECT_EQ(count(chart, "class=\"point highlighted\""), 2u);
  EXPECT_NE(chart.find("<title>2025-03-05: 42 x10^9/L (evidence: itp)</title>"), std::string::npos);
  EXPECT_NE(chart.find("<title>2023-12-20: 250 x10^9/L (evidence: itp)</title>"), std::string::npos);
  // The itp limits of signals.json, as dashed lines with their values.
  EXPECT_NE(chart.find("class=\"threshold\""), std::string::npos);
  EXPECT_NE(chart.find("data-value=\"100\""), std::string::npos);
  EXPECT_NE(chart.find("data-value=\"30\""), std::string::npos);
  EXPECT_NE(chart.find("itp &lt; 100"), std::string::npos);
  EXPECT_NE(r.html.find("<li>Immune thrombocytopenia &lt; 30 (high)</li>"), std::string::npos);
  // The reference range as a band, the five infusions as markers.
  EXPECT_NE(chart.find("Reference range 150-450 x10^9/L"), std::string::npos);
  EXPECT_EQ(count(chart, "<line class=\"marker\""), 5u);
  EXPECT_NE(r.html.find("<tr class=\"evidence\"><td>2025-03-05T08:00:00Z</td><td>42 x10^9/L</td>"), std::string::npos);
  // The creatinine chart cites nothing.
  const std::string creatinine = element(r.html, "<svg class=\"chart\" id=\"chart-p1-creatinine\"", "</svg>");
  EXPECT_EQ(count(creatinine, "highlighted"), 0u);
}

TEST(ReportPage, ShowsTheMonitoringScheduleWithOverdueTestsMarked) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250).course("2024-01-08", 5).result(loinc::platelets,
                                                                                          "2026-10-01T08:00:00Z", 240);
  const auto r = report_of(s);
  const std::string schedule = element(r.html, "<div class=\"schedule\">", "</div>");
  EXPECT_NE(schedule.find("<td>platelet count</td><td>every 38 days</td><td>2026-10-01</td><td></td><td>due by 2026-11-08</td>"),
            std::string::npos)
      << schedule;
  EXPECT_NE(schedule.find("<tr class=\"overdue\"><td>TSH</td><td>every 106 days</td><td>none</td>"), std::string::npos);
  EXPECT_NE(schedule.find("OVERDUE since 2024-04-23"), std::string::npos);  // 2024-01-08 + 106 days
}

TEST(ReportPage, EscapesHostileTextFromTheData) {
  // FHIR ids cannot carry markup (the reader rejects them), but a coded result's text can: a
  // positive urine blood whose CodeableConcept text is hostile is written as reported, in the
  // nephropathy detail and in the data table.
  const std::string hostile = "<script>alert('pwned')</script> \"quoted\" & <b>bold</b>";
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course("2024-01-08", 5);
  s.resource(boost::json::object{
      {"resourceType", "Observation"},
      {"id", "ua-hostile"},
      {"status", "final"},
      {"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", loinc::urine_blood}}}}}},
      {"subject", {{"reference", "Patient/p1"}}},
      {"effectiveDateTime", "2025-03-05T08:00:00Z"},
      {"valueCodeableConcept",
       {{"coding", {{{"system", "http://snomed.info/sct"}, {"code", "10828004"}}}}, {"text", hostile}}}});
  const auto r = report_of(s, {"x\"><script>alert(1)</script>.json"});
  bool carried = false;  // the nephropathy detail carries the text as reported
  for (const auto& i : r.issues) carried = carried || i.detail.find("<script>alert('pwned')") != std::string::npos;
  ASSERT_TRUE(carried);
  EXPECT_EQ(r.html.find("<script"), std::string::npos);
  EXPECT_EQ(r.html.find("<b>"), std::string::npos);
  EXPECT_EQ(r.html.find("\"quoted\""), std::string::npos);
  const std::string escaped = "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;";
  const std::string signal = element(r.html, "<li class=\"signal [^\"]*\"[^>]*data-signal=\"nephropathy\"", "</li>");
  EXPECT_NE(signal.find(escaped), std::string::npos) << signal;
  const std::string table = element(r.html, "<figure class=\"analyte-chart\" data-patient=\"p1\" data-analyte=\"urine_blood\">",
                                    "</figure>");
  EXPECT_NE(table.find("<td>positive (" + escaped + ")</td>"), std::string::npos) << table;
  EXPECT_NE(r.html.find("<li>x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.json</li>"), std::string::npos);
  expect_balanced_markup(r.html);
}

TEST(ReportPage, IsWellFormedAndSelfContained) {
  const auto r = report_of(itp_patient());
  expect_balanced_markup(r.html);
  EXPECT_EQ(count(r.html, "<svg"), count(r.html, "</svg>"));
  EXPECT_EQ(r.html.find("http"), std::string::npos);  // no URL at all: nothing to fetch
  EXPECT_EQ(r.html.find("<script"), std::string::npos);
  EXPECT_EQ(r.html.find("src="), std::string::npos);
  EXPECT_EQ(r.html.find("NaN"), std::string::npos);
  EXPECT_NE(r.html.find("@media print"), std::string::npos);
  // Deterministic: the same input and --at give the same page, and no generation time is shown.
  EXPECT_EQ(report_of(itp_patient()).html, r.html);
  EXPECT_EQ(r.html.find("Generated at"), std::string::npos);
}

}  // namespace
}  // namespace alemwatch::adapter
