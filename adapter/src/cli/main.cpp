// The alemwatch command line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "alemwatch/adapter/evaluate_command.hpp"

int main(int argc, char** argv) {
  using namespace alemwatch::adapter;
  CLI::App app{"alemwatch: alemtuzumab safety signals from FHIR R4 data, written as DetectedIssues"};
  app.set_version_flag("--version", "alemwatch " ALEMWATCH_VERSION);
  app.require_subcommand(1);

  EvaluateOptions evaluate;
  auto* cmd = app.add_subcommand("evaluate", "Evaluate FHIR files and print the DetectedIssues as NDJSON");
  cmd->add_option("PATH", evaluate.paths,
                  "FHIR input: a Bundle, a resource, an NDJSON file (.ndjson/.jsonl) or a directory of them")
      ->required();
  cmd->add_option("--at", evaluate.at, "Evaluation time, ISO 8601 (default: now); 'now' for the overdue rules");
  cmd->add_option("--mappings", evaluate.mappings, "Directory of mapping data files (default: the shipped copy)");
  cmd->add_option("--out", evaluate.out, "Write the DetectedIssues to FILE instead of stdout");
  cmd->add_option("--summary-json", evaluate.summary_json, "Write the run summary as JSON to FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }
  if (cmd->parsed()) return run_evaluate(evaluate);
  return exit_usage;
}
