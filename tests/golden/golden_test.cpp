// Golden files: every sample patient evaluated at a fixed time must give exactly the
// DetectedIssues its expected.ndjson lists (worked out by hand from the specification).
// Each sample is run through the library and through the alemwatch command line.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "scenario.hpp"

namespace {

namespace fs = std::filesystem;
constexpr const char* evaluation_time = "2026-11-01T00:00:00Z";

std::vector<boost::json::value> read_ndjson(const fs::path& file) {
  std::vector<boost::json::value> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(boost::json::parse(line));
  return out;
}

std::vector<fs::path> sample_dirs() {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(ALEMWATCH_SAMPLES))
    if (e.is_directory() && fs::exists(e.path() / "bundle.json")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string identifier_of(const boost::json::value& v) {
  return std::string(v.at("identifier").at(0).at("value").as_string());
}

// Compares issue lists and explains the first difference in terms of identifiers.
void expect_same_issues(const std::vector<boost::json::value>& actual, const std::vector<boost::json::value>& expected,
                        const std::string& what) {
  std::vector<std::string> a_ids, e_ids;
  for (const auto& v : actual) a_ids.push_back(identifier_of(v));
  for (const auto& v : expected) e_ids.push_back(identifier_of(v));
  ASSERT_EQ(a_ids, e_ids) << what << ": different DetectedIssues";
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_EQ(actual[i], expected[i]) << what << ": " << e_ids[i] << "\n  actual:   " << boost::json::serialize(actual[i])
                                      << "\n  expected: " << boost::json::serialize(expected[i]);
}

class SampleGolden : public ::testing::TestWithParam<fs::path> {};

TEST_P(SampleGolden, LibraryMatchesExpectedIssues) {
  alemwatch::adapter::RunSummary summary;
  alemwatch::adapter::Evaluation evaluation(alemwatch::testing::shipped_mappings(), summary);
  alemwatch::fhir::ResourceReader reader(summary);
  reader.read(GetParam() / "bundle.json", [&](const auto& input) { evaluation.add(input); });
  const auto issues = evaluation.finish(*alemwatch::fhir::parse_fhir_datetime(evaluation_time), {});
  alemwatch::testing::record_produced(issues);
  std::vector<boost::json::value> actual;
  for (const auto& issue : issues) actual.push_back(alemwatch::fhir::to_json(issue));
  expect_same_issues(actual, read_ndjson(GetParam() / "expected.ndjson"), GetParam().filename().string());
  EXPECT_EQ(summary.problem_count(alemwatch::fhir::ProblemSeverity::fatal), 0u);
}

TEST_P(SampleGolden, CommandLineMatchesExpectedIssues) {
  const auto out = fs::temp_directory_path() /
                   ("alemwatch-golden-" + GetParam().filename().string() + "-" + std::to_string(::getpid()) + ".ndjson");
  const std::string command = std::string(ALEMWATCH_BINARY) + " evaluate --at " + evaluation_time + " --out " +
                              out.string() + " " + (GetParam() / "bundle.json").string() + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  expect_same_issues(read_ndjson(out), read_ndjson(GetParam() / "expected.ndjson"), GetParam().filename().string());
  fs::remove(out);
}

INSTANTIATE_TEST_SUITE_P(Samples, SampleGolden, ::testing::ValuesIn(sample_dirs()),
                         [](const auto& info) {
                           std::string name = info.param.filename().string();
                           for (auto& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(AllSamples, OneRunOverEverySampleGivesTheUnionOfTheGoldenFiles) {
  const auto out = fs::temp_directory_path() / ("alemwatch-golden-all-" + std::to_string(::getpid()) + ".ndjson");
  std::string command = std::string(ALEMWATCH_BINARY) + " evaluate --at " + evaluation_time + " --out " + out.string();
  std::vector<boost::json::value> expected;
  for (const auto& dir : sample_dirs()) {
    command += " " + (dir / "bundle.json").string();
    for (auto& v : read_ndjson(dir / "expected.ndjson")) expected.push_back(std::move(v));
  }
  std::sort(expected.begin(), expected.end(),
            [](const auto& a, const auto& b) { return identifier_of(a) < identifier_of(b); });
  ASSERT_EQ(std::system((command + " 2>/dev/null").c_str()), 0);
  expect_same_issues(read_ndjson(out), expected, "all samples");
  fs::remove(out);
}

}  // namespace
