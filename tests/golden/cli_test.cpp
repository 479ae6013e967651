// The alemwatch command line: exit codes, help, version, and start-up errors in mapping data.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Run run(const std::string& args) {
  const std::string command = std::string(ALEMWATCH_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("alemwatch-cli-" + name + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

TEST(CommandLine, VersionNamesTheProgram) {
  const auto r = run("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("alemwatch 0.1.0"), std::string::npos);
}

TEST(CommandLine, HelpOnTheEvaluateCommandListsItsOptions) {
  const auto r = run("evaluate --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--at", "--mappings", "--out", "--summary-json"})
    EXPECT_NE(r.output.find(option), std::string::npos) << option;
}

TEST(CommandLine, AnUnknownOptionIsAUsageError) { EXPECT_EQ(run("evaluate --bogus x").exit_code, 2); }

TEST(CommandLine, NoCommandIsAUsageError) { EXPECT_EQ(run("").exit_code, 2); }

TEST(CommandLine, ABadEvaluationTimeIsAUsageErrorThatQuotesIt) {
  const auto r = run("evaluate --at 2026-13-01 " + std::string(ALEMWATCH_SAMPLES) + "/02-itp/bundle.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("2026-13-01"), std::string::npos);
}

TEST(CommandLine, NoReadableInputExitsOne) {
  const auto r = run("evaluate /nonexistent/input.ndjson");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("/nonexistent/input.ndjson"), std::string::npos);
}

TEST(CommandLine, AMalformedMappingFileStopsTheRunNamingFileAndElement) {
  const auto dir = temp_dir("mappings");
  fs::copy(ALEMWATCH_SOURCE_MAPPINGS, dir, fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  // A hospital's copy that lost one threshold.
  std::ifstream in(dir / "signals.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const std::string key = "\"platelets_high_below\": 30, ";
  ASSERT_NE(s.find(key), std::string::npos);
  s.erase(s.find(key), key.size());
  std::ofstream(dir / "signals.json") << s;
  const auto r = run("evaluate --mappings " + dir.string() + " " + std::string(ALEMWATCH_SAMPLES) + "/02-itp/bundle.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("signals.json"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("signals.itp.thresholds.platelets_high_below"), std::string::npos) << r.output;
  // Not JSON at all.
  std::ofstream(dir / "units.json") << "{ not json";
  const auto broken = run("evaluate --mappings " + dir.string() + " " + std::string(ALEMWATCH_SAMPLES) + "/02-itp/bundle.json");
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.output.find("units.json: not valid JSON"), std::string::npos) << broken.output;
  fs::remove_all(dir);
}

TEST(CommandLine, SummaryJsonCountsEveryResourceRead) {
  const auto dir = temp_dir("summary");
  const auto r = run("evaluate --at 2026-11-01T00:00:00Z --out " + (dir / "issues.ndjson").string() + " --summary-json " +
                     (dir / "summary.json").string() + " " + std::string(ALEMWATCH_SAMPLES) + "/13-messy-ehr/bundle.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir / "summary.json");
  std::stringstream text;
  text << in.rdbuf();
  // The unusable "<5" result is listed with its resource id, path and reason.
  EXPECT_NE(text.str().find("\"id\":\"aw-13-rbc-1\""), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("\"path\":\"Observation.valueString\""), std::string::npos);
  EXPECT_NE(r.output.find("medications matched by text only: 1"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

}  // namespace
