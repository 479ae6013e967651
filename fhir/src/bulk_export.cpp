#include "alemwatch/fhir/bulk_export.hpp"

#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <thread>

#include "bulk_http.hpp"

namespace alemwatch::fhir {

namespace http = boost::beast::http;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

bool may_be_type_filter_refusal(const FhirError& error, const BulkExportRequest& request) {
  if (request.type_filters.empty() || error.kind != FhirError::Kind::status) return false;
  if (error.status < 400 || error.status >= 500) return false;
  return error.status != 401 && error.status != 403 && error.status != 404 && error.status != 408 && error.status != 429;
}

BulkExportClient::BulkExportClient(HttpClient& http, std::string base_url, BulkExportOptions options)
    : http_(http), base_(std::move(base_url)), options_(std::move(options)) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

void BulkExportClient::sleep(milliseconds how_long) {
  if (options_.sleep)
    options_.sleep(how_long);
  else
    std::this_thread::sleep_for(how_long);
}

void BulkExportClient::report(const BulkProgress& progress) {
  if (!options_.on_progress) return;
  std::lock_guard lock(progress_mutex_);
  options_.on_progress(progress);
}

namespace {

std::string export_path(const BulkExportRequest& request) {
  switch (request.level) {
    case BulkExportLevel::system: return "/$export";
    case BulkExportLevel::patient: return "/Patient/$export";
    case BulkExportLevel::group: return "/Group/" + FhirClient::encode(request.group_id) + "/$export";
  }
  return {};
}

// _type comma-joined, _since, and one _typeFilter per filter; every value percent-encoded.
std::string export_query(const BulkExportRequest& request) {
  std::vector<std::string> parameters;
  if (!request.types.empty()) {
    std::string types;
    for (const auto& t : request.types) types += (types.empty() ? "" : ",") + FhirClient::encode(t);
    parameters.push_back("_type=" + types);
  }
  if (request.since) parameters.push_back("_since=" + FhirClient::encode(*request.since));
  for (const auto& f : request.type_filters) parameters.push_back("_typeFilter=" + FhirClient::encode(f));
  std::string query;
  for (const auto& p : parameters) query += (query.empty() ? "?" : "&") + p;
  return query;
}

}  // namespace

FhirResult<std::string> BulkExportClient::kick_off(const BulkExportRequest& export_request) {
  if (export_request.level == BulkExportLevel::group && export_request.group_id.empty())
    return FhirError{FhirError::Kind::transport, "GET", base_ + "/Group/$export", 0, make_error_code(HttpError::bad_url),
                     "a group-level export needs a group id"};
  HttpRequest request;
  request.url = base_ + export_path(export_request) + export_query(export_request);
  request.headers = {{"Accept", "application/fhir+json"}, {"Prefer", "respond-async"}};
  auto sent = http_.send(request);
  if (!sent) return bulk::transport_error("GET", request.url, sent.error(), http_);
  if (sent->status != 202) return bulk::status_error("GET", request.url, *sent, "the export was not accepted");
  const std::string location = sent->header("Content-Location");
  if (location.empty())
    return FhirError{FhirError::Kind::invalid_response, "GET", request.url, 202, {},
                     "the export was accepted without a Content-Location (the status URL)"};
  // Relative status URLs are relative to the FHIR base, as references are.
  return bulk::resolve_url(base_ + "/", location);
}

FhirResult<BulkManifest> BulkExportClient::wait_for_manifest(const std::string& status_url) {
  const auto started = std::chrono::steady_clock::now();
  milliseconds slept{0};
  milliseconds rate_limited_wait = options_.default_poll_interval;
  std::string server_progress;
  for (;;) {
    HttpRequest request;
    request.url = status_url;
    request.headers = {{"Accept", "application/fhir+json"}};
    request.retry_too_many_requests = false;  // paced here, by the server's Retry-After
    auto sent = http_.send(request);
    if (!sent) return bulk::transport_error("GET", status_url, sent.error(), http_, "polling the export's status");
    const auto retry_after = parse_retry_after(sent->header("Retry-After"), std::chrono::system_clock::now());
    milliseconds wait;
    if (sent->status == 200) {
      auto manifest = parse_bulk_manifest(sent->body);
      if (!manifest)
        return FhirError{FhirError::Kind::invalid_response, "GET", redacted_url(status_url), 200, {},
                         "the export's manifest: " + manifest.error()};
      return std::move(*manifest);
    } else if (sent->status == 202) {
      wait = std::clamp<milliseconds>(retry_after.value_or(options_.default_poll_interval), 1s,
                                      std::max<milliseconds>(options_.max_poll_interval, 1s));
      rate_limited_wait = options_.default_poll_interval;
      server_progress = sent->header("X-Progress");
    } else if (sent->status == 429) {
      // The server asks us to slow down: as long as it says, else longer each time.
      wait = std::max<milliseconds>(retry_after.value_or(rate_limited_wait), 1s);
      rate_limited_wait = std::min<milliseconds>(rate_limited_wait * 2, options_.max_poll_interval);
    } else {
      return bulk::status_error("GET", status_url, *sent, "the export failed");
    }
    // Time spent so far: the clock's, or what the sleeps were asked for when they do not really
    // sleep (tests).
    const auto elapsed = std::max<milliseconds>(
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started), slept);
    BulkProgress progress;
    progress.phase = BulkProgress::Phase::polling;
    progress.server_progress = server_progress;
    progress.waited = std::chrono::duration_cast<std::chrono::seconds>(elapsed);
    report(progress);
    if (elapsed >= options_.max_wait)
      return FhirError{FhirError::Kind::transport, "GET", redacted_url(status_url), 0, make_error_code(HttpError::timeout),
                       "the export was not complete after " + std::to_string(options_.max_wait.count()) + " s" +
                           (server_progress.empty() ? std::string() : " (last progress: " + server_progress + ")")};
    wait = std::min<milliseconds>(wait, options_.max_wait - elapsed);
    sleep(wait);
    slept += wait;
  }
}

FhirResult<void> BulkExportClient::remove(const std::string& status_url) {
  HttpRequest request;
  request.method = http::verb::delete_;
  request.url = status_url;
  auto sent = http_.send(request);
  if (!sent) return bulk::transport_error("DELETE", status_url, sent.error(), http_);
  const unsigned s = sent->status;
  if (s == 200 || s == 202 || s == 204 || s == 404) return {};
  return bulk::status_error("DELETE", status_url, *sent, "the export could not be deleted");
}

}  // namespace alemwatch::fhir
