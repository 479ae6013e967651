#include "alemwatch/adapter/sync_command.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "alemwatch/adapter/bulk_sync.hpp"
#include "alemwatch/adapter/cached_resources.hpp"
#include "alemwatch/adapter/detected_issue_push.hpp"
#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/log.hpp"
#include "alemwatch/adapter/patient_pull.hpp"
#include "alemwatch/adapter/progress.hpp"
#include "alemwatch/adapter/retirement.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/adapter/state_store.hpp"
#include "alemwatch/adapter/sync_authorization.hpp"
#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/fhir/http_client.hpp"
#include "alemwatch/fhir/resource_reader.hpp"

namespace alemwatch::adapter {
namespace {

using Clock = std::chrono::system_clock;

fhir::Instant now() { return fhir::Instant(std::chrono::floor<fhir::Milliseconds>(Clock::now())); }

LogSettings sync_log_settings(const SyncOptions& o) {
  LogSettings settings;
  settings.command = "sync";
  settings.format = parse_log_format(o.log_format).value_or(LogFormat::text);
  settings.phi = o.log_phi;
  settings.quiet = o.quiet;
  return settings;
}

// Events before the run can start: the message names what is wrong; exit code as given.
int refuse(int code, std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
  process_log().error(event, message, fields);
  return code;
}

struct SyncTally {
  std::size_t patients_fetched = 0;
  std::size_t patients_failed = 0;
  std::size_t patients_from_cache = 0;
  std::size_t patients_removed = 0;
  std::size_t server_warnings = 0;
  std::vector<std::string> failures;
  std::vector<std::string> export_errors;  // a bulk export's error files
  bool unreachable = false;
};

class SyncRun {
 public:
  SyncRun(const SyncOptions& o, const mappings::Mappings& m, fhir::HttpClient& http, StateStore& state, fhir::Instant at)
      : o_(o), m_(m), http_(http), state_(state), at_(at), source_(o.base_url, http),
        target_(o.push_base_url.empty() ? o.base_url : o.push_base_url, http),
        pull_(source_, m, {o.page_size, o.require_category}, [this](const std::string& w) {
          ++tally_.server_warnings;
          process_log().warning("sync.warning", "{text}", {field("text", w)});
        }),
        evaluation_(m, summary_) {}

  int run() {
    const auto started = now();
    if (auto stopped = o_.bulk ? read_bulk() : read_by_search()) return *stopped;
    IssueWriterOptions writer;
    writer.author_device = o_.author_device;
    if (target_.base() != source_.base()) writer.reference_base = source_.base() + "/";
    const auto issues = evaluation_.finish(at_, writer);
    DetectedIssuePush push(target_, state_, m_.signals.identifier_system(), o_.dry_run, fhir::format_utc_date(at_));
    push.push(issues, [&](const WrittenIssue& w) { return decide_retirement(w, evaluation_, m_, at_); });
    const bool clean = tally_.patients_failed == 0 && push.counts().failed == 0 && tally_.export_errors.empty();
    if (clean && !o_.dry_run) {
      state_.set_watermark(source_.base(), "pull", fhir::format_utc_instant(started));
      if (!bulk_transaction_time_.empty())
        state_.set_watermark(source_.base(), bulk_watermark_key(o_), bulk_transaction_time_);
    }
    int code = clean ? sync_ok : sync_partial;
    if (push.fatal_error() && push.counts().created + push.counts().updated + push.counts().unchanged == 0)
      code = sync_unreachable;
    return finish(code, push.counts());
  }

  RunSummary& summary() { return summary_; }
  std::string sync_text(const PushCounts& c) const;
  boost::json::object sync_json(const PushCounts& c) const;

 private:
  // Reading by searches: the patients to fetch, each fetched in full, the others from the state.
  std::optional<int> read_by_search() {
    auto patients = patients_to_fetch();
    if (!patients) return report_unreachable(patients.error());
    if (!o_.dry_run) state_.add_dirty_patients(source_.base(), {patients->begin(), patients->end()});
    fetch_all(*patients);
    if (tally_.unreachable && tally_.patients_fetched == 0 && !patients->empty()) return finish(sync_unreachable, {});
    evaluate_cached(*patients);
    return std::nullopt;
  }

  // Reading through a Bulk Data export (bulk_sync.hpp): a full export is read whole; an export of
  // changes names the patients to fetch in full.
  std::optional<int> read_bulk() {
    Progress progress(process_log(), "export files", 0);
    std::size_t files_seen = 0;
    std::uint64_t bytes_seen = 0;
    const BulkSyncContext context{o_, m_, http_, state_, source_.base(), evaluation_, summary_,
                                  [&](const fhir::BulkProgress& p) {
                                    if (p.phase != fhir::BulkProgress::Phase::downloading) return;
                                    progress.set_total(p.files_total);
                                    progress.advance(p.files_done - std::min(files_seen, p.files_done),
                                                     p.bytes - std::min(bytes_seen, p.bytes));
                                    files_seen = std::max(files_seen, p.files_done);
                                    bytes_seen = std::max(bytes_seen, p.bytes);
                                  }};
    auto read = read_bulk_export(context);
    progress.finish();
    if (!read) return report_unreachable(read.error());
    tally_.export_errors = read->export_errors;
    for (const auto& n : read->notes) process_log().warning("bulk.note", "{text}", {field("text", n)});
    // The server's words may quote the data it could not export.
    for (const auto& e : read->export_errors)
      process_log().warning("bulk.export_error", "the server could not export: {text}", {phi_field("text", e)});
    if (!read->export_errors.empty()) {
      // An incomplete export could withdraw issues whose evidence merely failed to export, or
      // call a test overdue whose result did: evaluate and report, write nothing.
      process_log().error("bulk.incomplete", "the export has {errors} error(s): nothing is written this run",
                          {field("errors", read->export_errors.size())});
      return finish(sync_partial, {});
    }
    process_log().info("bulk.read", "{kind} export read: {files} file(s), {bytes} bytes, {resumes} resumed download(s)",
                       {field("kind", read->full ? "full" : "incremental"), field("files", read->files),
                        field("bytes", read->bytes), field("resumes", read->resumes)});
    bulk_transaction_time_ = read->transaction_time;
    if (read->full) {
      full_ = true;
      tally_.patients_fetched = read->exposed.size();
      evaluate_cached(read->exposed);  // forgets the cached patients the export no longer shows exposed
      return std::nullopt;
    }
    if (!o_.dry_run) state_.add_dirty_patients(source_.base(), {read->touched.begin(), read->touched.end()});
    fetch_all(read->touched);
    if (tally_.unreachable && tally_.patients_fetched == 0 && !read->touched.empty()) return finish(sync_unreachable, {});
    evaluate_cached(read->touched);
    return std::nullopt;
  }

  // Whom to fetch this run: configured patients, a Group, everyone exposed (full), or those
  // touched since the watermark (incremental).
  fhir::FhirResult<std::set<std::string>> patients_to_fetch() {
    if (!o_.patients.empty()) return std::set<std::string>(o_.patients.begin(), o_.patients.end());
    if (!o_.group.empty()) {
      auto members = pull_.group_members(o_.group);
      if (!members) return members.error();
      return std::set<std::string>(members->begin(), members->end());
    }
    const auto watermark = state_.watermark(source_.base(), "pull");
    if (!watermark || o_.full) {
      full_ = true;
      return pull_.exposed_patients(std::nullopt);
    }
    const auto since = fhir::format_utc_instant(*fhir::parse_fhir_datetime(*watermark) - o_.watermark_overlap);
    auto touched = pull_.exposed_patients(since);
    if (!touched) return touched.error();
    auto with_results = pull_.patients_with_changed_results(since);
    if (!with_results) return with_results.error();
    const auto cached = state_.cached_patients(source_.base());
    const std::set<std::string> known(cached.begin(), cached.end());
    for (const auto& p : *with_results)
      if (known.contains(p)) touched->insert(p);
    for (const auto& p : state_.dirty_patients(source_.base())) touched->insert(p);
    process_log().info("sync.incremental", "incremental run: changes since {since} touch {patients} patient(s)",
                       {field("since", since), field("patients", touched->size())});
    return touched;
  }

  void fetch_all(const std::set<std::string>& patients) {
    std::vector<std::string> queue(patients.begin(), patients.end());
    Progress progress(process_log(), "patients", queue.size());
    std::mutex mutex;
    std::size_t next = 0;
    const auto worker = [&] {
      for (;;) {
        std::string patient;
        {
          std::lock_guard lock(mutex);
          if (next >= queue.size()) return;
          patient = queue[next++];
        }
        auto pulled = pull_.fetch(patient);
        progress.advance();
        std::lock_guard lock(mutex);
        if (!pulled) {
          ++tally_.patients_failed;
          if (pulled.error().unreachable()) tally_.unreachable = true;
          tally_.failures.push_back("Patient/" + patient + ": " + pulled.error().describe());
          failed_.insert(patient);
          continue;
        }
        store_and_add(*pulled);
      }
    };
    std::vector<std::thread> workers;
    const int n = std::max(1, std::min<int>(o_.concurrency, static_cast<int>(queue.size())));
    for (int i = 0; i < n; ++i) workers.emplace_back(worker);
    for (auto& w : workers) w.join();
  }

  // Caller holds the fetch mutex: the evaluation and the state file take one writer at a time.
  void store_and_add(const PulledPatient& pulled) {
    ++tally_.patients_fetched;
    std::vector<StateStore::CachedResource> cached;
    for (const auto& r : pulled.resources) {
      const auto& type = r.at("resourceType").as_string();
      const auto* id = r.if_contains("id");
      cached.push_back({std::string(type), id && id->is_string() ? std::string(id->get_string()) : "",
                        boost::json::serialize(r)});
    }
    if (!o_.dry_run) {
      state_.replace_patient_resources(source_.base(), pulled.id, cached);
      state_.clear_dirty_patients(source_.base(), {pulled.id});
    }
    for (const auto& r : pulled.resources) add(r);
  }

  void add(const boost::json::object& r) {
    const std::string type(r.at("resourceType").as_string());
    const auto* id = r.if_contains("id");
    const fhir::SourcePosition where{source_.base() + "/" + type + "/" +
                                     (id && id->is_string() ? std::string(id->get_string()) : std::string("?"))};
    evaluation_.add({r, type, where, nullptr});
  }

  // Patients not fetched this run are evaluated on the data last pulled for them.
  void evaluate_cached(const std::set<std::string>& fetched) {
    for (const auto& patient : state_.cached_patients(source_.base())) {
      const bool fetched_now = fetched.contains(patient) && !failed_.contains(patient);
      if (fetched_now) continue;
      if (full_ && !fetched.contains(patient)) {
        // A full run did not find this patient exposed any more: forget the data.
        ++tally_.patients_removed;
        if (!o_.dry_run) state_.remove_patient(source_.base(), patient);
        continue;
      }
      ++tally_.patients_from_cache;
      add_cached_resources(state_, source_.base(), patient, evaluation_);
    }
  }

  int report_unreachable(const fhir::FhirError& e) {
    tally_.failures.push_back(e.describe());
    if (e.unreachable()) {
      tally_.unreachable = true;
      return finish(sync_unreachable, {});
    }
    return finish(sync_partial, {});
  }

  int finish(int code, const PushCounts& counts) {
    last_counts_ = counts;
    return code;
  }

 public:
  const PushCounts& counts() const { return last_counts_; }
  const SyncTally& tally() const { return tally_; }

 private:
  const SyncOptions& o_;
  const mappings::Mappings& m_;
  fhir::HttpClient& http_;
  StateStore& state_;
  fhir::Instant at_;
  fhir::FhirClient source_;
  fhir::FhirClient target_;
  PatientPull pull_;
  RunSummary summary_;
  Evaluation evaluation_;
  SyncTally tally_;
  std::set<std::string> failed_;
  bool full_ = false;
  std::string bulk_transaction_time_;  // the export read, when --bulk
  PushCounts last_counts_;
};

std::string SyncRun::sync_text(const PushCounts& c) const {
  std::string out = "alemwatch sync summary\n";
  const auto& s = http_.stats();
  out += fmt::format("  requests: {} ({} retries, {} connections opened)\n", s.requests.load(), s.retries.load(),
                     s.connections.load());
  out += fmt::format("  patients: {} fetched, {} failed, {} evaluated from the last pull, {} no longer exposed\n",
                     tally_.patients_fetched, tally_.patients_failed, tally_.patients_from_cache, tally_.patients_removed);
  out += fmt::format("  DetectedIssues pushed: {} created, {} updated, {} unchanged, {} withdrawn (entered-in-error), "
                     "{} mitigated, {} left alone, {} failed{}\n",
                     c.created, c.updated, c.unchanged, c.withdrawn, c.mitigated, c.left_alone, c.failed,
                     o_.dry_run ? " (dry run: nothing written)" : "");
  if (tally_.server_warnings) out += fmt::format("  server warnings: {}\n", tally_.server_warnings);
  for (const auto& f : tally_.failures) out += "  failed: " + f + "\n";
  if (!bulk_transaction_time_.empty())
    out += fmt::format("  bulk export as of {}: {} export error(s)\n", bulk_transaction_time_, tally_.export_errors.size());
  const bool phi = process_log().settings().phi;
  for (const auto& e : tally_.export_errors) out += "  export error: " + (phi ? e : std::string("[redacted]")) + "\n";
  for (const auto& n : c.notes) out += "  " + n + "\n";
  return out;
}

boost::json::object SyncRun::sync_json(const PushCounts& c) const {
  const auto& s = http_.stats();
  boost::json::array notes;
  for (const auto& n : c.notes) notes.emplace_back(n);
  boost::json::array failures;
  for (const auto& f : tally_.failures) failures.emplace_back(f);
  boost::json::array export_errors;
  for (const auto& e : tally_.export_errors)
    export_errors.emplace_back(process_log().settings().phi ? e : std::string("[redacted]"));
  return {{"requests", s.requests.load()},
          {"retries", s.retries.load()},
          {"connections", s.connections.load()},
          {"patients", {{"fetched", tally_.patients_fetched}, {"failed", tally_.patients_failed},
                        {"from_last_pull", tally_.patients_from_cache}, {"no_longer_exposed", tally_.patients_removed}}},
          {"pushed", {{"created", c.created}, {"updated", c.updated}, {"unchanged", c.unchanged},
                      {"withdrawn", c.withdrawn}, {"mitigated", c.mitigated}, {"left_alone", c.left_alone},
                      {"failed", c.failed}}},
          {"dry_run", o_.dry_run},
          {"server_warnings", tally_.server_warnings},
          {"failures", std::move(failures)},
          {"bulk", bulk_transaction_time_.empty()
                       ? boost::json::value(nullptr)
                       : boost::json::value({{"transaction_time", bulk_transaction_time_},
                                             {"export_errors", std::move(export_errors)}})},
          {"notes", std::move(notes)}};
}

}  // namespace

int run_sync(const SyncOptions& o) {
  process_log().configure(sync_log_settings(o));
  if (o.base_url.empty()) return refuse(sync_usage, "sync.usage", "--base-url (or base_url in --config) is required");
  if (o.bulk && !o.patients.empty())
    return refuse(sync_usage, "sync.usage", "--bulk exports a population: use --group for a list of patients, not --patient");
  std::optional<fhir::Instant> at = o.at ? fhir::parse_fhir_datetime(*o.at) : std::optional(now());
  if (!at)
    return refuse(sync_usage, "sync.usage", "--at '{at}' is not an ISO 8601 date or date-time", {field("at", *o.at)});
  const auto dir = o.mappings_dir.empty() ? mappings::default_mappings_dir() : std::filesystem::path(o.mappings_dir);
  auto loaded = mappings::load_mappings(dir, rule_requirements());
  if (!loaded)
    return refuse(sync_usage, "sync.mappings", "mapping data: {error}", {field("error", loaded.error().describe())});
  auto configured = http_client_options(o);
  if (!configured) return refuse(sync_usage, "sync.usage", configured.error());
  fhir::HttpClientOptions http_options = std::move(*configured);
  http_options.max_connections = static_cast<std::size_t>(std::max(1, o.concurrency));
  auto authorization = set_up_authorization(o, http_options);
  if (!authorization)
    return refuse(authorization.error().unreachable ? sync_unreachable : sync_usage, "sync.auth", "{error}",
                  {field("error", authorization.error().message)});
  http_options.auth = authorization->source.get();
  auto http = fhir::HttpClient::create(http_options);
  if (!http) return refuse(sync_usage, "sync.http", "{error}", {field("error", http.error())});
  auto state = StateStore::open(o.state_file);
  if (!state)
    return refuse(state.error().locked ? sync_locked : sync_usage, "sync.state", "state: {error}",
                  {field("error", state.error().describe())});
  process_log().info("sync.start",
                     o.dry_run ? "reading {base_url} (dry run: nothing is written)"
                               : "reading {base_url}, writing DetectedIssues to {push_base_url}",
                     {field("base_url", o.base_url), field("push_base_url", o.push_base_url.empty() ? o.base_url : o.push_base_url),
                      field("dry_run", o.dry_run)});
  const auto run_id = (*state)->begin_run(o.base_url, fhir::format_utc_datetime(now()));
  SyncRun run(o, **loaded, **http, **state, *at);
  const int code = run.run();
  boost::json::object summary = run.summary().json(o.log_phi);
  summary["sync"] = run.sync_json(run.counts());
  summary["exit_code"] = code;
  if (process_log().settings().format == LogFormat::json)
    process_log().info("run.summary", "run summary", {field("summary", summary)});
  else
    process_log().write_text_block(run.summary().text(50, o.log_phi) + run.sync_text(run.counts()));
  const std::string summary_text = boost::json::serialize(summary);
  (*state)->finish_run(run_id, fhir::format_utc_datetime(now()), code, summary_text);
  if (!o.summary_json.empty()) {
    std::ofstream out(o.summary_json, std::ios::trunc);
    out << summary_text << "\n";
    if (!out) process_log().error("sync.output", "cannot write {file}", {field("file", o.summary_json)});
  }
  if (code == sync_unreachable)
    process_log().error("sync.unreachable", "could not reach or authenticate to the server", {field("exit_code", code)});
  return code;
}

}  // namespace alemwatch::adapter
