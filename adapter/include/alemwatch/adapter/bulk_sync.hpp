// The Bulk Data side of `alemwatch sync --bulk` (docs/bulk.md).
//
// A full run (no earlier export, or --full) reads the whole export into the evaluation with the
// population reader, and keeps each exposed patient's resources in the state file, as a REST
// sync does, so later runs see every patient. An incremental run exports only what changed
// since the last export's transactionTime (_since) and names the patients it touches: those
// given alemtuzumab in it, and known patients with anything new; the sync then fetches each of
// them in full over REST, because an export of changes alone does not hold a patient's history.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/run_summary.hpp"
#include "alemwatch/adapter/state_store.hpp"
#include "alemwatch/adapter/sync_options.hpp"
#include "alemwatch/fhir/bulk_export.hpp"
#include "alemwatch/fhir/http_client.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

struct BulkSyncRead {
  bool full = false;
  std::set<std::string> exposed;   // full: the patients read from the export (state replaced)
  std::set<std::string> touched;   // incremental: the patients to fetch in full
  std::string transaction_time;    // the next run's _since
  std::vector<std::string> export_errors;  // from the export's error files
  std::vector<std::string> notes;
  std::size_t files = 0;
  std::uintmax_t bytes = 0;
  int resumes = 0;
};

struct BulkSyncContext {
  const SyncOptions& options;
  const mappings::Mappings& m;
  fhir::HttpClient& http;
  StateStore& state;
  const std::string& base;  // the FHIR base read from
  Evaluation& evaluation;
  RunSummary& summary;
  std::function<void(const fhir::BulkProgress&)> on_progress;
};

fhir::FhirResult<BulkSyncRead> read_bulk_export(const BulkSyncContext& context);

// The state's watermark key for this export scope: "bulk:patient", "bulk:group/<id>", ...
std::string bulk_watermark_key(const SyncOptions& options);

}  // namespace alemwatch::adapter
