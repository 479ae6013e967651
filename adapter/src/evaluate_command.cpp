#include "alemwatch/adapter/evaluate_command.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/resource_reader.hpp"

namespace alemwatch::adapter {
namespace {

// Writes `text` to `file` through a temporary file and a rename, so a reader never sees half.
bool write_file_atomically(const std::string& file, const std::string& text, std::string& error) {
  const std::string temp = file + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      error = "cannot write " + temp;
      return false;
    }
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

std::optional<fhir::Instant> evaluation_time(const EvaluateOptions& options) {
  if (!options.at) return fhir::Instant(std::chrono::floor<fhir::Milliseconds>(std::chrono::system_clock::now()));
  return fhir::parse_fhir_datetime(*options.at);
}

}  // namespace

int run_evaluate(const EvaluateOptions& options) {
  const auto at = evaluation_time(options);
  if (!at) {
    std::cerr << "alemwatch evaluate: --at '" << *options.at
              << "' is not an ISO 8601 date or date-time (e.g. 2026-11-01T00:00:00Z)\n";
    return exit_usage;
  }
  const auto dir = options.mappings ? std::filesystem::path(*options.mappings) : mappings::default_mappings_dir();
  auto loaded = mappings::load_mappings(dir, rule_requirements());
  if (!loaded) {
    std::cerr << "alemwatch evaluate: mapping data: " << loaded.error().describe() << "\n";
    return exit_usage;
  }
  const mappings::Mappings& m = **loaded;

  RunSummary summary;
  Evaluation evaluation(m, summary);
  fhir::ResourceReader reader(summary);
  for (const auto& path : options.paths)
    reader.read(path, [&](const fhir::ResourceInput& input) { evaluation.add(input); });
  summary.reading = reader.stats();
  const auto issues = evaluation.finish(*at, IssueWriterOptions{});

  std::string ndjson;
  for (const auto& issue : issues) {
    ndjson += boost::json::serialize(fhir::to_json(issue));
    ndjson += '\n';
  }
  int code = summary.reading.files_read == 0 ? exit_no_input : exit_ok;
  std::string error;
  if (options.out) {
    if (!write_file_atomically(*options.out, ndjson, error)) {
      std::cerr << "alemwatch evaluate: " << error << "\n";
      code = exit_no_input;
    }
  } else {
    std::cout << ndjson << std::flush;
  }
  std::cerr << summary.text();
  if (options.summary_json &&
      !write_file_atomically(*options.summary_json, boost::json::serialize(summary.json()) + "\n", error)) {
    std::cerr << "alemwatch evaluate: " << error << "\n";
    code = exit_no_input;
  }
  if (summary.reading.files_read == 0) std::cerr << "alemwatch evaluate: no input could be read\n";
  return code;
}

}  // namespace alemwatch::adapter
