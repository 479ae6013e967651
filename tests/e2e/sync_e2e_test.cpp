// alemwatch sync against a real, independent FHIR server process (tests/tools/fhir-server).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <thread>
#include <sstream>

#include "sync_test_support.hpp"

namespace alemwatch::testing {
namespace {

class SyncEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fhir_server_available()) << "run scripts/install-test-tools.sh";
    server = std::make_unique<FhirServerProcess>();
    client = std::make_unique<TestClient>(server->base_url());
    client->load_all_samples();
  }

  CommandResult sync(const std::string& extra = "") {
    return run_alemwatch("sync --base-url " + server->base_url() + " --state " + scratch.file("state.db") + " --at " +
                         sync_time + " --summary-json " + scratch.file("summary.json") + " " + extra);
  }

  boost::json::object last_summary() {
    std::ifstream in(scratch.file("summary.json"));
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str()).as_object();
  }

  std::size_t pushed(const char* what) {
    return last_summary().at("sync").at("pushed").at(what).to_number<std::size_t>();
  }

  ScratchDir scratch{::testing::UnitTest::GetInstance()->current_test_info()->name()};
  std::unique_ptr<FhirServerProcess> server;
  std::unique_ptr<TestClient> client;
};

void expect_server_matches(const std::map<std::string, boost::json::object>& on_server,
                           const std::map<std::string, boost::json::object>& expected) {
  std::vector<std::string> a, e;
  for (const auto& [k, v] : on_server) a.push_back(k);
  for (const auto& [k, v] : expected) e.push_back(k);
  ASSERT_EQ(a, e);
  for (const auto& [k, v] : expected)
    EXPECT_EQ(content(on_server.at(k)), content(v)) << k << "\n  server:   " << boost::json::serialize(on_server.at(k));
}

TEST_F(SyncEndToEnd, TheServersDetectedIssuesEqualTheGoldenFilesAndASecondSyncWritesNothing) {
  auto first = sync();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  expect_server_matches(client->detected_issues(), golden_issues());
  EXPECT_EQ(pushed("created"), golden_issues().size());

  const auto before = client->detected_issues();
  auto second = sync();
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(pushed("created"), 0u);
  EXPECT_EQ(pushed("updated"), 0u);
  EXPECT_EQ(pushed("unchanged"), golden_issues().size());
  for (const auto& [k, v] : client->detected_issues())
    EXPECT_EQ(v.at("meta").at("versionId"), before.at(k).at("meta").at("versionId")) << k;
}

TEST_F(SyncEndToEnd, AChangedObservationUpdatesTheRightDetectedIssue) {
  ASSERT_EQ(sync().exit_code, 0);
  const auto before = client->detected_issues();
  // Early ITP (low) becomes moderate: the platelet count that was 144 is corrected to 90.
  auto obs = client->read("Observation", "aw-03-plt-11");
  obs["status"] = "corrected";
  obs["valueQuantity"].as_object()["value"] = 90;
  client->put(obs);
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(pushed("updated"), 1u) << run.output;
  const auto after = client->detected_issues();
  EXPECT_EQ(after.at("aw-03/itp/2022-07-18").at("severity"), "moderate");
  EXPECT_NE(after.at("aw-03/itp/2022-07-18").at("meta").at("versionId"),
            before.at("aw-03/itp/2022-07-18").at("meta").at("versionId"));
  for (const auto& [k, v] : after)
    if (k != "aw-03/itp/2022-07-18") EXPECT_EQ(v.at("meta").at("versionId"), before.at(k).at("meta").at("versionId")) << k;
}

TEST_F(SyncEndToEnd, AnIssueEditedOnTheServerBySomeoneElseIsLeftAloneAndReported) {
  ASSERT_EQ(sync().exit_code, 0);
  auto issue = client->detected_issues().at("aw-03/itp/2022-07-18");
  issue["status"] = "final";  // a clinician reviewed it
  client->put(issue);
  const auto edited = client->detected_issues().at("aw-03/itp/2022-07-18");
  // New evidence would change it.
  auto obs = client->read("Observation", "aw-03-plt-11");
  obs["valueQuantity"].as_object()["value"] = 90;
  client->put(obs);
  auto run = sync();
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(pushed("left_alone"), 1u);
  EXPECT_NE(run.output.find("left alone: aw-03/itp/2022-07-18"), std::string::npos) << run.output;
  EXPECT_EQ(client->detected_issues().at("aw-03/itp/2022-07-18"), edited);
}

TEST_F(SyncEndToEnd, ObservationsEnteredInErrorTurnTheirIssueEnteredInError) {
  ASSERT_EQ(sync().exit_code, 0);
  for (const char* id : {"aw-09-ferr-2", "aw-09-ferr-3"}) {
    auto obs = client->read("Observation", id);
    obs["status"] = "entered-in-error";
    client->put(obs);
  }
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto hlh = client->detected_issues().at("aw-09/hlh/2022-01-10");
  EXPECT_EQ(hlh.at("status"), "entered-in-error");
  EXPECT_NE(std::string(hlh.at("detail").as_string()).find("Withdrawn by alemwatch"), std::string::npos);
  EXPECT_EQ(pushed("withdrawn"), 1u);
  EXPECT_EQ(client->count("DetectedIssue"), golden_issues().size()) << "never deleted, never duplicated";
}

TEST_F(SyncEndToEnd, AnOverdueTestThatHasResultedKeepsItsIssueWithAMitigation) {
  ASSERT_EQ(sync().exit_code, 0);
  boost::json::object platelets{
      {"resourceType", "Observation"}, {"id", "aw-10-plt-late"}, {"status", "final"},
      {"code", {{"coding", boost::json::array{{{"system", "http://loinc.org"}, {"code", "777-3"}}}}}},
      {"subject", {{"reference", "Patient/aw-10"}}}, {"effectiveDateTime", "2026-10-20T09:00:00Z"},
      {"valueQuantity", {{"value", 210}, {"unit", "10*3/uL"}, {"system", "http://unitsofmeasure.org"}, {"code", "10*3/uL"}}}};
  client->put(platelets);
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto cbc = client->detected_issues().at("aw-10/monitoring-overdue-cbc/2026-07-23");
  EXPECT_EQ(cbc.at("status"), "preliminary");
  ASSERT_TRUE(cbc.contains("mitigation")) << boost::json::serialize(cbc);
  EXPECT_EQ(cbc.at("mitigation").at(0).at("date"), "2026-10-20T09:00:00Z");
  EXPECT_EQ(cbc.at("mitigation").at(0).at("action").at("coding").at(0).at("code"), "9");
  EXPECT_EQ(pushed("mitigated"), 1u);
}

TEST_F(SyncEndToEnd, AnIncrementalRunPullsOnlyThePatientsWhoseDataChanged) {
  // No safety overlap, so that the samples loaded before the first run are not "changed".
  std::ofstream(scratch.file("config.json")) << R"({"watermark_overlap_minutes": 0})";
  // The test server hands out strictly increasing lastUpdated times, which run ahead of the clock
  // while it loads the samples quickly: let the clock catch up first.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  ASSERT_EQ(sync("--config " + scratch.file("config.json")).exit_code, 0);
  EXPECT_EQ(last_summary().at("sync").at("patients").at("fetched"), 14);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto obs = client->read("Observation", "aw-03-plt-11");
  obs["valueQuantity"].as_object()["value"] = 90;
  client->put(obs);
  auto run = sync("--config " + scratch.file("config.json"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto patients = last_summary().at("sync").at("patients");
  EXPECT_EQ(patients.at("fetched"), 1) << run.output;
  EXPECT_EQ(patients.at("from_last_pull"), 13);
  EXPECT_EQ(pushed("updated"), 1u);
  EXPECT_EQ(pushed("unchanged"), golden_issues().size() - 1);
  EXPECT_EQ(client->detected_issues().at("aw-03/itp/2022-07-18").at("severity"), "moderate");
}

TEST_F(SyncEndToEnd, ADryRunWritesNothingAnywhere) {
  auto run = sync("--dry-run");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(pushed("created"), golden_issues().size()) << "counted as would-be creations";
  EXPECT_EQ(client->count("DetectedIssue"), 0u);
  auto real = sync();
  ASSERT_EQ(real.exit_code, 0);
  EXPECT_EQ(pushed("created"), golden_issues().size()) << "the dry run recorded nothing";
}

TEST_F(SyncEndToEnd, PushingToAnotherServerWritesAbsoluteReferencesThere) {
  FhirServerProcess other;
  TestClient other_client(other.base_url());
  auto run = sync("--push-base-url " + other.base_url() + " --patient aw-02");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(client->count("DetectedIssue"), 0u);
  const auto issues = other_client.detected_issues();
  ASSERT_EQ(issues.size(), 1u);
  const auto& itp = issues.at("aw-02/itp/2021-06-21");
  EXPECT_EQ(itp.at("patient").at("reference"), boost::json::value(server->base_url() + "/Patient/aw-02"));
  EXPECT_EQ(std::string(itp.at("evidence").at(0).at("detail").at(0).at("reference").as_string()).rfind(server->base_url() + "/Observation/", 0), 0u);
}

TEST_F(SyncEndToEnd, AServerThatDemandsACategoryIsSatisfiedByRequireCategory) {
  FhirServerProcess epic_like({"--require-category"});
  TestClient epic_client(epic_like.base_url());
  epic_client.load_bundle(std::string(ALEMWATCH_SAMPLES) + "/02-itp/bundle.json");
  const std::string base = "sync --base-url " + epic_like.base_url() + " --at " + sync_time + " --state ";
  auto without = run_alemwatch(base + scratch.file("a.db"));
  EXPECT_NE(without.exit_code, 0) << without.output;
  auto with = run_alemwatch(base + scratch.file("b.db") + " --require-category");
  EXPECT_EQ(with.exit_code, 0) << with.output;
  EXPECT_EQ(epic_client.detected_issues().size(), 1u);
}

TEST_F(SyncEndToEnd, TwoRunsOnOneStateFileDoNotOverlap) {
  // Hold the lock the way a running sync does, from another process.
  const std::string lock = scratch.file("state.db.lock");
  const std::string holder = "flock " + lock + " sleep 3 & sleep 0.5; ";
  auto run = run_alemwatch("--version >/dev/null; true");
  (void)run;
  const std::string command = holder + std::string(ALEMWATCH_BINARY) + " sync --base-url " + server->base_url() +
                              " --state " + scratch.file("state.db") + " 2>&1; echo \"exit=$?\"";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ::pclose(pipe);
  EXPECT_NE(out.find("exit=5"), std::string::npos) << out;
  EXPECT_NE(out.find("holds the lock"), std::string::npos) << out;
}

}  // namespace
}  // namespace alemwatch::testing
