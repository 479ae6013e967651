// A client for FHIR Bulk Data Access ($export, Bulk Data Access IG): kick an export off, poll
// its status until the manifest is ready, download every file it lists to disk (in parallel,
// streamed, resuming broken transfers), and delete the job.
//
// The bearer token (HttpClientOptions::auth) goes with the kick-off, the polls and the DELETE;
// it goes with a file only when the manifest says requiresAccessToken, and never to a redirect
// target on another origin (scheme, host and port) than the file's own URL.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alemwatch/fhir/bulk_manifest.hpp"
#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/fhir/http_client.hpp"

namespace alemwatch::fhir {

enum class BulkExportLevel { system, patient, group };

struct BulkExportRequest {
  BulkExportLevel level = BulkExportLevel::patient;
  std::string group_id;                   // for level group
  std::vector<std::string> types;         // _type
  std::optional<std::string> since;       // _since, a FHIR instant
  std::vector<std::string> type_filters;  // _typeFilter values: "Observation?code=http://loinc.org|777-3"
};

// What a progress line needs; handed to BulkExportOptions::on_progress.
struct BulkProgress {
  enum class Phase { polling, downloading };
  Phase phase = Phase::polling;
  std::string server_progress;        // polling: the server's X-Progress, as sent (may be empty)
  std::chrono::seconds waited{0};     // polling: since the first poll
  std::size_t files_done = 0;         // downloading
  std::size_t files_total = 0;
  std::uint64_t bytes = 0;            // downloading: written so far, over all files
};

struct BulkExportOptions {
  std::chrono::seconds default_poll_interval{2};  // when a 202 gives no Retry-After
  std::chrono::seconds max_poll_interval{60};     // a 202's Retry-After is clamped to [1 s, this]
  std::chrono::seconds max_wait{6 * 3600};        // give up waiting for the export after this
  std::size_t download_concurrency = 2;           // files at once
  int max_resumes = 5;                            // per file
  // Called from the polling thread, and from the download threads one at a time.
  std::function<void(const BulkProgress&)> on_progress;
  // How to wait between polls (a seam for tests). Default: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct DownloadedFile {
  BulkFile file;
  std::filesystem::path path;
  std::uintmax_t bytes = 0;
  int resumes = 0;
};

// Whether a kick-off error may be the server refusing _typeFilter (which servers may leave
// unsupported): a 4xx other than 401, 403, 404, 408 and 429 to a request that had type filters.
// The caller can kick off again without them and filter what it reads.
bool may_be_type_filter_refusal(const FhirError& error, const BulkExportRequest& request);

class BulkExportClient {
 public:
  // `base_url` is the FHIR base, without a trailing slash. `http` must outlive the client.
  BulkExportClient(HttpClient& http, std::string base_url, BulkExportOptions options = {});

  // GET [base]/$export, [base]/Patient/$export or [base]/Group/<id>/$export with
  // Prefer: respond-async. Returns the status URL (the 202's Content-Location, made absolute).
  // Any other answer is a status error quoting the OperationOutcome.
  FhirResult<std::string> kick_off(const BulkExportRequest& request);

  // Polls the status URL until the export is complete and returns its manifest. Waits as the
  // server's Retry-After says (clamped), reports X-Progress, keeps polling through 429s, and
  // gives up (a timeout error) after options.max_wait.
  FhirResult<BulkManifest> wait_for_manifest(const std::string& status_url);

  // Downloads every output, error and deleted file into `dir` (created), options.download_concurrency
  // at a time, each streamed to disk as "<Type>-001.ndjson", "error-001.ndjson",
  // "deleted-001.ndjson" (numbered per kind, in manifest order). A transfer that breaks is resumed
  // with a Range request, at most options.max_resumes times per file. The first file that fails
  // stops the rest from starting; the error names it. Returned in manifest order.
  FhirResult<std::vector<DownloadedFile>> download(const BulkManifest& manifest, const std::filesystem::path& dir);

  // DELETE the status URL: cancels the export, or lets the server drop its files. 200, 202, 204
  // and 404 (already gone) are success.
  FhirResult<void> remove(const std::string& status_url);

  struct FileJob;  // one file to fetch, and where it goes (defined in the source)

 private:
  FhirResult<DownloadedFile> download_file(const FileJob& job, bool with_token,
                                           const std::function<void(std::size_t)>& on_bytes);
  void sleep(std::chrono::milliseconds how_long);
  void report(const BulkProgress& progress);

  HttpClient& http_;
  std::string base_;
  BulkExportOptions options_;
  std::mutex progress_mutex_;  // on_progress is called by one thread at a time
};

}  // namespace alemwatch::fhir
