// A real, independent FHIR server for end-to-end tests: tests/tools/fhir-server (Node, on
// @medplum/fhir-router's in-memory repository), started as a child process on a free loopback
// port and stopped when this object goes away.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace alemwatch::testing {

class FhirServerProcess {
 public:
  // `options` are passed to server.mjs (e.g. "--require-category").
  explicit FhirServerProcess(std::vector<std::string> options = {});
  ~FhirServerProcess();
  FhirServerProcess(const FhirServerProcess&) = delete;
  FhirServerProcess& operator=(const FhirServerProcess&) = delete;

  const std::string& base_url() const { return base_url_; }  // http://127.0.0.1:PORT/fhir
  bool running() const { return pid_ > 0 && !base_url_.empty(); }

 private:
  pid_t pid_ = -1;
  std::string base_url_;
};

// Whether the server's npm packages are installed (scripts/install-test-tools.sh).
bool fhir_server_available();

}  // namespace alemwatch::testing
