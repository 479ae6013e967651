// alemwatch conformance against a real, independent FHIR server process (tests/tools/fhir-server),
// as it is, with its samples preloaded, with an issue edited behind the kit's back, and with the
// server quirks a vendor's server may have (DetectedIssue read-only, no conditional update).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync_test_support.hpp"

namespace alemwatch::testing {
namespace {

namespace fs = std::filesystem;

struct Sample {
  std::string name;
  bool expects_issues = false;
};

std::vector<Sample> samples() {
  std::vector<Sample> out;
  for (const auto& e : fs::directory_iterator(ALEMWATCH_SAMPLES))
    if (fs::exists(e.path() / "bundle.json"))
      out.push_back({e.path().filename().string(), fs::file_size(e.path() / "expected.ndjson") > 0});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> load_all_options() {
  std::vector<std::string> options{"--load"};
  for (const auto& s : samples()) options.push_back(std::string(ALEMWATCH_SAMPLES) + "/" + s.name + "/bundle.json");
  return options;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fhir_server_available()) << "run scripts/install-test-tools.sh"; }

  CommandResult conformance(const FhirServerProcess& server, const std::string& extra = "") {
    return run_alemwatch("conformance --base-url " + server.base_url() + " --samples " + ALEMWATCH_SAMPLES +
                         " --report " + scratch.file("report.json") + " " + extra);
  }

  boost::json::object report() {
    std::ifstream in(scratch.file("report.json"));
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str()).as_object();
  }

  // The report's scenario of that name.
  boost::json::object scenario(const std::string& name) {
    const auto r = report();
    for (const auto& s : r.at("scenarios").as_array())
      if (s.at("name").as_string() == name) return s.as_object();
    ADD_FAILURE() << "no scenario " << name << " in the report";
    return {};
  }

  void expect_every_scenario_passes(const CommandResult& run) {
    EXPECT_EQ(run.exit_code, 0) << run.output;
    for (const auto& s : samples()) EXPECT_TRUE(contains(run.output, "PASS " + s.name + "\n")) << s.name << "\n" << run.output;
    const auto r = report();
    EXPECT_EQ(r.at("tally").at("passed").to_number<std::size_t>(), samples().size());
    EXPECT_EQ(r.at("tally").at("failed").to_number<std::size_t>(), 0u);
    EXPECT_TRUE(contains(run.output, std::to_string(samples().size()) + " of " + std::to_string(samples().size()) +
                                         " scenarios passed, 0 failed"))
        << run.output;
  }

  ScratchDir scratch{std::string("conformance-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()};
};

TEST_F(Conformance, EveryScenarioPassesAgainstTheTestServerWithTheKitLoadingTheSamples) {
  FhirServerProcess server;
  TestClient client(server.base_url());
  ASSERT_EQ(client.count("Patient"), 0u) << "the server starts empty: the kit loads the samples";

  auto run = conformance(server);
  expect_every_scenario_passes(run);
  EXPECT_TRUE(report().at("loaded").as_bool());
  EXPECT_EQ(client.count("Patient"), samples().size());
  EXPECT_EQ(client.count("DetectedIssue"), golden_issues().size());
  EXPECT_EQ(scenario("02-itp").at("expected").to_number<int>(), 1);
  EXPECT_EQ(scenario("02-itp").at("on_server").to_number<int>(), 1);
  EXPECT_EQ(report().at("server").at("conditional_update"), true);
}

TEST_F(Conformance, EveryScenarioPassesWithNoLoadAgainstAServerStartedWithTheSamples) {
  FhirServerProcess server(load_all_options());
  TestClient client(server.base_url());
  ASSERT_EQ(client.count("Patient"), samples().size());

  auto run = conformance(server, "--no-load");
  expect_every_scenario_passes(run);
  EXPECT_FALSE(report().at("loaded").as_bool());
}

TEST_F(Conformance, ScenariosWhoseDataCannotBeReadFailEvenWhenTheRightIssuesAreAlreadyThere) {
  // An Epic-like server that refuses Observation searches without a category: a sync told so
  // leaves the right issues on it; the kit, not told, cannot read the results, and must not
  // pass on what an earlier run left behind.
  auto options = load_all_options();
  options.push_back("--require-category");
  FhirServerProcess server(options);
  const auto seeded = run_alemwatch("sync --base-url " + server.base_url() + " --state " + scratch.file("seed.db") +
                                    " --at " + sync_time + " --require-category");
  ASSERT_EQ(seeded.exit_code, 0) << seeded.output;
  auto run = conformance(server, "--no-load");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  for (const auto& s : samples()) EXPECT_TRUE(contains(run.output, "FAIL " + s.name + "\n")) << s.name << "\n" << run.output;
  EXPECT_TRUE(scenario("02-itp").at("sync_failed").as_bool());
  EXPECT_TRUE(contains(run.output, "could not pull Patient/aw-02") || contains(run.output, "server refused"))
      << run.output;
}

TEST_F(Conformance, AnIssueChangedOnTheServerFailsExactlyItsScenarioWithTheDifferenceInWords) {
  FhirServerProcess server;
  TestClient client(server.base_url());
  ASSERT_EQ(conformance(server).exit_code, 0);

  // Someone lowers the severity of the ITP issue and drops its baseline from the evidence.
  auto issue = client.detected_issues().at("aw-02/itp/2021-06-21");
  issue["severity"] = "moderate";
  auto& details = issue["evidence"].as_array().at(0).as_object()["detail"].as_array();
  ASSERT_EQ(details.back().at("reference"), "Observation/aw-02-plt-6");
  details.pop_back();
  client.put(issue);

  auto run = conformance(server, "--no-load");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(contains(run.output, "FAIL 02-itp\n")) << run.output;
  EXPECT_TRUE(contains(run.output,
                       "  wrong severity: aw-02/itp/2021-06-21: expected high, server has moderate\n"))
      << run.output;
  EXPECT_TRUE(contains(run.output, "  wrong evidence: aw-02/itp/2021-06-21: server lacks Observation/aw-02-plt-6\n"))
      << run.output;
  // The sync sees an issue it did not write as it is, and leaves it alone: that is said too.
  EXPECT_TRUE(contains(run.output, "  sync left aw-02/itp/2021-06-21 alone: ")) << run.output;
  for (const auto& s : samples()) {
    if (s.name == "02-itp") continue;
    EXPECT_TRUE(contains(run.output, "PASS " + s.name + "\n")) << s.name << "\n" << run.output;
  }

  const auto itp = scenario("02-itp");
  EXPECT_EQ(itp.at("result"), "FAIL");
  const auto& differences = itp.at("differences").as_array();
  ASSERT_EQ(differences.size(), 2u) << boost::json::serialize(itp);
  EXPECT_EQ(differences.at(0).at("kind"), "wrong severity");
  EXPECT_EQ(differences.at(0).at("expected"), "high");
  EXPECT_EQ(differences.at(0).at("server"), "moderate");
  EXPECT_EQ(differences.at(1).at("kind"), "wrong evidence");
  EXPECT_EQ(report().at("tally").at("failed").to_number<int>(), 1);
}

TEST_F(Conformance, AServerThatRefusesDetectedIssueWritesFailsEveryScenarioThatExpectsIssuesAndSaysWhy) {
  FhirServerProcess server({"--read-only-type", "DetectedIssue"});
  auto run = conformance(server);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  std::size_t expecting = 0;
  for (const auto& s : samples()) {
    const auto result = scenario(s.name);
    if (!s.expects_issues) {
      EXPECT_EQ(result.at("result"), "PASS") << s.name;
      EXPECT_TRUE(contains(run.output, "PASS " + s.name + "\n")) << run.output;
      continue;
    }
    ++expecting;
    EXPECT_EQ(result.at("result"), "FAIL") << s.name;
    EXPECT_TRUE(contains(run.output, "FAIL " + s.name + "\n")) << run.output;
    EXPECT_EQ(result.at("on_server").to_number<int>(), 0) << s.name;
    // Every expected issue is missing, and each refusal is quoted with its status and text.
    for (const auto& d : result.at("differences").as_array()) EXPECT_EQ(d.at("kind"), "missing") << s.name;
    const auto& refused = result.at("sync_notes").as_array();
    ASSERT_FALSE(refused.empty()) << s.name;
    for (const auto& line : refused) {
      const std::string text(line.as_string());
      EXPECT_TRUE(contains(text, "server refused DetectedIssue create of aw-" + s.name.substr(0, 2) + "/"))
          << text;
      EXPECT_TRUE(contains(text, ": 405 error: DetectedIssue is read-only on this server: writes are not allowed"))
          << text;
    }
  }
  EXPECT_TRUE(contains(run.output, "  missing: aw-02/itp/2021-06-21 (itp, high)\n")) << run.output;
  EXPECT_TRUE(contains(run.output, "  server refused DetectedIssue create of aw-02/itp/2021-06-21: 405 error: "
                                   "DetectedIssue is read-only on this server: writes are not allowed\n"))
      << run.output;
  EXPECT_TRUE(contains(run.output, "server: the CapabilityStatement lists neither create nor update for DetectedIssue"))
      << run.output;
  EXPECT_EQ(report().at("tally").at("failed").to_number<std::size_t>(), expecting);
}

TEST_F(Conformance, AServerWithoutConditionalUpdateIsNamedAndTheFallbackStillPasses) {
  FhirServerProcess server({"--no-conditional-update"});
  auto run = conformance(server);
  expect_every_scenario_passes(run);
  const auto all = samples();
  const auto expecting = std::to_string(std::count_if(all.begin(), all.end(), [](const auto& s) { return s.expects_issues; }));
  EXPECT_TRUE(contains(run.output,
                       "server: conditional update not supported (CapabilityStatement: DetectedIssue conditionalUpdate "
                       "false): fell back to searching by identifier, then POST; the fallback passes: " +
                           expecting + " of " + expecting + " scenarios that expect issues passed\n"))
      << run.output;
  EXPECT_EQ(report().at("server").at("conditional_update"), false);
}

TEST_F(Conformance, NoBaseUrlIsAUsageErrorAndAClosedPortIsUnreachable) {
  auto usage = run_alemwatch(std::string("conformance --samples ") + ALEMWATCH_SAMPLES);
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_TRUE(contains(usage.output, "--base-url")) << usage.output;

  auto bad_samples = run_alemwatch("conformance --base-url http://127.0.0.1:1/fhir --samples " + scratch.file("none"));
  EXPECT_EQ(bad_samples.exit_code, 2) << bad_samples.output;
  EXPECT_TRUE(contains(bad_samples.output, scratch.file("none") + ": not a directory of samples")) << bad_samples.output;

  // A sample whose expected file is not JSON: named with its line, before anything is sent.
  fs::create_directories(scratch.path() / "samples" / "99-bad");
  fs::copy_file(fs::path(ALEMWATCH_SAMPLES) / "02-itp" / "bundle.json", scratch.path() / "samples" / "99-bad" / "bundle.json");
  std::ofstream(scratch.path() / "samples" / "99-bad" / "expected.ndjson") << "{not json\n";
  auto bad_line = run_alemwatch("conformance --base-url http://127.0.0.1:1/fhir --samples " + scratch.file("samples"));
  EXPECT_EQ(bad_line.exit_code, 2) << bad_line.output;
  EXPECT_TRUE(contains(bad_line.output, "99-bad/expected.ndjson line 1: not valid JSON")) << bad_line.output;

  // Port 1 on the loopback: nothing listens there.
  auto unreachable = run_alemwatch(std::string("conformance --base-url http://127.0.0.1:1/fhir --samples ") + ALEMWATCH_SAMPLES);
  EXPECT_EQ(unreachable.exit_code, 4) << unreachable.output;
}

}  // namespace
}  // namespace alemwatch::testing
