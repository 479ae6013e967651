#include "alemwatch/adapter/report_command.hpp"

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

// Through a temporary file and a rename, so a browser never opens half a page.
bool write_file_atomically(const std::string& file, const std::string& text, std::string& error) {
  const std::string temp = file + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + temp;
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, file, ec);
  if (ec) {
    error = "cannot rename " + temp + " to " + file + ": " + ec.message();
    return false;
  }
  return true;
}

// Feeds every resource cached in the state file, for every server, to the evaluation, as sync
// does for the patients it did not fetch. Returns false when the file cannot be read.
bool read_state(const std::string& file, Evaluation& evaluation, RunSummary& summary, ReportHeader& header) {
  auto store = StateStore::open_read_only(file);
  if (!store) {
    std::cerr << me << "state file " << store.error().describe() << "\n";
    ++summary.reading.files_failed;
    return false;
  }
  ++summary.reading.files_read;
  const auto servers = (*store)->cached_servers();
  if (servers.empty()) header.inputs.push_back("state file " + file + ": no cached patients");
  for (const auto& server : servers) {
    const auto patients = (*store)->cached_patients(server);
    header.inputs.push_back("state file " + file + ", server " + server + ": " + std::to_string(patients.size()) +
                            " cached patient(s)");
    for (const auto& patient : patients)
      for (const auto& c : (*store)->patient_resources(server, patient)) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(c.json, ec);
        if (ec || !v.is_object()) continue;  // sync stored what it had parsed: not reached in practice
        const fhir::SourcePosition where{server + "/" + c.type + "/" + c.id};
        evaluation.add({v.get_object(), c.type, where, nullptr});
      }
  }
  return true;
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
    read_state(*options.state, evaluation, summary, header);
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
  if (!write_file_atomically(options.out, render_report(m, header, issues, patients, summary), error)) {
    std::cerr << me << error << "\n";
    code = exit_no_input;
  }
  std::cerr << summary.text();
  if (summary.reading.files_read == 0) std::cerr << me << "no input could be read\n";
  return code;
}

}  // namespace alemwatch::adapter
