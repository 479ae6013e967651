// The population reader (adapter/population_read.hpp): NDJSON read in two passes, Observations
// skimmed and parsed on worker threads, must give exactly what reading every resource in full
// gives, with every line accounted for and problems at their true line numbers.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/population_read.hpp"
#include "alemwatch/fhir/administration_skim.hpp"
#include "alemwatch/fhir/ndjson_blocks.hpp"
#include "alemwatch/fhir/observation_skim.hpp"
#include "alemwatch/fhir/resources.hpp"
#include "scenario.hpp"

namespace alemwatch {
namespace {

namespace fs = std::filesystem;

const fhir::Instant at = *fhir::parse_fhir_datetime("2026-11-01T00:00:00Z");

struct Outcome {
  adapter::RunSummary summary;
  std::string issues;  // NDJSON
  std::size_t count(const std::string& type, const std::string& outcome) const {
    auto it = summary.resources().find(type);
    if (it == summary.resources().end()) return 0;
    auto o = it->second.outcomes.find(outcome);
    return o == it->second.outcomes.end() ? 0 : o->second;
  }
  std::size_t read(const std::string& type) const {
    auto it = summary.resources().find(type);
    return it == summary.resources().end() ? 0 : it->second.read;
  }
};

std::string to_ndjson(const std::vector<fhir::DetectedIssue>& issues) {
  std::string out;
  for (const auto& i : issues) out += boost::json::serialize(fhir::to_json(i)) + "\n";
  return out;
}

std::unique_ptr<Outcome> read_in_full(const std::vector<fs::path>& paths) {
  auto out = std::make_unique<Outcome>();
  adapter::Evaluation evaluation(testing::shipped_mappings(), out->summary);
  fhir::ResourceReader reader(out->summary);
  for (const auto& p : paths) reader.read(p, [&](const auto& in) { evaluation.add(in); });
  out->summary.reading = reader.stats();
  out->issues = to_ndjson(evaluation.finish(at, {}));
  return out;
}

std::unique_ptr<Outcome> read_streamed(const std::vector<fs::path>& paths, adapter::PopulationReadOptions options = {}) {
  auto out = std::make_unique<Outcome>();
  adapter::Evaluation evaluation(testing::shipped_mappings(), out->summary);
  out->summary.reading = adapter::read_population(paths, evaluation, out->summary, testing::shipped_mappings(), options);
  const auto issues = evaluation.finish(at, {});
  testing::record_produced(issues);
  out->issues = to_ndjson(issues);
  return out;
}

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("alemwatch-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A synthetic bulk export from bench/make_bulk_export, and the same resources as one Bundle.
class GeneratedExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("population");
    const std::string command = std::string(ALEMWATCH_BULK_GENERATOR) + " --out " + (*dir_ / "export").string() +
                                " --patients 120 --observations 12000 --seed 7 > /dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    boost::json::array entries;
    for (const char* type : {"Patient", "Medication", "MedicationAdministration", "Observation"}) {
      std::ifstream in(*dir_ / "export" / (std::string(type) + ".ndjson"));
      std::string line;
      while (std::getline(in, line))
        if (!line.empty()) entries.push_back(boost::json::object{{"resource", boost::json::parse(line)}});
    }
    write(*dir_ / "bundle.json",
          boost::json::serialize(boost::json::object{{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", entries}}));
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path export_dir() { return *dir_ / "export"; }
  static fs::path bundle() { return *dir_ / "bundle.json"; }
  static ScratchDir* dir_;
};
ScratchDir* GeneratedExport::dir_ = nullptr;

TEST_F(GeneratedExport, StreamedGivesTheSameIssuesAsReadingEverythingInFull) {
  const auto full = read_in_full({bundle()});
  const auto streamed = read_streamed({export_dir()});
  ASSERT_FALSE(full->issues.empty());
  EXPECT_EQ(streamed->issues, full->issues);
  // Every Observation is accounted for; the mapped ones are exactly those of exposed patients.
  EXPECT_EQ(streamed->read("Observation"), full->read("Observation"));
  EXPECT_GT(streamed->count("Observation", adapter::outcome_not_exposed), 0u);
  EXPECT_LE(streamed->count("Observation", "mapped"), full->count("Observation", "mapped"));
  EXPECT_EQ(streamed->summary.exposed_patients, full->summary.exposed_patients);
  std::size_t accounted = 0;
  for (const auto& [outcome, n] : streamed->summary.resources().at("Observation").outcomes) accounted += n;
  EXPECT_EQ(accounted, streamed->read("Observation"));
}

TEST_F(GeneratedExport, ThreadsAndBlockSizesDoNotChangeTheResult) {
  const auto one = read_streamed({export_dir()}, {.threads = 1});
  const auto many = read_streamed({export_dir()}, {.threads = 3, .block_size = 4096});
  EXPECT_EQ(one->issues, many->issues);
  EXPECT_EQ(one->summary.json(), many->summary.json());
}

TEST_F(GeneratedExport, ProgressAddsUpToTheInputSize) {
  std::uintmax_t reported = 0, size = 0;
  for (const auto& e : fs::directory_iterator(export_dir()))
    if (e.path().extension() == ".ndjson") size += fs::file_size(e.path());
  adapter::PopulationReadOptions options;
  options.block_size = 64 * 1024;
  options.on_progress = [&](std::uintmax_t bytes) { reported += bytes; };
  read_streamed({export_dir()}, options);
  EXPECT_EQ(reported, size);
}

TEST_F(GeneratedExport, ObservationsKeptForSyncAreThoseOfExposedPatients) {
  adapter::PopulationReadOptions options;
  std::size_t kept = 0;
  options.on_observation = [&](const std::string& patient, const std::string& id, std::string_view json) {
    ++kept;
    EXPECT_NE(json.find("\"id\":\"" + id + "\""), std::string_view::npos);
    EXPECT_NE(json.find("Patient/" + patient), std::string_view::npos);
  };
  const auto run = read_streamed({export_dir()}, options);
  EXPECT_GE(kept, run->count("Observation", "mapped"));
}

// A scenario's patient written as NDJSON, one resource per line.
std::string scenario_ndjson(const testing::Scenario& s) {
  std::string out;
  for (const auto& r : s.resources()) out += boost::json::serialize(r) + "\n";
  return out;
}

TEST_F(GeneratedExport, AdministrationsOfOtherDrugsAndPatientsAreCountedAsWhenParsed) {
  // Most administrations name a Medication already read and not alemtuzumab: they are skimmed.
  const auto full = read_in_full({bundle()});
  const auto streamed = read_streamed({export_dir()});
  EXPECT_GT(streamed->count("MedicationAdministration", "not alemtuzumab"), 0u);
  EXPECT_EQ(streamed->summary.resources().at("MedicationAdministration").outcomes,
            full->summary.resources().at("MedicationAdministration").outcomes);
  // Patients are counted from their skim.
  EXPECT_EQ(streamed->read("Patient"), full->read("Patient"));
  EXPECT_EQ(streamed->summary.resources().at("Patient").outcomes, full->summary.resources().at("Patient").outcomes);
  EXPECT_EQ(streamed->summary.reading.resources, full->summary.reading.resources);
}

TEST_F(GeneratedExport, AFileOfObservationsHoldingMoreIsReadAgainInBothPasses) {
  // One file, Observations first: it is taken for Observations only, which proves wrong at the
  // administrations, and is then read as any mixed file. Nothing is counted twice.
  ScratchDir dir("guess");
  std::string all;
  for (const char* type : {"Observation", "Patient", "MedicationAdministration", "Medication"})
    all += slurp(export_dir() / (std::string(type) + ".ndjson"));
  write(dir / "all.ndjson", all);
  const auto split = read_streamed({export_dir()});
  std::uintmax_t reported = 0;
  adapter::PopulationReadOptions options{.threads = 2, .block_size = 64 * 1024};
  options.on_progress = [&](std::uintmax_t bytes) { reported += bytes; };
  const auto one = read_streamed({dir / "all.ndjson"}, options);
  EXPECT_EQ(reported, all.size());  // read twice, told once
  EXPECT_EQ(one->issues, split->issues);
  EXPECT_EQ(one->summary.reading.files_read, 1u);
  EXPECT_EQ(one->summary.reading.resources, split->summary.reading.resources);
  for (const char* type : {"Observation", "Patient", "MedicationAdministration"}) {
    EXPECT_EQ(one->read(type), split->read(type)) << type;
    EXPECT_EQ(one->summary.resources().at(type).outcomes, split->summary.resources().at(type).outcomes) << type;
  }
}

TEST(PopulationRead, ASkimmedAdministrationOfAnotherDrugStillReplacesAnInfusion) {
  ScratchDir dir("other-drug");
  testing::Scenario s;
  s.infusion("2026-01-05T09:00:00Z", 12, "completed", "ma-1")
      .result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 40, "plt-1");
  write(dir / "a-Medication.ndjson",
        R"({"resourceType":"Medication","id":"natalizumab","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"354770"}],"text":"Tysabri"}})" "\n");
  std::string text = scenario_ndjson(s);
  write(dir / "b-MedicationAdministration.ndjson", text);
  const auto first = read_streamed({dir.path()});
  ASSERT_EQ(first->summary.exposed_patients, 1u) << first->summary.text();
  // A later version of the administration names the other drug: skimmed, it still replaces it.
  text += R"({"resourceType":"MedicationAdministration","id":"ma-1","status":"completed","medicationReference":{"reference":"Medication/natalizumab"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-05T09:00:00Z"})" "\n";
  write(dir / "b-MedicationAdministration.ndjson", text);
  const auto second = read_streamed({dir.path()});
  EXPECT_EQ(second->summary.exposed_patients, 0u) << second->summary.text();
  EXPECT_EQ(second->count("MedicationAdministration", "not alemtuzumab"), 1u);
  EXPECT_EQ(second->read("MedicationAdministration"), 2u);
}

// The lines of `s` with the Observations first (or last), so that the file is (or is not) taken
// for Observations only.
std::string observations_first(const testing::Scenario& s, bool first) {
  std::string observations, others;
  std::istringstream in(scenario_ndjson(s));
  for (std::string line; std::getline(in, line);)
    (line.find("\"Observation\"") != std::string::npos ? observations : others) += line + "\n";
  return first ? observations + others : others + observations;
}

TEST(PopulationRead, AWrongGuessReadsAgainInFileOrderSoTheSameVersionsWin) {
  // a.ndjson holds Observations, then infusions; b.ndjson the same infusions in another status.
  // Whichever file's versions are read last must win, guess or not.
  for (const bool entered_in_error_last : {true, false}) {
    ScratchDir dir("guess-order");
    testing::Scenario a, b;
    a.result(testing::loinc::platelets, "2025-12-20T08:00:00Z", 250, "plt-base");
    for (int i = 0; i < 3; ++i)
      a.infusion("2026-01-0" + std::to_string(5 + i) + "T09:00:00Z", 12, entered_in_error_last ? "completed" : "entered-in-error",
                 "ma-" + std::to_string(i));
    a.result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 40, "plt-1");
    for (int i = 0; i < 3; ++i)
      b.infusion("2026-01-0" + std::to_string(5 + i) + "T09:00:00Z", 12, entered_in_error_last ? "entered-in-error" : "completed",
                 "ma-" + std::to_string(i));
    write(dir / "b.ndjson", scenario_ndjson(b));
    write(dir / "a.ndjson", observations_first(a, false));
    const auto plain = read_streamed({dir.path()});
    write(dir / "a.ndjson", observations_first(a, true));
    const auto guessed = read_streamed({dir.path()});
    EXPECT_EQ(guessed->issues, plain->issues) << guessed->summary.text();
    EXPECT_EQ(guessed->summary.exposed_patients, entered_in_error_last ? 0u : 1u) << guessed->summary.text();
    EXPECT_EQ(guessed->summary.json(), plain->summary.json());
  }
}

TEST(PopulationRead, AnInvalidLaterVersionOfAnInfusionIsReadInFullNotSkimmed) {
  // A later version names another drug but has an invalid status: read in full, it is rejected
  // and does not replace the infusion, as when every line is parsed.
  ScratchDir dir("invalid-later");
  testing::Scenario s;
  s.result(testing::loinc::platelets, "2025-12-20T08:00:00Z", 250, "plt-base");
  for (int i = 0; i < 3; ++i) s.infusion("2026-01-0" + std::to_string(5 + i) + "T09:00:00Z", 12, "completed", "ma-" + std::to_string(i));
  s.result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 40, "plt-1");
  write(dir / "a-Medication.ndjson",
        R"({"resourceType":"Medication","id":"nat","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"354770"}],"text":"Tysabri"}})" "\n");
  write(dir / "b.ndjson", observations_first(s, false));
  std::string later;
  for (int i = 0; i < 3; ++i)
    later += R"({"resourceType":"MedicationAdministration","id":"ma-)" + std::to_string(i) +
             R"(","status":"bogus","medicationReference":{"reference":"Medication/nat"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-05T09:00:00Z"})" "\n";
  write(dir / "c.ndjson", later);
  const auto run = read_streamed({dir.path()});
  EXPECT_EQ(run->count("MedicationAdministration", "rejected (invalid FHIR)"), 3u) << run->summary.text();
  EXPECT_EQ(run->summary.exposed_patients, 1u);
  EXPECT_NE(run->issues.find("itp"), std::string::npos) << run->summary.text();
}

TEST(PopulationRead, AnAdministrationIsParsedWhenItsMedicationChangesInTheSameFile) {
  // The skim was taken against the Medications known when the file began; a later version of
  // the Medication, read before the administration in the same file, makes it alemtuzumab.
  ScratchDir dir("medication-change");
  write(dir / "a-Medication.ndjson",
        R"({"resourceType":"Medication","id":"m1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"354770"}]}})" "\n");
  write(dir / "b-mixed.ndjson",
        R"({"resourceType":"Medication","id":"m1","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1594659"}]}})" "\n"
        R"({"resourceType":"MedicationAdministration","id":"ma-1","status":"completed","medicationReference":{"reference":"Medication/m1"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-05T09:00:00Z","dosage":{"dose":{"value":12,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}})" "\n");
  const auto run = read_streamed({dir.path()});
  EXPECT_EQ(run->summary.exposed_patients, 1u) << run->summary.text();
  EXPECT_EQ(run->count("MedicationAdministration", "alemtuzumab infusion"), 1u) << run->summary.text();
}

TEST(PopulationRead, ALaterVersionNotExaminedStillWithdrawsTheEarlierOne) {
  ScratchDir dir("later-version");
  testing::Scenario s;
  s.result(testing::loinc::platelets, "2025-12-20T08:00:00Z", 250, "plt-base")
      .course("2026-01-05", 5)
      .result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 40, "plt-1");
  std::string text = scenario_ndjson(s);
  const auto first = read_streamed({[&] { write(dir / "a.ndjson", text); return dir / "a.ndjson"; }()});
  ASSERT_NE(first->issues.find("itp"), std::string::npos) << first->issues;
  // The same Observation id again, now coded with a test the rules do not read: it is skimmed,
  // not parsed, and must still replace the platelet count.
  text += R"({"resourceType":"Observation","id":"plt-1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-02-01T08:00:00Z","valueQuantity":{"value":5,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}})" "\n";
  write(dir / "a.ndjson", text);
  const auto second = read_streamed({dir / "a.ndjson"});
  EXPECT_EQ(second->issues.find("itp"), std::string::npos) << second->issues;
}

TEST(PopulationRead, VersionsOfShortIdsAreSettledWhateverMovesInMemory) {
  // Short ids live inside their strings: settling versions must not keep pointers into entries
  // that move (found by the fuzzer).
  ScratchDir dir("short-ids");
  testing::Scenario s;
  s.result(testing::loinc::platelets, "2025-12-20T08:00:00Z", 250, "a")
      .course("2026-01-05", 5)
      .result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 40, "b")
      .result(testing::loinc::platelets, "2026-02-02T08:00:00Z", 41, "c")
      .result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 240, "b")  // a later version of b
      .result(testing::loinc::platelets, "2026-02-03T08:00:00Z", 42, "d")
      .result(testing::loinc::platelets, "2026-02-02T08:00:00Z", 245, "c");  // and of c
  write(dir / "a.ndjson", scenario_ndjson(s));
  const auto streamed = read_streamed({dir / "a.ndjson"});
  const auto full = read_in_full({dir / "a.ndjson"});
  EXPECT_EQ(streamed->issues, full->issues);
  // Only d (42) is low now: the ITP episode cites it and not b or c.
  EXPECT_NE(streamed->issues.find("Observation/d"), std::string::npos) << streamed->issues;
  EXPECT_EQ(streamed->issues.find("Observation/b\""), std::string::npos) << streamed->issues;
}

TEST(PopulationRead, ProblemsNameTheirTrueLineAcrossBlocks) {
  ScratchDir dir("lines");
  testing::Scenario s;
  s.course("2026-01-05", 5);
  for (int i = 0; i < 200; ++i) s.result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 200 + i, "plt-" + std::to_string(i));
  std::string text = scenario_ndjson(s);
  const auto lines_before = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  text += R"({"resourceType":"Observation","id":"bad-unit","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"777-3"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-02-02T08:00:00Z","valueQuantity":{"value":150,"unit":"furlongs","system":"http://unitsofmeasure.org","code":"furlongs"}})" "\n";
  text += "{not json\n";
  write(dir / "a.ndjson", text);
  const auto run = read_streamed({dir / "a.ndjson"}, {.threads = 2, .block_size = 4096});
  std::vector<std::size_t> lines;
  for (const auto& p : run->summary.problems())
    if (p.where.line) lines.push_back(*p.where.line);
  EXPECT_NE(std::find(lines.begin(), lines.end(), lines_before + 1), lines.end()) << run->summary.text();
  EXPECT_NE(std::find(lines.begin(), lines.end(), lines_before + 2), lines.end()) << run->summary.text();
  EXPECT_EQ(run->summary.reading.lines_failed, 1u);
}

TEST(PopulationRead, ObservationsBeforeTheirPatientsInfusionsAreStillRead) {
  // Observations first in the file, administrations after: the first pass finds the exposure.
  ScratchDir dir("order");
  testing::Scenario s;
  s.result(testing::loinc::platelets, "2025-12-20T08:00:00Z", 250, "plt-base")
      .course("2026-01-05", 5)
      .result(testing::loinc::platelets, "2026-02-01T08:00:00Z", 40, "plt-1");
  std::string text = scenario_ndjson(s), observations, others;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    (line.find("\"Observation\"") != std::string::npos ? observations : others) += line + "\n";
  write(dir / "mixed.ndjson", observations + others);
  const auto run = read_streamed({dir / "mixed.ndjson"});
  EXPECT_NE(run->issues.find("itp"), std::string::npos) << run->summary.text();
}

TEST(PopulationRead, ABundleOnOneNdjsonLineResolvesItsFullUrlsAsWhenReadWhole) {
  // The ITP sample with every subject written as the Patient's urn:uuid fullUrl.
  ScratchDir dir("bundle-line");
  auto bundle = boost::json::parse(slurp(fs::path(ALEMWATCH_SOURCE_DIR) / "samples" / "02-itp" / "bundle.json")).as_object();
  std::string patient_url;
  for (const auto& e : bundle.at("entry").as_array())
    if (e.at("resource").at("resourceType") == "Patient") patient_url = std::string(e.at("fullUrl").as_string());
  ASSERT_FALSE(patient_url.empty());
  for (auto& e : bundle.at("entry").as_array())
    if (auto* subject = e.at("resource").as_object().if_contains("subject")) subject->as_object()["reference"] = patient_url;
  write(dir / "whole.json", boost::json::serialize(bundle));
  write(dir / "line.ndjson", boost::json::serialize(bundle) + "\n");
  const auto whole = read_in_full({dir / "whole.json"});
  const auto line = read_streamed({dir / "line.ndjson"});
  ASSERT_NE(whole->issues.find("itp"), std::string::npos) << whole->summary.text();
  EXPECT_EQ(line->issues, whole->issues) << line->summary.text();
  EXPECT_EQ(line->summary.problems().size(), whole->summary.problems().size());
}

TEST(PopulationRead, EverySampleAsNdjsonGivesTheIssuesAndProblemsOfTheBundle) {
  // Each sample's resources one per line: Observations are parsed keeping only the elements
  // read_observation reads (messy-ehr holds every kind of value[x], bad dates, bad units...).
  for (const auto& sample : fs::directory_iterator(fs::path(ALEMWATCH_SOURCE_DIR) / "samples")) {
    if (!fs::exists(sample.path() / "bundle.json")) continue;
    ScratchDir dir("sample-lines");
    const auto bundle = boost::json::parse(slurp(sample.path() / "bundle.json")).as_object();
    std::string lines;
    for (const auto& e : bundle.at("entry").as_array()) lines += boost::json::serialize(e.at("resource")) + "\n";
    write(dir / "lines.ndjson", lines);
    const auto whole = read_in_full({sample.path() / "bundle.json"});
    const auto line = read_streamed({dir / "lines.ndjson"});
    EXPECT_EQ(line->issues, whole->issues) << sample.path();
    const auto described = [](const adapter::RunSummary& summary) {
      std::multiset<std::string> out;
      for (const auto& p : summary.problems()) out.insert(p.resource_type + "/" + p.resource_id + " " + p.path + ": " + p.reason);
      return out;
    };
    EXPECT_EQ(described(line->summary), described(whole->summary)) << sample.path();
  }
}

TEST(ObservationSkim, ReadsTypeIdSubjectAndCodings) {
  fhir::ObservationSkimmer skimmer;
  std::string line =
      R"({"resourceType":"Observation","id":"o1","code":{"coding":[{"system":"http://loinc.org","code":"777-3"},{"code":"x"}],"text":"Plt"},"subject":{"display":"A","reference":"Patient/p1"},"valueQuantity":{"value":1}})";
  line.append(fhir::NdjsonBlockReader::padding, '\0');
  const auto skim = skimmer.skim(std::string_view(line).substr(0, line.size() - 64), line.size());
  ASSERT_TRUE(skim);
  EXPECT_EQ(skim->resource_type, "Observation");
  EXPECT_EQ(skim->id, "o1");
  ASSERT_TRUE(skim->subject_reference);
  EXPECT_EQ(*skim->subject_reference, "Patient/p1");
  ASSERT_EQ(skim->codings.size(), 2u);
  EXPECT_EQ(skim->codings[0].system, "http://loinc.org");
  EXPECT_EQ(skim->codings[0].code, "777-3");
  EXPECT_EQ(skim->codings[1].code, "x");
}

TEST(ObservationSkim, GivesUpOnAnythingSurprising) {
  fhir::ObservationSkimmer skimmer;
  for (std::string line : {
           std::string(R"({"resourceType":"Observation","resourceType":"Patient"})"),
           std::string(R"({"resourceType":"Observation","subject":{"reference":7}})"),
           std::string(R"({"resourceType":"Observation","code":{"coding":{"code":"x"}}})"),
           std::string(R"({"resourceType":"Observation"} {"x":1})"),
           std::string(R"({"resourceType":"Observation")"),
           std::string(R"(["resourceType","Observation"])"),
           std::string("{\"resourceType\":\"Observation\",\"id\":\"\xff\"}"),
       }) {
    const auto size = line.size();
    line.append(fhir::NdjsonBlockReader::padding, '\0');
    EXPECT_FALSE(skimmer.skim(std::string_view(line).substr(0, size), line.size())) << line.substr(0, size);
  }
}

TEST(AdministrationSkim, ReadsIdAndMedicationReferenceAndGivesUpOnSurprises) {
  fhir::AdministrationSkimmer skimmer;
  std::string padded;  // the last line skimmed: the skim's views point into it
  const auto skim = [&](std::string line) {
    const auto size = line.size();
    padded = std::move(line);
    padded.append(fhir::NdjsonBlockReader::padding, '\0');
    return skimmer.skim(std::string_view(padded).substr(0, size), padded.size());
  };
  const auto read = skim(R"({"resourceType":"MedicationAdministration","id":"a1","medicationReference":{"display":"X","reference":"Medication/m1"},"subject":{"reference":"Patient/p"}})");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->resource_type, "MedicationAdministration");
  EXPECT_EQ(read->id, "a1");
  ASSERT_TRUE(read->medication_reference);
  EXPECT_EQ(*read->medication_reference, "Medication/m1");
  EXPECT_FALSE(read->has_medication_concept);
  const auto both = skim(R"({"resourceType":"MedicationAdministration","medicationCodeableConcept":{"text":"x"},"medicationReference":{"reference":"Medication/m1"}})");
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->has_medication_concept);
  for (const char* line : {
           R"({"resourceType":"MedicationAdministration","medicationReference":{"reference":"Medication/m1"},"medicationReference":{"reference":"Medication/m2"}})",
           R"({"resourceType":"MedicationAdministration","medicationReference":{"reference":"Medication/m1","reference":"Medication/m2"}})",
           R"({"resourceType":"MedicationAdministration","medicationReference":{"reference":1}})",
           R"({"resourceType":"MedicationAdministration","id":"a","id":"b"})",
           R"({"resourceType":"MedicationAdministration"} 1)",
           R"({"resourceType":"MedicationAdministration")",
       })
    EXPECT_FALSE(skim(line)) << line;
}

TEST(NdjsonBlocks, LinesAreNeverSplitAndALongLineGrowsItsBlock) {
  ScratchDir dir("blocks");
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "{\"n\":" + std::to_string(i) + "}\n";
  text += "{\"long\":\"" + std::string(20000, 'x') + "\"}\n";
  text += "{\"last\":1}";  // no final line break
  write(dir / "a.ndjson", text);
  auto reader = fhir::NdjsonBlockReader::open(dir / "a.ndjson", 4096);
  ASSERT_TRUE(reader);
  std::string joined;
  std::size_t lines = 0;
  fhir::NdjsonBlock block;
  while (reader->next(block)) {
    EXPECT_TRUE(block.text().back() == '\n' || block.text().ends_with("{\"last\":1}"));
    lines += fhir::for_each_ndjson_line(block, [](std::string_view, std::size_t) {});
    joined += block.text();
    EXPECT_EQ(block.bytes.size(), block.size + fhir::NdjsonBlockReader::padding);
  }
  EXPECT_FALSE(reader->error());
  EXPECT_EQ(joined, text);
  EXPECT_EQ(lines, 1002u);
}

}  // namespace
}  // namespace alemwatch
