// The bad-input corpus (tests/data/bad, see its README): every defect is reported naming its
// file, and every valid resource beside it is still read and mapped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "scenario.hpp"

namespace alemwatch {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(ALEMWATCH_SOURCE_DIR) / "tests" / "data" / "bad";

struct CorpusRun {
  adapter::RunSummary summary;
  std::size_t issues = 0;

  std::size_t mapped() const {
    std::size_t n = 0;
    const auto& r = summary.resources();
    if (auto it = r.find("Observation"); it != r.end() && it->second.outcomes.contains("mapped"))
      n += it->second.outcomes.at("mapped");
    if (auto it = r.find("MedicationAdministration"); it != r.end() && it->second.outcomes.contains("alemtuzumab infusion"))
      n += it->second.outcomes.at("alemtuzumab infusion");
    return n;
  }
  bool reported(const fs::path& file) const {
    for (const auto& p : summary.problems())
      if (p.where.file == file.string() && !p.reason.empty()) return true;
    return false;
  }
};

std::unique_ptr<CorpusRun> evaluate(const fs::path& file) {
  auto run = std::make_unique<CorpusRun>();
  adapter::Evaluation evaluation(testing::shipped_mappings(), run->summary);
  fhir::ResourceReader reader(run->summary);
  reader.read(file, [&](const auto& input) { evaluation.add(input); });
  run->summary.reading = reader.stats();
  const auto issues = evaluation.finish(*fhir::parse_fhir_datetime("2026-11-01T00:00:00Z"), {});
  testing::record_produced(issues);
  run->issues = issues.size();
  return run;
}

// How many resources with "-good" in their id the file holds: those must all be mapped.
std::size_t good_resources(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  static const std::regex good(R"re("id"\s*:\s*"[^"]*-good[^"]*")re");
  return std::distance(std::sregex_iterator(s.begin(), s.end(), good), std::sregex_iterator());
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(corpus))
    if (e.path().extension() == ".json" || e.path().extension() == ".ndjson") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

class BadInput : public ::testing::TestWithParam<fs::path> {};

TEST_P(BadInput, EveryDefectIsReportedWithItsFileAndValidResourcesAreStillMapped) {
  const auto run = evaluate(GetParam());
  EXPECT_TRUE(run->reported(GetParam())) << "no problem names " << GetParam();
  EXPECT_EQ(run->mapped(), good_resources(GetParam())) << run->summary.text();
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(corpus_files()), [](const auto& info) {
  std::string name = info.param.filename().string();
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});

TEST(BadInput, AThirtyMegabyteStringIsReadAndTheNextLineToo) {
  const fs::path dir = fs::temp_directory_path() / ("alemwatch-large-string-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string command = "bash " + (corpus / "make-large.sh").string() + " " + dir.string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  const auto run = evaluate(dir / "large-string.ndjson");
  // Line 1 is a valid platelet count with a 30 MB note; line 2 a good one.
  EXPECT_EQ(run->mapped(), 2u) << run->summary.text();
  fs::remove_all(dir);
}

TEST(BadInput, AMissingPathIsAFatalProblemNamingIt) {
  const auto run = evaluate(corpus / "no-such-file.ndjson");
  EXPECT_TRUE(run->reported(corpus / "no-such-file.ndjson"));
}

TEST(BadInput, TheWholeCorpusAsOneDirectoryGoesOnPastEveryBadFile) {
  const auto run = evaluate(corpus);
  std::size_t good = 0;
  for (const auto& f : corpus_files()) good += good_resources(f);
  EXPECT_EQ(run->mapped(), good);
  EXPECT_EQ(run->summary.reading.files_read + run->summary.reading.files_failed, corpus_files().size());
}

}  // namespace
}  // namespace alemwatch
