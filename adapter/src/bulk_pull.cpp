#include "alemwatch/adapter/bulk_pull.hpp"

#include <boost/json.hpp>

#include <fstream>

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

// The texts of one OperationOutcome line of an error file.
void collect_outcome_texts(const boost::json::object& outcome, std::vector<std::string>& out) {
  const auto* issues = outcome.if_contains("issue");
  if (!issues || !issues->is_array()) return;
  for (const auto& issue : issues->get_array()) {
    if (!issue.is_object()) continue;
    const auto& i = issue.get_object();
    std::string text;
    if (const auto* d = i.if_contains("diagnostics"); d && d->is_string()) text = d->get_string();
    if (const auto* details = i.if_contains("details"); text.empty() && details && details->is_object())
      if (const auto* t = details->get_object().if_contains("text"); t && t->is_string()) text = t->get_string();
    if (const auto* sev = i.if_contains("severity"); sev && sev->is_string())
      text = std::string(sev->get_string()) + ": " + (text.empty() ? "(no text)" : text);
    out.push_back(std::move(text));
  }
}

void read_error_file(const fhir::DownloadedFile& file, std::vector<std::string>& out) {
  std::ifstream in(file.path);
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    const auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) {
      out.push_back(file.path.filename().string() + ":" + std::to_string(number) + ": not an OperationOutcome");
      continue;
    }
    collect_outcome_texts(v.get_object(), out);
  }
}

fhir::BulkExportRequest request_for(const BulkPullSettings& s, const mappings::Mappings& m) {
  fhir::BulkExportRequest r;
  r.level = s.level;
  r.group_id = s.group_id;
  r.types = bulk_types;
  r.since = s.since;
  if (s.type_filter) r.type_filters.push_back(observation_type_filter(m));
  return r;
}

}  // namespace

std::string observation_type_filter(const mappings::Mappings& m) {
  std::string codes;
  for (const auto& token : m.analytes.loinc_tokens()) codes += (codes.empty() ? "" : ",") + token;
  return "Observation?code=" + codes;
}

fhir::FhirResult<BulkPull> pull_bulk_export(fhir::HttpClient& http, const std::string& base_url,
                                            const mappings::Mappings& m, const BulkPullSettings& settings) {
  fhir::BulkExportOptions options;
  options.download_concurrency = settings.download_concurrency;
  options.on_progress = settings.on_progress;
  fhir::BulkExportClient client(http, base_url, options);
  BulkPull pull;

  auto request = request_for(settings, m);
  auto status_url = client.kick_off(request);
  if (!status_url && fhir::may_be_type_filter_refusal(status_url.error(), request)) {
    pull.notes.push_back("the server refused _typeFilter (" + status_url.error().describe() +
                         "); exported every Observation instead and filtered them here");
    request.type_filters.clear();
    status_url = client.kick_off(request);
  }
  if (!status_url) return status_url.error();

  auto manifest = client.wait_for_manifest(*status_url);
  if (!manifest) {
    (void)client.remove(*status_url);  // cancel it: the next run starts a fresh export
    return manifest.error();
  }
  std::error_code ec;
  fs::remove_all(settings.work_dir, ec);
  auto files = client.download(*manifest, settings.work_dir);
  // The job is deleted whether or not every file came: a failed run starts a fresh export.
  if (auto removed = client.remove(*status_url); !removed)
    pull.notes.push_back("could not delete the export job: " + removed.error().describe());
  if (!files) return files.error();

  pull.transaction_time = manifest->transaction_time;
  for (auto& f : *files) {
    pull.bytes += f.bytes;
    pull.resumes += f.resumes;
    if (f.file.type == "OperationOutcome" || f.path.filename().string().starts_with("error-"))
      read_error_file(f, pull.export_errors);
    else if (!f.path.filename().string().starts_with("deleted-"))
      pull.resource_files.push_back(std::move(f));
  }
  if (!manifest->deleted.empty())
    pull.notes.push_back("the export lists deleted resources; they are forgotten by the next --full run");
  return pull;
}

}  // namespace alemwatch::adapter
