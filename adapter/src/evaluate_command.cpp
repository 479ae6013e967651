#include "alemwatch/adapter/evaluate_command.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/output_file.hpp"
#include "alemwatch/adapter/population_read.hpp"
#include "alemwatch/adapter/log.hpp"
#include "alemwatch/adapter/progress.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/resource_reader.hpp"

namespace alemwatch::adapter {
namespace {

std::optional<fhir::Instant> evaluation_time(const EvaluateOptions& options) {
  if (!options.at) return fhir::Instant(std::chrono::floor<fhir::Milliseconds>(std::chrono::system_clock::now()));
  return fhir::parse_fhir_datetime(*options.at);
}

// Bytes in a file, or in the files under a directory, for the progress; 0 when unknown.
std::uintmax_t input_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
  }
  std::uintmax_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

LogSettings evaluate_log_settings(const EvaluateOptions& options) {
  LogSettings settings;
  settings.command = "evaluate";
  settings.format = parse_log_format(options.log_format).value_or(LogFormat::text);
  settings.phi = options.log_phi;
  settings.quiet = options.quiet;
  return settings;
}

}  // namespace

int run_evaluate(const EvaluateOptions& options) {
  auto& log = process_log();
  log.configure(evaluate_log_settings(options));
  const auto at = evaluation_time(options);
  if (!at) {
    log.error("evaluate.usage", "--at '{at}' is not an ISO 8601 date or date-time (e.g. 2026-11-01T00:00:00Z)",
              {field("at", *options.at)});
    return exit_usage;
  }
  const auto dir = options.mappings ? std::filesystem::path(*options.mappings) : mappings::default_mappings_dir();
  auto loaded = mappings::load_mappings(dir, rule_requirements());
  if (!loaded) {
    log.error("evaluate.mappings", "mapping data: {error}", {field("error", loaded.error().describe())});
    return exit_usage;
  }
  const mappings::Mappings& m = **loaded;

  RunSummary summary;
  Evaluation evaluation(m, summary);
  std::uintmax_t total_bytes = 0;
  for (const auto& path : options.paths) total_bytes += input_bytes(path);
  Progress progress(log, "inputs", options.paths.size());
  progress.set_bytes_total(total_bytes);
  PopulationReadOptions reading;
  reading.threads = options.threads;
  reading.on_progress = [&](std::uintmax_t bytes) { progress.advance(0, bytes); };
  const std::vector<std::filesystem::path> paths(options.paths.begin(), options.paths.end());
  summary.reading = read_population(paths, evaluation, summary, m, reading);
  progress.advance(options.paths.size(), 0);
  progress.finish();
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
      log.error("evaluate.output", "{error}", {field("error", error)});
      code = exit_no_input;
    }
  } else {
    std::cout << ndjson << std::flush;
  }
  const auto summary_json = summary.json(options.log_phi);
  if (log.settings().format == LogFormat::json)
    log.info("run.summary", "run summary", {field("summary", summary_json)});
  else
    log.write_text_block(summary.text(50, options.log_phi));
  if (options.summary_json &&
      !write_file_atomically(*options.summary_json, boost::json::serialize(summary_json) + "\n", error)) {
    log.error("evaluate.output", "{error}", {field("error", error)});
    code = exit_no_input;
  }
  if (summary.reading.files_read == 0) log.error("evaluate.no_input", "no input could be read");
  return code;
}

}  // namespace alemwatch::adapter
