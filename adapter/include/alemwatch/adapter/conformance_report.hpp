// The conformance kit's verdict: one result per sample scenario, what the server said about
// itself, and the tally; as text for people and as JSON (--report). See docs/conformance.md.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "alemwatch/adapter/conformance_comparison.hpp"

namespace alemwatch::adapter {

struct ScenarioResult {
  std::string name;                          // e.g. "02-itp"
  std::vector<std::string> patients;         // Patient ids
  std::size_t expected = 0;                  // DetectedIssues expected
  std::size_t on_server = 0;                 // DetectedIssues of its patients found on the server
  std::string load_refusal;                  // why the server refused the Bundle; empty: loaded or not asked
  std::vector<IssueDifference> differences;
  std::vector<std::string> sync_lines;       // what the server refused, or the sync left alone, in words
  bool sync_failed = false;                  // reading or writing its patients' data failed

  bool passed() const { return load_refusal.empty() && differences.empty() && !sync_failed; }
};

struct ConformanceReport {
  std::string base_url;
  std::string push_base_url;                 // where the DetectedIssues went and were read back from
  std::string samples_dir;
  std::string evaluated_at;
  bool loaded = false;                       // the kit POSTed the Bundles itself
  int sync_exit_code = -1;
  boost::json::object sync_summary;          // the sync's own "sync" summary
  std::optional<bool> conditional_update;    // as the CapabilityStatement says, when it does
  std::vector<std::string> server_lines;     // about the server as a whole, in words
  std::vector<ScenarioResult> scenarios;

  std::size_t passed() const;
  std::size_t failed() const { return scenarios.size() - passed(); }
  int exit_code() const { return failed() == 0 ? 0 : 1; }
  // "PASS 01-clean-control", "FAIL 02-itp" and its indented lines, the server lines, the tally.
  std::string text() const;
  boost::json::object json() const;
};

}  // namespace alemwatch::adapter
