// BulkExportClient::download: the manifest's files to disk, a bounded number at a time, each
// resumed with Range requests when its transfer breaks, redirects followed with the token kept
// on the file's own origin.
#include "alemwatch/fhir/bulk_export.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include "bulk_http.hpp"

namespace alemwatch::fhir {

namespace fs = std::filesystem;

struct BulkExportClient::FileJob {
  BulkFile file;
  fs::path path;
  std::string name;  // the file's name in the directory: what errors call it
};

namespace {

constexpr int max_redirects = 5;

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

boost::system::error_code to_boost(const std::error_code& ec) {
  return {ec.value(), boost::system::system_category()};
}

std::uint64_t size_on_disk(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// Breaks a resumed transfer can pick up after.
bool resumable(boost::system::error_code ec) {
  return ec == HttpError::connection_reset || ec == HttpError::timeout;
}

// "Observation-001.ndjson", "Observation-002.ndjson", "error-001.ndjson", ...: numbered per
// type (the manifest's types are resource type names, checked when it was parsed).
std::vector<BulkExportClient::FileJob> plan(const BulkManifest& manifest, const fs::path& dir) {
  std::vector<BulkExportClient::FileJob> jobs;
  std::map<std::string, int> numbers;
  const auto add = [&](const std::vector<BulkFile>& files, const std::string& kind) {
    for (const auto& f : files) {
      const std::string prefix = kind.empty() ? f.type : kind;
      char number[16];
      std::snprintf(number, sizeof number, "%03d", ++numbers[prefix]);
      const std::string name = prefix + "-" + number + ".ndjson";
      jobs.push_back({f, dir / name, name});
    }
  };
  add(manifest.output, {});
  add(manifest.error, "error");
  add(manifest.deleted, "deleted");
  return jobs;
}

}  // namespace

FhirResult<std::vector<DownloadedFile>> BulkExportClient::download(const BulkManifest& manifest, const fs::path& dir) {
  std::error_code created;
  fs::create_directories(dir, created);
  if (created)
    return FhirError{FhirError::Kind::transport, "GET", {}, 0, to_boost(created), "cannot create " + dir.string()};
  const auto jobs = plan(manifest, dir);
  std::vector<std::optional<FhirResult<DownloadedFile>>> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::size_t> done{0};

  // Counted under the lock, so that reports from several threads never go backwards.
  const auto progress = [&] {
    if (!options_.on_progress) return;
    std::lock_guard lock(progress_mutex_);
    BulkProgress p;
    p.phase = BulkProgress::Phase::downloading;
    p.files_done = done;
    p.files_total = jobs.size();
    p.bytes = bytes;
    options_.on_progress(p);
  };
  // Every MiB or so, so that a long file shows it is moving.
  const std::function<void(std::size_t)> on_bytes = [&](std::size_t n) {
    const auto before = bytes.fetch_add(n);
    if ((before >> 20) != ((before + n) >> 20)) progress();
  };
  const auto worker = [&] {
    for (;;) {
      if (failed) return;
      const std::size_t i = next++;
      if (i >= jobs.size()) return;
      auto result = download_file(jobs[i], manifest.requires_access_token, on_bytes);
      if (!result) failed = true;
      results[i] = std::move(result);  // each thread writes its own slots only
      ++done;
      progress();
    }
  };
  const std::size_t threads = std::clamp<std::size_t>(options_.download_concurrency, 1, std::max<std::size_t>(jobs.size(), 1));
  std::vector<std::jthread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  pool.clear();  // joins

  std::vector<DownloadedFile> files;
  for (auto& r : results) {
    if (!r) continue;  // not started after another failed
    if (!*r) return r->error();
    files.push_back(std::move(**r));
  }
  return files;
}

FhirResult<DownloadedFile> BulkExportClient::download_file(const FileJob& job, bool with_token,
                                                          const std::function<void(std::size_t)>& on_bytes) {
  DownloadedFile out{job.file, job.path, 0, 0};
  std::uint64_t offset = 0;
  for (;;) {
    // One transfer, from the file's own URL (a redirect target may have expired since the last).
    std::string url = job.file.url;
    boost::system::result<HttpDownload> got = make_error_code(HttpError::bad_url);
    for (int redirects = 0;; ++redirects) {
      HttpRequest request;
      request.url = url;
      request.headers = {{"Accept", "application/fhir+ndjson"}};
      // The token never leaves the origin of the URL the manifest gave for the file.
      request.authorize = with_token && bulk::same_origin(url, job.file.url);
      got = http_.download(request, job.path, offset, on_bytes);
      if (!got || !is_redirect(got->response.status)) break;
      const std::string location = got->response.header("Location");
      if (location.empty() || redirects == max_redirects)
        return bulk::status_error("GET", url, got->response,
                                  job.name + (location.empty() ? ": a redirect without a Location"
                                                               : ": more than " + std::to_string(max_redirects) + " redirects"));
      url = bulk::resolve_url(url, location);
    }
    if (got && got->written) {
      out.bytes = got->file_size;
      return out;
    }
    // A Range the server cannot serve, or a 206 for another range: start the file again.
    const bool restart = offset > 0 && ((got && got->response.status == 416) || (!got && got.error() == HttpError::bad_response));
    if (!restart && !(!got && resumable(got.error()))) {
      if (!got) return bulk::transport_error("GET", url, got.error(), http_, job.name);
      return bulk::status_error("GET", url, got->response, job.name);
    }
    if (out.resumes >= options_.max_resumes) {
      const std::string detail = job.name + ": the transfer broke " + std::to_string(out.resumes + 1) +
                                 " times, giving up (at most " + std::to_string(options_.max_resumes) + " resumes)";
      if (!got) return bulk::transport_error("GET", url, got.error(), http_, detail);
      return bulk::status_error("GET", url, got->response, detail);
    }
    ++out.resumes;
    offset = restart ? 0 : size_on_disk(job.path);
  }
}

}  // namespace alemwatch::fhir
