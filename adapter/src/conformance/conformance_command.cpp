#include "alemwatch/adapter/conformance_command.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>

#include "alemwatch/adapter/conformance_capabilities.hpp"
#include "alemwatch/adapter/conformance_readback.hpp"
#include "alemwatch/adapter/conformance_report.hpp"
#include "alemwatch/adapter/conformance_samples.hpp"
#include "alemwatch/adapter/conformance_sync.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/adapter/sync_authorization.hpp"
#include "alemwatch/adapter/sync_command.hpp"
#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/fhir/http_client.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {
namespace {

void say(const std::string& line) { std::cerr << "alemwatch conformance: " << line << "\n"; }

// The kit's own HTTP client (loading, CapabilityStatement, reading back), set up as sync sets up
// its own: same TLS, same authorisation.
struct KitHttp {
  SyncAuthorization authorization;
  std::unique_ptr<fhir::HttpClient> http;
};

boost::system::result<KitHttp, int> make_http(const SyncOptions& o) {
  auto configured = http_client_options(o);
  if (!configured) {
    say(configured.error());
    return conformance_usage;
  }
  fhir::HttpClientOptions options = std::move(*configured);
  auto authorization = set_up_authorization(o, options);
  if (!authorization) {
    say(authorization.error().message);
    return authorization.error().unreachable ? conformance_unreachable : conformance_usage;
  }
  KitHttp kit{std::move(*authorization), nullptr};
  options.auth = kit.authorization.source.get();
  auto http = fhir::HttpClient::create(options);
  if (!http) {
    say(http.error());
    return conformance_usage;
  }
  kit.http = std::move(*http);
  return kit;
}

std::string refusal_text(const fhir::FhirError& e) {
  if (e.kind != fhir::FhirError::Kind::status) return e.describe();
  return std::to_string(e.status) + (e.detail.empty() ? "" : " " + e.detail);
}

// POSTs each sample's Bundle; a refusal is noted on its scenario. Returns false when the server
// cannot be reached at all.
bool load_samples(fhir::FhirClient& server, const std::vector<SampleScenario>& samples, ConformanceReport& report) {
  for (std::size_t i = 0; i < samples.size(); ++i) {
    auto loaded = server.transaction(samples[i].bundle);
    if (loaded) continue;
    if (loaded.error().unreachable()) {
      say("loading " + samples[i].name + ": " + loaded.error().describe());
      return false;
    }
    report.scenarios[i].load_refusal = refusal_text(loaded.error());
  }
  return true;
}

std::string capability_line(const DetectedIssueCapabilities& c) {
  if (!c.read) return "no CapabilityStatement: " + c.error;
  if (!c.listed) return "the CapabilityStatement does not list DetectedIssue";
  if (!c.create && !c.update) return "the CapabilityStatement lists neither create nor update for DetectedIssue";
  if (!c.conditional_update) return "the CapabilityStatement does not say whether DetectedIssue takes conditional update";
  return *c.conditional_update ? "conditional update of DetectedIssue supported (CapabilityStatement)" : "";
}

void compare_scenarios(const std::vector<SampleScenario>& samples, const std::vector<boost::json::object>& on_server,
                       const ComparisonOptions& options, ConformanceReport& report) {
  std::map<std::string, std::size_t> scenario_of;
  for (std::size_t i = 0; i < samples.size(); ++i)
    for (const auto& p : samples[i].patient_ids) scenario_of[p] = i;
  std::vector<std::vector<boost::json::object>> held(samples.size());
  for (const auto& issue : on_server) {
    const auto identifier = issue_identifier(issue, options.identifier_system);
    if (!identifier) continue;
    const auto s = scenario_of.find(identifier->substr(0, identifier->find('/')));
    if (s != scenario_of.end()) held[s->second].push_back(issue);
  }
  for (std::size_t i = 0; i < samples.size(); ++i) {
    report.scenarios[i].on_server = held[i].size();
    report.scenarios[i].differences = compare_issues(samples[i].expected, held[i], options);
  }
}

// Says what the server lacks and whether the sync's fallback made up for it.
void describe_conditional_update(const DetectedIssueCapabilities& c, ConformanceReport& report) {
  report.conditional_update = c.conditional_update;
  if (!c.read || !c.listed || (!c.create && !c.update) || c.conditional_update != false) return;
  std::size_t expecting = 0, passing = 0;
  for (const auto& s : report.scenarios)
    if (s.expected > 0) {
      ++expecting;
      passing += s.passed();
    }
  report.server_lines.push_back(fmt::format(
      "conditional update not supported (CapabilityStatement: DetectedIssue conditionalUpdate false): fell back to "
      "searching by identifier, then POST; the fallback {}: {} of {} scenarios that expect issues passed",
      passing == expecting ? "passes" : "fails", passing, expecting));
}

int write_report(const ConformanceReport& report, const std::string& file) {
  if (file.empty()) return 0;
  std::ofstream out(file, std::ios::trunc);
  out << boost::json::serialize(report.json()) << "\n";
  if (out) return 0;
  say("cannot write the report to " + file);
  return conformance_usage;
}

}  // namespace

int run_conformance(const ConformanceOptions& o) {
  if (o.sync.base_url.empty()) {
    say("--base-url (or base_url in --config) is required");
    return conformance_usage;
  }
  const auto samples_dir = o.samples_dir.empty() ? default_samples_dir() : std::filesystem::path(o.samples_dir);
  auto samples = read_sample_scenarios(samples_dir);
  if (!samples) {
    say("samples: " + samples.error());
    return conformance_usage;
  }
  const auto mappings_dir = o.sync.mappings_dir.empty() ? mappings::default_mappings_dir() : std::filesystem::path(o.sync.mappings_dir);
  auto mappings = mappings::load_mappings(mappings_dir, rule_requirements());
  if (!mappings) {
    say("mapping data: " + mappings.error().describe());
    return conformance_usage;
  }
  auto kit = make_http(o.sync);
  if (!kit) return kit.error();
  fhir::FhirClient source(o.sync.base_url, *kit->http);
  fhir::FhirClient target(o.sync.push_base_url.empty() ? o.sync.base_url : o.sync.push_base_url, *kit->http);

  ConformanceReport report;
  report.base_url = source.base();
  report.push_base_url = target.base();
  report.samples_dir = samples_dir.string();
  report.evaluated_at = samples_evaluation_time;
  report.loaded = o.load;
  std::vector<std::string> patients, references;
  for (const auto& s : *samples) {
    report.scenarios.push_back({s.name, s.patient_ids, s.expected.size(), 0, {}, {}, {}});
    for (const auto& p : s.patient_ids) {
      patients.push_back(p);
      references.push_back((target.base() == source.base() ? "" : source.base() + "/") + "Patient/" + p);
    }
  }
  if (o.load && !load_samples(source, *samples, report)) return conformance_unreachable;

  const auto capabilities = read_detected_issue_capabilities(target);
  say(fmt::format("syncing {} sample patients at {}", patients.size(), samples_evaluation_time));
  auto sync = run_conformance_sync(o.sync, patients);
  if (sync.exit_code == sync_usage || sync.exit_code == sync_unreachable) return sync.exit_code;
  report.sync_exit_code = sync.exit_code;
  report.sync_summary = sync.summary;
  for (std::size_t i = 0; i < samples->size(); ++i) {
    auto& scenario = report.scenarios[i];
    // A failed pull or write fails the scenario even when what is on the server looks right: an
    // earlier run may have left it there.
    scenario.sync_failed = sync.unattributed_failure;
    for (const auto& p : (*samples)[i].patient_ids) {
      for (auto& line : sync.by_patient[p]) scenario.sync_lines.push_back(line);
      if (sync.failed_patients.contains(p)) scenario.sync_failed = true;
    }
  }

  const ComparisonOptions comparison{(*mappings)->signals.identifier_system(), {source.base(), target.base()}};
  auto on_server = read_back_issues(target, comparison.identifier_system, patients, references);
  if (!on_server) {
    say("reading DetectedIssues back: " + on_server.error().describe());
    if (on_server.error().unreachable()) return conformance_unreachable;
    for (auto& s : report.scenarios)
      s.differences.push_back({"unreadable", {}, {}, {}, "could not read DetectedIssues back: " + refusal_text(on_server.error())});
  } else {
    compare_scenarios(*samples, *on_server, comparison, report);
  }

  if (const auto line = capability_line(capabilities); !line.empty()) report.server_lines.push_back(line);
  describe_conditional_update(capabilities, report);
  for (const auto& line : sync.general) report.server_lines.push_back(line);
  if (sync.exit_code != sync_ok)
    report.server_lines.push_back(fmt::format("the sync ended with exit code {} (some requests or writes failed)", sync.exit_code));

  std::cout << report.text() << std::flush;
  if (const int failed = write_report(report, o.report_file)) return failed;
  return report.exit_code();
}

}  // namespace alemwatch::adapter
