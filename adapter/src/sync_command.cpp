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

#include "alemwatch/adapter/detected_issue_push.hpp"
#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/patient_pull.hpp"
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

void say(const std::string& line) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::cerr << "alemwatch sync: " << line << "\n";
}

struct SyncTally {
  std::size_t patients_fetched = 0;
  std::size_t patients_failed = 0;
  std::size_t patients_from_cache = 0;
  std::size_t patients_removed = 0;
  std::size_t server_warnings = 0;
  std::vector<std::string> failures;
  bool unreachable = false;
};

class SyncRun {
 public:
  SyncRun(const SyncOptions& o, const mappings::Mappings& m, fhir::HttpClient& http, StateStore& state, fhir::Instant at)
      : o_(o), m_(m), http_(http), state_(state), at_(at), source_(o.base_url, http),
        target_(o.push_base_url.empty() ? o.base_url : o.push_base_url, http),
        pull_(source_, m, {o.page_size, o.require_category}, [this](const std::string& w) {
          ++tally_.server_warnings;
          say("warning: " + w);
        }),
        evaluation_(m, summary_) {}

  int run() {
    const auto started = now();
    auto patients = patients_to_fetch();
    if (!patients) return report_unreachable(patients.error());
    if (!o_.dry_run) state_.add_dirty_patients(source_.base(), {patients->begin(), patients->end()});
    fetch_all(*patients);
    if (tally_.unreachable && tally_.patients_fetched == 0 && !patients->empty()) return finish(sync_unreachable, {});
    evaluate_cached(*patients);
    IssueWriterOptions writer;
    writer.author_device = o_.author_device;
    if (target_.base() != source_.base()) writer.reference_base = source_.base() + "/";
    const auto issues = evaluation_.finish(at_, writer);
    DetectedIssuePush push(target_, state_, m_.signals.identifier_system(), o_.dry_run, fhir::format_utc_date(at_));
    push.push(issues, [&](const WrittenIssue& w) { return decide_retirement(w, evaluation_, m_, at_); });
    const bool clean = tally_.patients_failed == 0 && push.counts().failed == 0;
    if (clean && !o_.dry_run) state_.set_watermark(source_.base(), "pull", fhir::format_utc_instant(started));
    int code = clean ? sync_ok : sync_partial;
    if (push.fatal_error() && push.counts().created + push.counts().updated + push.counts().unchanged == 0)
      code = sync_unreachable;
    return finish(code, push.counts());
  }

  RunSummary& summary() { return summary_; }
  std::string sync_text(const PushCounts& c) const;
  boost::json::object sync_json(const PushCounts& c) const;

 private:
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
    say(fmt::format("incremental run: changes since {} touch {} patient(s)", since, touched->size()));
    return touched;
  }

  void fetch_all(const std::set<std::string>& patients) {
    std::vector<std::string> queue(patients.begin(), patients.end());
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
      for (const auto& c : state_.patient_resources(source_.base(), patient)) {
        boost::system::error_code ec;
        auto v = boost::json::parse(c.json, ec);
        if (!ec && v.is_object()) add(v.get_object());
      }
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
  for (const auto& n : c.notes) out += "  " + n + "\n";
  return out;
}

boost::json::object SyncRun::sync_json(const PushCounts& c) const {
  const auto& s = http_.stats();
  boost::json::array notes;
  for (const auto& n : c.notes) notes.emplace_back(n);
  boost::json::array failures;
  for (const auto& f : tally_.failures) failures.emplace_back(f);
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
          {"notes", std::move(notes)}};
}

}  // namespace

int run_sync(const SyncOptions& o) {
  if (o.base_url.empty()) {
    std::cerr << "alemwatch sync: --base-url (or base_url in --config) is required\n";
    return sync_usage;
  }
  std::optional<fhir::Instant> at = o.at ? fhir::parse_fhir_datetime(*o.at) : std::optional(now());
  if (!at) {
    std::cerr << "alemwatch sync: --at '" << *o.at << "' is not an ISO 8601 date or date-time\n";
    return sync_usage;
  }
  const auto dir = o.mappings_dir.empty() ? mappings::default_mappings_dir() : std::filesystem::path(o.mappings_dir);
  auto loaded = mappings::load_mappings(dir, rule_requirements());
  if (!loaded) {
    std::cerr << "alemwatch sync: mapping data: " << loaded.error().describe() << "\n";
    return sync_usage;
  }
  fhir::HttpClientOptions http_options;
  http_options.ca_file = o.ca_file;
  http_options.max_connections = static_cast<std::size_t>(std::max(1, o.concurrency));
  http_options.connect_timeout = o.connect_timeout;
  http_options.read_timeout = o.read_timeout;
  http_options.retry.max_retries = o.max_retries;
  http_options.user_agent = "alemwatch/" ALEMWATCH_VERSION;
  http_options.client_certificate_file = o.client_certificate_file;
  http_options.client_key_file = o.client_key_file;
  if (!o.client_certificate_file.empty() != !o.client_key_file.empty()) {
    std::cerr << "alemwatch sync: mutual TLS needs both --client-cert and --client-key\n";
    return sync_usage;
  }
  auto authorization = set_up_authorization(o, http_options);
  if (!authorization) {
    std::cerr << "alemwatch sync: " << authorization.error().message << "\n";
    return authorization.error().unreachable ? sync_unreachable : sync_usage;
  }
  http_options.auth = authorization->source.get();
  auto http = fhir::HttpClient::create(http_options);
  if (!http) {
    std::cerr << "alemwatch sync: " << http.error() << "\n";
    return sync_usage;
  }
  auto state = StateStore::open(o.state_file);
  if (!state) {
    std::cerr << "alemwatch sync: state: " << state.error().describe() << "\n";
    return state.error().locked ? sync_locked : sync_usage;
  }
  const auto run_id = (*state)->begin_run(o.base_url, fhir::format_utc_datetime(now()));
  SyncRun run(o, **loaded, **http, **state, *at);
  const int code = run.run();
  std::cerr << run.summary().text() << run.sync_text(run.counts());
  boost::json::object summary = run.summary().json();
  summary["sync"] = run.sync_json(run.counts());
  summary["exit_code"] = code;
  const std::string summary_text = boost::json::serialize(summary);
  (*state)->finish_run(run_id, fhir::format_utc_datetime(now()), code, summary_text);
  if (!o.summary_json.empty()) {
    std::ofstream out(o.summary_json, std::ios::trunc);
    out << summary_text << "\n";
    if (!out) std::cerr << "alemwatch sync: cannot write " << o.summary_json << "\n";
  }
  if (code == sync_unreachable) std::cerr << "alemwatch sync: could not reach or authenticate to the server\n";
  return code;
}

}  // namespace alemwatch::adapter
