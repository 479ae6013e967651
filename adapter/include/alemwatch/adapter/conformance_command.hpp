// `alemwatch conformance`: a conformance kit for EHR vendors. Loads the sample patients into a
// FHIR server, runs a real sync against it, reads the DetectedIssues back and compares them with
// what each sample expects. See docs/conformance.md.
#pragma once

#include <string>

#include "alemwatch/adapter/sync_options.hpp"

namespace alemwatch::adapter {

struct ConformanceOptions {
  // The server, authorisation, TLS and mapping settings, as sync takes them. The state file,
  // evaluation time, patients and summary file are the kit's own and are ignored here.
  SyncOptions sync;
  bool load = true;          // POST each sample's transaction Bundle first
  std::string samples_dir;   // empty: default_samples_dir()
  std::string report_file;   // write the report as JSON here too
};

// Exit codes of conformance (docs/conformance.md).
enum ConformanceExit : int {
  conformance_pass = 0,         // every scenario passed
  conformance_fail = 1,         // at least one scenario failed
  conformance_usage = 2,        // usage or configuration error (as sync)
  conformance_unreachable = 4,  // could not reach or authenticate to the server (as sync)
};

int run_conformance(const ConformanceOptions& options);

}  // namespace alemwatch::adapter
