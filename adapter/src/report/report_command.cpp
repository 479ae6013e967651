#include "alemwatch/adapter/report_command.hpp"
#include "alemwatch/adapter/cached_resources.hpp"
#include "alemwatch/adapter/output_file.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "alemwatch/adapter/evaluate_command.hpp"
#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/report_page.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/adapter/state_store.hpp"
#include "alemwatch/fhir/resource_reader.hpp"

namespace alemwatch::adapter {
namespace {

constexpr const char* me = "alemwatch report: ";

// Feeds every resource cached in the state file, for every server, to the evaluation, as sync
// does for the patients it did not fetch. Returns false when the file cannot be read.
// Nothing, or the exit code when the servers asked for and held do not fit.
std::optional<int> read_state(const std::string& file, const std::optional<std::string>& server_wanted,
                              Evaluation& evaluation, RunSummary& summary, ReportHeader& header) {
  auto store = StateStore::open_read_only(file);
  if (!store) {
    std::cerr << me << "state file " << store.error().describe() << "\n";
    ++summary.reading.files_failed;
    return std::nullopt;
  }
  ++summary.reading.files_read;
  auto servers = (*store)->cached_servers();
  // Patient ids are a server's own: two servers' Patient/123 are different people, and must not
  // be drawn as one.
  if (server_wanted) {
    if (std::find(servers.begin(), servers.end(), *server_wanted) == servers.end()) {
      std::cerr << me << "the state file holds no patients of " << *server_wanted << "\n";
      return exit_usage;
    }
    servers = {*server_wanted};
  } else if (servers.size() > 1) {
    std::cerr << me << "the state file holds patients of " << servers.size()
              << " servers, whose ids may clash: choose one with --server:";
    for (const auto& s : servers) std::cerr << " " << s;
    std::cerr << "\n";
    return exit_usage;
  }
  if (servers.empty()) header.inputs.push_back("state file " + file + ": no cached patients");
  for (const auto& server : servers) {
    const auto patients = (*store)->cached_patients(server);
    header.inputs.push_back("state file " + file + ", server " + server + ": " + std::to_string(patients.size()) +
                            " cached patient(s)");
    for (const auto& patient : patients) add_cached_resources(**store, server, patient, evaluation);
  }
  return std::nullopt;
}

}  // namespace

int run_report(const ReportOptions& options) {
  if (options.state.has_value() == !options.paths.empty()) {
    std::cerr << me << "give either --state FILE or one or more PATHs\n";
    return exit_usage;
  }
  ReportHeader header;
  if (options.at) {
    const auto at = fhir::parse_fhir_datetime(*options.at);
    if (!at) {
      std::cerr << me << "--at '" << *options.at << "' is not an ISO 8601 date or date-time (e.g. 2026-11-01T00:00:00Z)\n";
      return exit_usage;
    }
    header.at = *at;
  } else {
    header.at = fhir::Instant(std::chrono::floor<fhir::Milliseconds>(std::chrono::system_clock::now()));
    header.generated = header.at;
  }
  const auto dir = options.mappings ? std::filesystem::path(*options.mappings) : mappings::default_mappings_dir();
  auto loaded = mappings::load_mappings(dir, rule_requirements());
  if (!loaded) {
    std::cerr << me << "mapping data: " << loaded.error().describe() << "\n";
    return exit_usage;
  }
  const mappings::Mappings& m = **loaded;

  RunSummary summary;
  Evaluation evaluation(m, summary);
  if (options.state) {
    if (auto refused = read_state(*options.state, options.server, evaluation, summary, header)) return *refused;
  } else {
    fhir::ResourceReader reader(summary);
    for (const auto& path : options.paths) {
      header.inputs.push_back(path);
      reader.read(path, [&](const fhir::ResourceInput& input) { evaluation.add(input); });
    }
    summary.reading = reader.stats();
  }
  const auto issues = evaluation.finish(header.at, IssueWriterOptions{});
  std::vector<const PatientRecord*> patients;
  for (const auto& [id, record] : evaluation.records()) patients.push_back(&record);

  int code = summary.reading.files_read == 0 ? exit_no_input : exit_ok;
  std::string error;
  // The page holds PHI: readable by its owner only, like the state file.
  if (!write_file_atomically(options.out, render_report(m, header, issues, patients, summary), error,
                             FileAccess::owner_only)) {
    std::cerr << me << error << "\n";
    code = exit_no_input;
  }
  std::cerr << summary.text();
  if (summary.reading.files_read == 0) std::cerr << me << "no input could be read\n";
  return code;
}

}  // namespace alemwatch::adapter
