// alemwatch sync --bulk against the real test FHIR server's Bulk Data $export
// (tests/tools/fhir-server/bulk.mjs), which answers polls with 429 and 202, cuts downloads off
// mid-file, and lists an error file when told to.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "sync_test_support.hpp"

namespace alemwatch::testing {
namespace {

class BulkSync : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fhir_server_available()) << "run scripts/install-test-tools.sh"; }

  std::unique_ptr<FhirServerProcess> start(std::vector<std::string> options) {
    auto server = std::make_unique<FhirServerProcess>(std::move(options));
    TestClient(server->base_url()).load_all_samples();
    return server;
  }

  CommandResult sync(const FhirServerProcess& server, const std::string& state, const std::string& extra = "") {
    return run_alemwatch("sync --base-url " + server.base_url() + " --state " + scratch.file(state) + " --at " +
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

  static boost::json::object bulk_stats(const FhirServerProcess& server) {
    auto http = fhir::HttpClient::create({});
    if (!http) return {};
    auto response = (*http)->send({.url = server.base_url() + "/$admin/bulk-stats"});
    if (!response || response->status != 200) return {};
    return boost::json::parse(response->body).as_object();
  }

  static std::map<std::string, boost::json::object> contents(const std::map<std::string, boost::json::object>& issues) {
    std::map<std::string, boost::json::object> out;
    for (const auto& [k, v] : issues) out[k] = content(v);
    return out;
  }

  ScratchDir scratch{::testing::UnitTest::GetInstance()->current_test_info()->name()};
};

TEST_F(BulkSync, AFaultyExportGivesTheSameIssuesAsARestSyncOverTheSameData) {
  const auto faulty = start({"--bulk-429-polls", "1", "--bulk-drop-after-bytes", "300", "--bulk-file-lines", "100"});
  const auto run = sync(*faulty, "bulk.db", "--bulk");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const auto stats = bulk_stats(*faulty);
  ASSERT_FALSE(stats.empty());
  EXPECT_GE(stats.at("throttled").to_number<int>(), 1) << boost::json::serialize(stats);
  EXPECT_GE(stats.at("drops").to_number<int>(), 1);
  EXPECT_GE(stats.at("rangedRequests").to_number<int>(), 1) << "cut-off downloads resumed with Range";
  EXPECT_EQ(stats.at("deletes").to_number<int>(), 1) << "the job is deleted";
  const std::string query(stats.at("lastKickoff").at("url").as_string());
  EXPECT_NE(query.find("_typeFilter="), std::string::npos) << query;
  EXPECT_FALSE(std::filesystem::exists(scratch.file("bulk.db.bulk"))) << "downloaded files are removed";

  const auto by_rest = start({});
  const auto rest = sync(*by_rest, "rest.db");
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  const auto bulk_issues = contents(TestClient(faulty->base_url()).detected_issues());
  EXPECT_EQ(bulk_issues, contents(TestClient(by_rest->base_url()).detected_issues()));
  EXPECT_EQ(bulk_issues, contents(golden_issues()));
}

TEST_F(BulkSync, AnExportWithAnErrorFileIsReportedAndWritesNothing) {
  const auto server = start({"--bulk-error-file", "--bulk-drop-after-bytes", "300"});
  TestClient client(server->base_url());
  // Issues already written by an earlier, complete sync must not be withdrawn on the strength of
  // an incomplete export.
  ASSERT_EQ(sync(*server, "state.db").exit_code, 0);
  const auto before = contents(client.detected_issues());
  const auto run = sync(*server, "state.db", "--bulk --full");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("nothing is written this run"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("simulated export error for testing"), std::string::npos) << "the server's words may be PHI";
  EXPECT_EQ(contents(client.detected_issues()), before);
  EXPECT_EQ(bulk_stats(*server).at("deletes").to_number<int>(), 1) << "the job is deleted all the same";
  EXPECT_FALSE(std::filesystem::exists(scratch.file("state.db.bulk")));

  const auto shown = sync(*server, "state.db", "--bulk --full --log-phi");
  EXPECT_EQ(shown.exit_code, 3);
  EXPECT_NE(shown.output.find("simulated export error for testing"), std::string::npos) << shown.output;
}

TEST_F(BulkSync, LaterRunsExportOnlyChangesSinceTheLastExport) {
  const auto server = start({"--bulk-file-lines", "200"});
  auto first = sync(*server, "state.db", "--bulk");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(pushed("created"), golden_issues().size());

  // Evidence of the HLH signal entered in error: the incremental export carries the change.
  TestClient client(server->base_url());
  for (const char* id : {"aw-09-ferr-2", "aw-09-ferr-3"}) {
    auto obs = client.read("Observation", id);
    obs["status"] = "entered-in-error";
    client.put(obs);
  }
  auto second = sync(*server, "state.db", "--bulk");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string query(bulk_stats(*server).at("lastKickoff").at("url").as_string());
  EXPECT_NE(query.find("_since="), std::string::npos) << query;
  EXPECT_NE(second.output.find("incremental export read"), std::string::npos) << second.output;
  EXPECT_EQ(client.detected_issues().at("aw-09/hlh/2022-01-10").at("status"), "entered-in-error");
  EXPECT_EQ(pushed("withdrawn"), 1u);
  // Every other patient was evaluated from the state file and left as it was.
  EXPECT_EQ(pushed("unchanged"), golden_issues().size() - 1);

  auto third = sync(*server, "state.db", "--bulk");
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_EQ(pushed("created") + pushed("updated") + pushed("withdrawn"), 0u) << third.output;
  EXPECT_EQ(client.count("DetectedIssue"), golden_issues().size()) << "never deleted, never duplicated";
}

TEST_F(BulkSync, AGroupIsExportedThroughGroupExport) {
  const auto server = start({});
  TestClient client(server->base_url());
  client.put(boost::json::object{{"resourceType", "Group"}, {"id", "ms-clinic"}, {"type", "person"}, {"actual", true},
                                 {"member", boost::json::array{{{"entity", {{"reference", "Patient/aw-02"}}}}}}});
  const auto run = sync(*server, "state.db", "--bulk --group ms-clinic");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string query(bulk_stats(*server).at("lastKickoff").at("url").as_string());
  EXPECT_NE(query.find("/Group/ms-clinic/$export"), std::string::npos) << query;
  for (const auto& [identifier, issue] : client.detected_issues())
    EXPECT_TRUE(identifier.starts_with("aw-02/")) << identifier;
  EXPECT_FALSE(client.detected_issues().empty());
}

}  // namespace
}  // namespace alemwatch::testing
