// `alemwatch sync`: pull from an EHR's FHIR API, evaluate, push DetectedIssues. See docs/sync.md.
#pragma once

#include "alemwatch/adapter/sync_options.hpp"

namespace alemwatch::adapter {

// Exit codes of sync (docs/sync.md).
enum SyncExit : int {
  sync_ok = 0,
  sync_usage = 2,          // usage or configuration error
  sync_partial = 3,        // finished, but some requests or writes failed; the next run retries them
  sync_unreachable = 4,    // could not reach or authenticate to the server
  sync_locked = 5,         // another run holds the state file; nothing was done
};

int run_sync(const SyncOptions& options);

}  // namespace alemwatch::adapter
