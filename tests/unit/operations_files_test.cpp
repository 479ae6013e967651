// The systemd units shipped under docs/systemd/ are exactly the ones docs/operations.md shows (an
// operator may copy either), and, where systemd-analyze is installed, systemd accepts them.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <regex>
#include <string>

namespace {

namespace fs = std::filesystem;

const fs::path source_dir = ALEMWATCH_SOURCE_DIR;
const fs::path units_dir = source_dir / "docs" / "systemd";

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// docs/systemd/*: file name -> content.
std::map<std::string, std::string> unit_files() {
  std::map<std::string, std::string> units;
  for (const auto& e : fs::directory_iterator(units_dir))
    if (e.is_regular_file()) units[e.path().filename().string()] = read_text(e.path());
  return units;
}

// The ```ini blocks of docs/operations.md that hold a unit: their first line names the file,
// "# /etc/systemd/system/<name>: ...". Name -> content, newline-terminated as a file is.
std::map<std::string, std::string> units_in_operations_md() {
  const std::string text = read_text(source_dir / "docs" / "operations.md");
  static const std::regex block("```ini\n([\\s\\S]*?)```");
  static const std::regex first_line(R"(^# /etc/systemd/system/([A-Za-z0-9@._-]+):)");
  std::map<std::string, std::string> units;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), block); it != std::sregex_iterator(); ++it) {
    const std::string content = (*it)[1];
    std::smatch name;
    if (std::regex_search(content, name, first_line)) {
      EXPECT_EQ(units.count(name[1]), 0u) << name[1] << " is shown twice in docs/operations.md";
      units[name[1]] = content;
    }
  }
  return units;
}

TEST(OperationsFiles, TheGuideShowsExactlyTheUnitFiles) {
  const auto files = unit_files();
  ASSERT_EQ(files.size(), 4u) << "docs/systemd/ should hold the two services and their timers";
  for (const char* name : {"alemwatch-sync.service", "alemwatch-sync.timer", "alemwatch-sync-full.service",
                           "alemwatch-sync-full.timer"})
    EXPECT_EQ(files.count(name), 1u) << name;
  const auto shown = units_in_operations_md();
  for (const auto& [name, content] : files) {
    auto it = shown.find(name);
    ASSERT_NE(it, shown.end()) << "docs/operations.md does not show " << name;
    EXPECT_EQ(it->second, content) << name << " differs between docs/systemd/ and docs/operations.md";
  }
  for (const auto& [name, content] : shown) EXPECT_EQ(files.count(name), 1u) << name << " is in the guide only";
}

// Runs a shell command; returns its exit status and what it wrote (stdout and stderr).
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(OperationsFiles, SystemdAcceptsTheUnits) {
  if (run("command -v systemd-analyze").first != 0) {
    // Optional: the content check above is the test; this one needs systemd's tools.
    std::cout << "[   NOTE   ] systemd-analyze is not installed: the units were not verified\n";
    return;
  }
  const auto dir = fs::temp_directory_path() / ("alemwatch-units-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // verify checks that ExecStart's program exists; the installed alemwatch need not be here, so
  // the copies name /bin/true in its place. Everything else is verified as shipped.
  std::string names;
  for (auto [name, content] : unit_files()) {
    content = std::regex_replace(content, std::regex("/usr/local/bin/alemwatch"), "/bin/true");
    std::ofstream(dir / name) << content;
    names += " " + (dir / name).string();
  }
  const auto [code, output] = run("systemd-analyze verify" + names);
  fs::remove_all(dir);
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(output, "") << "systemd-analyze verify warns (it exits 0 on unknown keys)";
}

}  // namespace
