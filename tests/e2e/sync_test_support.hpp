// Shared by the end-to-end sync tests: a loaded FHIR server, running the alemwatch binary, and
// reading back the DetectedIssues.
#pragma once

#include <boost/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/fhir/http_client.hpp"
#include "fhir_server_process.hpp"

namespace alemwatch::testing {

inline constexpr const char* sync_time = "2026-11-01T00:00:00Z";

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

// Runs `alemwatch <args>` and waits for it.
CommandResult run_alemwatch(const std::string& args);

// A scratch directory unique to this process and name, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A FHIR client for the test's own requests (loading data, editing, reading back).
class TestClient {
 public:
  explicit TestClient(const std::string& base);
  fhir::FhirClient& fhir() { return *fhir_; }

  void load_bundle(const std::filesystem::path& file);
  void load_all_samples();
  boost::json::object read(const std::string& type, const std::string& id);
  void put(const boost::json::object& resource);
  // Every DetectedIssue on the server, by identifier value.
  std::map<std::string, boost::json::object> detected_issues();
  std::size_t count(const std::string& type);

 private:
  std::unique_ptr<fhir::HttpClient> http_;
  std::unique_ptr<fhir::FhirClient> fhir_;
};

// The samples' expected issues, by identifier value.
std::map<std::string, boost::json::object> golden_issues();
// A DetectedIssue without what the server sets (id, meta), for comparing content.
boost::json::object content(boost::json::object issue);

}  // namespace alemwatch::testing
