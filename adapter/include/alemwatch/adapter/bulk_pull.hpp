// Pulling a population through FHIR Bulk Data $export (`alemwatch sync --bulk`): kick the
// export off, wait for it, download its files into a work directory, read its error files, and
// delete the job. What the files hold is then read like any NDJSON (population_read.hpp).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alemwatch/fhir/bulk_export.hpp"
#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/fhir/http_client.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

// The resource types the rules need; Medication is outside the Patient compartment, so a server
// may leave it out of a Patient or Group export (the Medications are then fetched by id).
inline const std::vector<std::string> bulk_types = {"Patient", "MedicationAdministration", "Medication", "Observation"};

struct BulkPullSettings {
  fhir::BulkExportLevel level = fhir::BulkExportLevel::patient;
  std::string group_id;
  std::optional<std::string> since;           // _since: the last export's transactionTime
  bool type_filter = true;                    // ask only for Observations with the analytes' LOINC codes
  std::filesystem::path work_dir;             // emptied, then filled with the export's files
  std::size_t download_concurrency = 2;
  std::function<void(const fhir::BulkProgress&)> on_progress;
};

struct BulkPull {
  std::string transaction_time;                          // the next run's _since
  std::vector<fhir::DownloadedFile> resource_files;      // the output files
  std::vector<std::string> export_errors;                // the error files' OperationOutcome texts
  std::vector<std::string> notes;                        // what the run had to work around
  std::uintmax_t bytes = 0;
  int resumes = 0;
};

fhir::FhirResult<BulkPull> pull_bulk_export(fhir::HttpClient& http, const std::string& base_url,
                                            const mappings::Mappings& m, const BulkPullSettings& settings);

// "Observation?code=http://loinc.org|<code>,..." for every analyte the rules read.
std::string observation_type_filter(const mappings::Mappings& m);

}  // namespace alemwatch::adapter
