// `alemwatch evaluate`: FHIR files in, DetectedIssues out.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace alemwatch::adapter {

struct EvaluateOptions {
  std::vector<std::string> paths;
  std::optional<std::string> at;        // ISO 8601; default now
  std::optional<std::string> mappings;  // directory; default the shipped data
  std::optional<std::string> out;       // NDJSON file; default stdout
  std::optional<std::string> summary_json;
  std::string log_format = "text";      // "text" or "json" (docs/logging.md)
  bool log_phi = false;                 // values quoted from the data may appear in the logs
  bool quiet = false;                   // no progress
  unsigned threads = 0;                 // NDJSON worker threads; 0: one per core
};

// Exit codes, as documented in docs/cli.md.
enum ExitCode : int { exit_ok = 0, exit_no_input = 1, exit_usage = 2 };

int run_evaluate(const EvaluateOptions& options);

}  // namespace alemwatch::adapter
