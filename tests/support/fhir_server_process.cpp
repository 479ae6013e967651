#include "fhir_server_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace alemwatch::testing {

namespace {
std::string tool_dir(const std::string& tool) { return std::string(ALEMWATCH_SOURCE_DIR) + "/tests/tools/" + tool; }
}  // namespace

bool fhir_server_available() { return std::filesystem::exists(tool_dir("fhir-server") + "/node_modules"); }
bool token_server_available() { return std::filesystem::exists(tool_dir("token-server") + "/node_modules"); }

NodeToolProcess::NodeToolProcess(const std::string& tool, std::vector<std::string> options) {
  const std::string server_dir = tool_dir(tool);
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<std::string> args{"node", server_dir + "/server.mjs", "--port", "0"};
    args.insert(args.end(), options.begin(), options.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("node", argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // The server prints one line when it listens: "listening http://127.0.0.1:PORT/fhir".
  FILE* in = ::fdopen(out[0], "r");
  char line[512] = {0};
  if (std::fgets(line, sizeof line, in)) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    const std::string prefix = "listening ";
    if (s.rfind(prefix, 0) == 0) url_ = s.substr(prefix.size());
  }
  std::fclose(in);
  if (url_.empty()) throw std::runtime_error("tests/tools/" + tool + " did not start (is node installed? run scripts/install-test-tools.sh)");
}

NodeToolProcess::~NodeToolProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace alemwatch::testing
