// `alemwatch report` on the samples, rendered in headless Chromium (tests/tools/report-check):
// the signal list holds exactly the DetectedIssues `alemwatch evaluate` writes for the same input,
// every (patient, analyte) pair with results has its SVG chart, every in-page link has its
// target, the browser logs no error and asks for nothing outside the file. A PNG of one
// patient's section is kept as a test artefact.
//
// Chromium and the Node packages are installed by scripts/install-test-tools.sh; when they are
// missing this test fails (it does not skip): the report's Done-when is this browser check.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/resource_reader.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

constexpr const char* at = "2026-11-01T00:00:00Z";

struct CommandRun {
  int exit_code;
  std::string out;
};

CommandRun run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<std::string> sample_bundles() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(ALEMWATCH_SAMPLES))
    if (fs::exists(e.path() / "bundle.json")) out.push_back((e.path() / "bundle.json").string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += " '" + x + "'";
  return s;
}

std::size_t lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

// (patient, analyte) pairs with at least one result in the report's window (the first infusion
// less the baseline look-back onwards), from the library's own evaluation of the samples.
std::set<std::pair<std::string, std::string>> pairs_with_data(const std::vector<std::string>& bundles,
                                                               std::string& some_patient_with_signal) {
  auto loaded = mappings::load_mappings(ALEMWATCH_SOURCE_MAPPINGS, rule_requirements());
  EXPECT_TRUE(loaded) << loaded.error().describe();
  const mappings::Mappings& m = **loaded;
  RunSummary summary;
  Evaluation evaluation(m, summary);
  fhir::ResourceReader reader(summary);
  for (const auto& b : bundles) reader.read(b, [&](const fhir::ResourceInput& input) { evaluation.add(input); });
  const auto issues = evaluation.finish(*fhir::parse_fhir_datetime(at), {});
  for (const auto& i : issues)
    if (i.severity == fhir::IssueSeverity::high) {
      some_patient_with_signal = i.patient.substr(i.patient.rfind('/') + 1);
      break;
    }
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [id, record] : evaluation.records()) {
    const auto from = record.infusions.front().time - m.exposure.baseline_lookback;
    for (const auto& a : m.analytes.all())
      for (const auto& r : record.results(a.id))
        if (r.time >= from) {
          out.insert({id, a.name});
          break;
        }
  }
  return out;
}

TEST(ReportBrowser, TheSamplesReportShowsEverySignalAndChartInChromium) {
  const fs::path artifacts = fs::path(ALEMWATCH_TEST_ARTIFACTS);
  fs::create_directories(artifacts);
  ASSERT_TRUE(fs::exists(ALEMWATCH_CHROMIUM))
      << ALEMWATCH_CHROMIUM << " is missing: run scripts/install-test-tools.sh (installs Debian's chromium)";
  ASSERT_TRUE(fs::exists(fs::path(ALEMWATCH_REPORT_CHECK) / "node_modules" / "puppeteer-core"))
      << "tests/tools/report-check/node_modules is missing: run scripts/install-test-tools.sh";

  const auto bundles = sample_bundles();
  ASSERT_GE(bundles.size(), 10u);
  const fs::path issues = artifacts / "report-samples-issues.ndjson";
  const CommandRun evaluate = run(std::string(ALEMWATCH_BINARY) + " evaluate --at " + at + " --out '" + issues.string() +
                           "'" + joined(bundles) + " 2>/dev/null");
  ASSERT_EQ(evaluate.exit_code, 0);
  const std::size_t expected_signals = lines_of(issues);
  ASSERT_GT(expected_signals, 0u);

  const fs::path html = artifacts / "report-samples.html";
  const CommandRun report = run(std::string(ALEMWATCH_BINARY) + " report --at " + at + " --out '" + html.string() + "'" +
                         joined(bundles) + " 2>&1");
  ASSERT_EQ(report.exit_code, 0) << report.out;
  EXPECT_NE(report.out.find("alemwatch run summary"), std::string::npos) << report.out;

  std::string patient;
  const auto expected_pairs = pairs_with_data(bundles, patient);
  ASSERT_FALSE(patient.empty());
  const fs::path png = artifacts / "report-patient.png";
  fs::remove(png);
  const CommandRun check = run(std::string(ALEMWATCH_NODE) + " '" + ALEMWATCH_REPORT_CHECK + "/check.mjs' '" + html.string() +
                        "' '" + png.string() + "' '" + patient + "'");
  ASSERT_EQ(check.exit_code, 0) << check.out;
  boost::system::error_code ec;
  const auto v = boost::json::parse(check.out, ec);
  ASSERT_FALSE(ec) << check.out;
  const auto& page = v.as_object();

  EXPECT_EQ(page.at("signals").to_number<std::size_t>(), expected_signals);
  EXPECT_TRUE(page.at("consoleErrors").as_array().empty()) << boost::json::serialize(page.at("consoleErrors"));
  EXPECT_TRUE(page.at("requests").as_array().empty()) << boost::json::serialize(page.at("requests"));
  EXPECT_TRUE(page.at("brokenLinks").as_array().empty()) << boost::json::serialize(page.at("brokenLinks"));
  EXPECT_GT(page.at("pdfBytes").to_number<std::size_t>(), 0u);

  std::set<std::pair<std::string, std::string>> charted;
  std::size_t highlighted = 0;
  for (const auto& c : page.at("charts").as_array()) {
    const auto& chart = c.as_object();
    const std::string p(chart.at("patient").as_string()), a(chart.at("analyte").as_string());
    EXPECT_TRUE(chart.at("svg").as_bool()) << p << " " << a;
    EXPECT_GT(chart.at("points").to_number<std::size_t>(), 0u) << "a chart with no result drawn: " << p << " " << a;
    highlighted += chart.at("highlighted").to_number<std::size_t>();
    EXPECT_GT(chart.at("width").to_number<double>(), 100) << p << " " << a;
    EXPECT_GT(chart.at("height").to_number<double>(), 50) << p << " " << a;
    EXPECT_FALSE(chart.at("title").as_string().empty());
    EXPECT_FALSE(chart.at("desc").as_string().empty());
    EXPECT_TRUE(charted.insert({p, a}).second) << "two charts for " << p << " " << a;
  }
  EXPECT_EQ(charted, expected_pairs);
  EXPECT_GT(highlighted, 0u) << "the evidence behind the signals is highlighted";

  ASSERT_TRUE(page.at("screenshot").is_string()) << "no section for patient " << patient;
  ASSERT_TRUE(fs::exists(png));
  std::ifstream in(png, std::ios::binary);
  char magic[8] = {};
  in.read(magic, sizeof magic);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  EXPECT_GT(fs::file_size(png), 10000u);
  std::cout << "report: " << html.string() << "\nscreenshot of patient " << patient << ": " << png.string() << "\n";
}

}  // namespace
}  // namespace alemwatch::adapter
