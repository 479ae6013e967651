// A real, independent FHIR server for end-to-end tests: tests/tools/fhir-server (Node, on
// @medplum/fhir-router's in-memory repository), started as a child process on a free loopback
// port and stopped when this object goes away.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace alemwatch::testing {

// A Node test tool from tests/tools/<tool>/server.mjs, run on a free loopback port until this
// object goes away. It prints "listening <url>" when ready.
class NodeToolProcess {
 public:
  NodeToolProcess(const std::string& tool, std::vector<std::string> options);
  ~NodeToolProcess();
  NodeToolProcess(const NodeToolProcess&) = delete;
  NodeToolProcess& operator=(const NodeToolProcess&) = delete;

  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

class FhirServerProcess {
 public:
  // `options` are passed to server.mjs (e.g. "--require-category").
  explicit FhirServerProcess(std::vector<std::string> options = {}) : process_("fhir-server", std::move(options)) {}
  const std::string& base_url() const { return process_.url(); }  // http://127.0.0.1:PORT/fhir

 private:
  NodeToolProcess process_;
};

// tests/tools/token-server: a SMART Backend Services token endpoint (jose checks the JWTs) and a
// token-protected proxy in front of a FHIR server.
class TokenServerProcess {
 public:
  explicit TokenServerProcess(std::vector<std::string> options) : process_("token-server", std::move(options)) {}
  const std::string& url() const { return process_.url(); }  // http://127.0.0.1:PORT
  std::string fhir_base() const { return url() + "/fhir"; }
  std::string token_url() const { return url() + "/token"; }

 private:
  NodeToolProcess process_;
};

// Whether the Node tools' npm packages are installed (scripts/install-test-tools.sh).
bool fhir_server_available();
bool token_server_available();

}  // namespace alemwatch::testing
