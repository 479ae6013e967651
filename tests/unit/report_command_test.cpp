// `alemwatch report` as a command: from files and from a sync state file (read while a sync holds
// its lock), exit codes, and byte-for-byte determinism for a given --at.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "alemwatch/adapter/evaluate_command.hpp"
#include "alemwatch/adapter/report_command.hpp"
#include "alemwatch/adapter/state_store.hpp"
#include "scenario.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;
using testing::Scenario;
namespace loinc = testing::loinc;

constexpr const char* at = "2026-11-01T00:00:00Z";

class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("alemwatch-report-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    // A moderate itp signal for p1 (platelets 42 after course 1).
    patient.result(loinc::platelets, "2023-12-20T08:00:00Z", 250, "plt-base")
        .course("2024-01-08", 5)
        .result(loinc::platelets, "2025-03-05T08:00:00Z", 42, "plt-low");
    boost::json::array entries;
    for (const auto& r : patient.resources()) entries.push_back(boost::json::object{{"resource", r}});
    bundle = dir / "bundle.json";
    std::ofstream(bundle) << boost::json::serialize(
        boost::json::object{{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", entries}});
  }
  void TearDown() override { fs::remove_all(dir); }

  ReportOptions options(const std::string& out_name) {
    ReportOptions o;
    o.at = at;
    o.mappings = ALEMWATCH_SOURCE_MAPPINGS;
    o.out = (dir / out_name).string();
    return o;
  }

  static std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The page from the signals on: the header names the inputs, which differ between runs.
  static std::string body(const std::string& html) { return html.substr(html.find("<section class=\"signals\"")); }

  Scenario patient;
  fs::path dir;
  fs::path bundle;
};

TEST_F(ReportCommand, WritesTheSameBytesForTheSameInputAndTime) {
  auto a = options("a.html"), b = options("b.html");
  a.paths = b.paths = {bundle.string()};
  ASSERT_EQ(run_report(a), exit_ok);
  ASSERT_EQ(run_report(b), exit_ok);
  const std::string html = read(a.out);
  EXPECT_EQ(html, read(b.out));
  EXPECT_NE(html.find("data-identifier=\"p1/itp/2025-03-05\""), std::string::npos);
  EXPECT_EQ(html.find("Generated at"), std::string::npos);
  EXPECT_FALSE(fs::exists(a.out + ".tmp"));
}

TEST_F(ReportCommand, WithoutAtTheGenerationTimeIsShown) {
  auto o = options("now.html");
  o.at.reset();
  o.paths = {bundle.string()};
  ASSERT_EQ(run_report(o), exit_ok);
  EXPECT_NE(read(o.out).find("<dt>Generated at</dt>"), std::string::npos);
}

TEST_F(ReportCommand, ReadsASyncStateFileWhileASyncHoldsItsLock) {
  const fs::path state = dir / "state.db";
  auto store = StateStore::open(state);  // holds the run lock for the whole test, as a running sync does
  ASSERT_TRUE(store) << store.error().describe();
  std::vector<StateStore::CachedResource> cached;
  for (const auto& r : patient.resources())
    cached.push_back({std::string(r.at("resourceType").as_string()), std::string(r.at("id").as_string()),
                      boost::json::serialize(r)});
  (*store)->replace_patient_resources("https://ehr.example/fhir", "p1", cached);

  auto read_only = StateStore::open_read_only(state);
  ASSERT_TRUE(read_only) << read_only.error().describe();
  EXPECT_EQ((*read_only)->cached_servers(), std::vector<std::string>{"https://ehr.example/fhir"});

  auto from_state = options("state.html"), from_files = options("files.html");
  from_state.state = state.string();
  from_files.paths = {bundle.string()};
  ASSERT_EQ(run_report(from_state), exit_ok);
  ASSERT_EQ(run_report(from_files), exit_ok);
  const std::string html = read(from_state.out);
  EXPECT_NE(html.find("server https://ehr.example/fhir: 1 cached patient(s)"), std::string::npos);
  // The same evaluation whatever the source: identical signals, charts and schedule.
  EXPECT_EQ(body(html), body(read(from_files.out)));
}

TEST_F(ReportCommand, AStateFileThatIsNotOneIsNoInput) {
  std::ofstream(dir / "not-a-db") << "hello";
  auto o = options("x.html");
  o.state = (dir / "not-a-db").string();
  EXPECT_EQ(run_report(o), exit_no_input);
  o.state = (dir / "missing.db").string();
  EXPECT_EQ(run_report(o), exit_no_input);
  EXPECT_FALSE(fs::exists(dir / "missing.db"));  // never created by a report
}

TEST_F(ReportCommand, UsageErrorsExitWithTwo) {
  auto both = options("x.html");
  both.paths = {bundle.string()};
  both.state = (dir / "state.db").string();
  EXPECT_EQ(run_report(both), exit_usage);
  EXPECT_EQ(run_report(options("x.html")), exit_usage);  // neither
  auto bad_at = options("x.html");
  bad_at.paths = {bundle.string()};
  bad_at.at = "2026-13-01";
  EXPECT_EQ(run_report(bad_at), exit_usage);
  auto bad_mappings = options("x.html");
  bad_mappings.paths = {bundle.string()};
  bad_mappings.mappings = (dir / "no-such-dir").string();
  EXPECT_EQ(run_report(bad_mappings), exit_usage);
  EXPECT_FALSE(fs::exists(dir / "x.html"));
}

TEST_F(ReportCommand, NoReadableInputIsExitOneButStillAPage) {
  auto o = options("empty.html");
  o.paths = {(dir / "missing.json").string()};
  EXPECT_EQ(run_report(o), exit_no_input);
  EXPECT_NE(read(o.out).find("0 file(s) read, 1 unreadable"), std::string::npos);
}

}  // namespace
}  // namespace alemwatch::adapter
