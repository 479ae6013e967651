// `alemwatch report`: the evaluation of `alemwatch evaluate`, drawn as one self-contained HTML page
// (docs/report.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace alemwatch::adapter {

struct ReportOptions {
  std::vector<std::string> paths;       // FHIR files and directories, as evaluate reads them
  std::optional<std::string> state;     // or: a sync state file's cached resources
  std::optional<std::string> server;    // with --state: which server's (needed when it holds several)
  std::optional<std::string> at;        // ISO 8601; default now (then the page shows when it was made)
  std::optional<std::string> mappings;  // directory; default the shipped data
  std::string out;                      // the HTML file
};

// Exit codes as evaluate's: 0 written, 1 no input readable (or the file not written), 2 usage.
int run_report(const ReportOptions& options);

}  // namespace alemwatch::adapter
