// The conformance kit's sync: the real one (run_sync), in-process, into a fresh temporary state
// file at the samples' evaluation time, limited to the sample patients, with a summary file that
// is read back to learn what the server refused.
#pragma once

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <set>
#include <vector>

#include "alemwatch/adapter/sync_options.hpp"

namespace alemwatch::adapter {

struct ConformanceSyncOutcome {
  int exit_code = -1;                                         // run_sync's (docs/sync.md)
  boost::json::object summary;                                // the summary's "sync" object; empty if none
  std::map<std::string, std::vector<std::string>> by_patient;  // what went wrong, in words, per Patient id
  std::vector<std::string> general;                           // what went wrong that names no patient
  // Patients whose pull or DetectedIssue write failed ("left alone" is not a failure), and
  // whether something failed that names no patient: their scenarios cannot pass.
  std::set<std::string> failed_patients;
  bool unattributed_failure = false;
};

// `options` gives the server, authorisation and TLS; the state file, time, patients, summary
// file and run kind are the kit's own. The temporary state is removed afterwards.
ConformanceSyncOutcome run_conformance_sync(SyncOptions options, const std::vector<std::string>& patients);

// One line of the sync's notes or failures in words, e.g. "failed: aw-02/itp/2021-06-21: POST
// http://h/fhir/DetectedIssue: HTTP 405: error: read-only" becomes "server refused DetectedIssue
// create of aw-02/itp/2021-06-21: 405 error: read-only". Lines it does not know come back as given.
std::string describe_sync_line(const std::string& line);

}  // namespace alemwatch::adapter
