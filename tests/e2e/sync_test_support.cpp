#include "sync_test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace alemwatch::testing {

namespace fs = std::filesystem;

CommandResult run_alemwatch(const std::string& args) {
  const std::string command = std::string(ALEMWATCH_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  CommandResult r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ScratchDir::ScratchDir(const std::string& name)
    : path_(fs::temp_directory_path() / ("alemwatch-e2e-" + name + "-" + std::to_string(::getpid()))) {
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

TestClient::TestClient(const std::string& base) {
  fhir::HttpClientOptions options;
  options.retry.max_retries = 0;
  auto http = fhir::HttpClient::create(options);
  if (!http) throw std::runtime_error(http.error());
  http_ = std::move(*http);
  fhir_ = std::make_unique<fhir::FhirClient>(base, *http_);
}

void TestClient::load_bundle(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  auto r = fhir_->transaction(boost::json::parse(text.str()).as_object());
  if (!r) throw std::runtime_error("loading " + file.string() + ": " + r.error().describe());
}

void TestClient::load_all_samples() {
  for (const auto& e : fs::directory_iterator(ALEMWATCH_SAMPLES))
    if (fs::exists(e.path() / "bundle.json")) load_bundle(e.path() / "bundle.json");
}

boost::json::object TestClient::read(const std::string& type, const std::string& id) {
  auto r = fhir_->read(type, id);
  if (!r) throw std::runtime_error(r.error().describe());
  return r->resource;
}

void TestClient::put(const boost::json::object& resource) {
  const std::string type(resource.at("resourceType").as_string());
  const std::string id(resource.at("id").as_string());
  auto r = fhir_->update(type, id, resource);
  if (!r) throw std::runtime_error(r.error().describe());
}

std::map<std::string, boost::json::object> TestClient::detected_issues() {
  std::map<std::string, boost::json::object> out;
  std::size_t seen = 0;
  auto r = fhir_->search("DetectedIssue", "_count=500", [&](const boost::json::object& di) {
    ++seen;
    const auto* ids = di.if_contains("identifier");
    std::string key = ids ? std::string(ids->as_array().at(0).at("value").as_string()) : "(no identifier)";
    if (out.contains(key)) key += " (duplicate " + std::to_string(seen) + ")";
    out.emplace(key, di);
    return true;
  });
  if (!r) throw std::runtime_error(r.error().describe());
  return out;
}

std::size_t TestClient::count(const std::string& type) {
  std::size_t n = 0;
  auto r = fhir_->search(type, "_count=500", [&](const boost::json::object&) {
    ++n;
    return true;
  });
  if (!r) throw std::runtime_error(r.error().describe());
  return n;
}

std::map<std::string, boost::json::object> golden_issues() {
  std::map<std::string, boost::json::object> out;
  for (const auto& e : fs::directory_iterator(ALEMWATCH_SAMPLES)) {
    std::ifstream in(e.path() / "expected.ndjson");
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) {
        auto v = boost::json::parse(line).as_object();
        out.emplace(std::string(v.at("identifier").as_array().at(0).at("value").as_string()), std::move(v));
      }
  }
  return out;
}

boost::json::object content(boost::json::object issue) {
  issue.erase("id");
  issue.erase("meta");
  return issue;
}

}  // namespace alemwatch::testing
