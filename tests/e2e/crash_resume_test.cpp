// A sync killed with SIGKILL at random points and run again ends with exactly the server state
// of a clean run: every expected DetectedIssue, once, with the expected content.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "sync_test_support.hpp"

namespace alemwatch::testing {
namespace {

using Clock = std::chrono::steady_clock;

pid_t start_sync(const std::string& base, const std::string& state) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Quiet: the child's summary is not needed.
    if (FILE* null = std::freopen("/dev/null", "w", stderr)) (void)null;
    if (FILE* null = std::freopen("/dev/null", "w", stdout)) (void)null;
    ::execl(ALEMWATCH_BINARY, ALEMWATCH_BINARY, "sync", "--base-url", base.c_str(), "--state", state.c_str(), "--at",
            sync_time, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// How long a clean sync of the samples takes here, so that kill points cover the whole run.
std::chrono::milliseconds clean_run_duration() {
  static const auto measured = [] {
    FhirServerProcess server;
    TestClient(server.base_url()).load_all_samples();
    ScratchDir dir("crash-measure");
    const auto start = Clock::now();
    int status = 0;
    ::waitpid(start_sync(server.base_url(), dir.file("state.db")), &status, 0);
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }();
  return measured;
}

class CrashAndResume : public ::testing::TestWithParam<unsigned> {};

TEST_P(CrashAndResume, KilledRunsResumedEndInTheStateOfACleanRun) {
  ASSERT_TRUE(fhir_server_available()) << "run scripts/install-test-tools.sh";
  const auto duration = clean_run_duration();
  std::mt19937 random(GetParam());
  std::uniform_int_distribution<long> pick(0, duration.count());
  FhirServerProcess server;
  TestClient client(server.base_url());
  client.load_all_samples();
  ScratchDir dir("crash-" + std::to_string(GetParam()));
  const std::string state = dir.file("state.db");
  std::vector<long> kills;
  for (int k = 0; k < 3; ++k) {
    const pid_t pid = start_sync(server.base_url(), state);
    const long after = pick(random);
    kills.push_back(after);
    std::this_thread::sleep_for(std::chrono::milliseconds(after));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  int status = 0;
  ::waitpid(start_sync(server.base_url(), state), &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  const auto on_server = client.detected_issues();
  const auto expected = golden_issues();
  std::string where = "killed after";
  for (long k : kills) where += " " + std::to_string(k) + " ms";
  ASSERT_EQ(on_server.size(), expected.size()) << where << ": a DetectedIssue is missing or duplicated";
  for (const auto& [identifier, issue] : expected) {
    ASSERT_TRUE(on_server.contains(identifier)) << where << ": missing " << identifier;
    EXPECT_EQ(content(on_server.at(identifier)), content(issue)) << where << ": " << identifier;
  }
  EXPECT_EQ(client.count("DetectedIssue"), expected.size()) << where;

  // And once resumed, the state is settled: another run writes nothing.
  auto again = run_alemwatch("sync --base-url " + server.base_url() + " --state " + state + " --at " + sync_time +
                             " --summary-json " + dir.file("summary.json"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find(" 0 created, 0 updated, " + std::to_string(expected.size()) + " unchanged"), std::string::npos)
      << where << "\n" << again.output;
}

INSTANTIATE_TEST_SUITE_P(Seeds, CrashAndResume, ::testing::Values(1u, 2u, 3u, 4u));

}  // namespace
}  // namespace alemwatch::testing
