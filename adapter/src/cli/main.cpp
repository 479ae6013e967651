// The alemwatch command line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "alemwatch/adapter/conformance_cli.hpp"
#include "alemwatch/adapter/evaluate_command.hpp"
#include "alemwatch/adapter/keys_command.hpp"
#include "alemwatch/adapter/report_command.hpp"
#include "alemwatch/adapter/log.hpp"
#include "alemwatch/adapter/sync_command.hpp"

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
  cmd->add_option("--threads", evaluate.threads, "Threads reading NDJSON (default: one per core)")->check(CLI::Range(1, 256));
  cmd->add_option("--log-format", evaluate.log_format, "text (default) or json: one JSON object per stderr line (docs/logging.md)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--log-phi", evaluate.log_phi, "Let values quoted from the data into the logs and summaries (default: ids and paths only)");
  cmd->add_flag("--quiet", evaluate.quiet, "No progress line or progress events");

  ReportOptions report;
  auto* report_cmd = app.add_subcommand("report", "Evaluate and draw the signals and each patient's results as one HTML page");
  report_cmd->add_option("PATH", report.paths, "FHIR input, as for evaluate (Bundles, resources, NDJSON, directories)");
  report_cmd->add_option("--state", report.state, "Report on the resources cached in this sync state file instead");
  report_cmd->add_option("--server", report.server, "With --state: the FHIR base whose patients to report (needed when it holds several)");
  report_cmd->add_option("--at", report.at, "Evaluation time, ISO 8601 (default: now, then shown in the page)");
  report_cmd->add_option("--mappings", report.mappings, "Directory of mapping data files (default: the shipped copy)");
  report_cmd->add_option("--out", report.out, "The HTML file to write")->required();

  SyncOptions flags;
  std::string config;
  auto* sync = app.add_subcommand("sync", "Pull from a FHIR server, evaluate, and push DetectedIssues (docs/sync.md)");
  sync->add_option("--config", config, "JSON configuration file (docs/config.md); flags override it");
  sync->add_option("--base-url", flags.base_url, "FHIR base URL to read from");
  sync->add_option("--push-base-url", flags.push_base_url, "FHIR base URL DetectedIssues are written to (default: --base-url)");
  sync->add_option("--state", flags.state_file, "SQLite state file (default: ./alemwatch.db)");
  sync->add_option("--at", flags.at, "Evaluation time, ISO 8601 (default: now)");
  sync->add_flag("--dry-run", flags.dry_run, "Pull and evaluate, report what would be written, write nothing");
  sync->add_flag("--full", flags.full, "Ignore the watermark: pull every exposed patient again");
  sync->add_flag("--bulk", flags.bulk, "Read through FHIR Bulk Data $export instead of searches (docs/bulk.md)");
  sync->add_option("--bulk-level", flags.bulk_level, "patient (Patient/$export, the default) or system ($export)")
      ->check(CLI::IsMember({"patient", "system"}));
  bool no_type_filter = false;
  sync->add_flag("--no-type-filter", no_type_filter, "Do not send _typeFilter with the export (for servers that mishandle it)");
  sync->add_option("--bearer-token-file", flags.bearer_token_file, "File holding a bearer token (or set ALEMWATCH_BEARER_TOKEN)");
  sync->add_option("--ca-file", flags.ca_file, "PEM file of CA certificates to trust instead of the system's");
  sync->add_option("--mappings", flags.mappings_dir, "Directory of mapping data files");
  sync->add_option("--summary-json", flags.summary_json, "Write the run summary as JSON to FILE");
  sync->add_option("--patient", flags.patients, "Evaluate only this Patient id (repeatable)");
  sync->add_option("--group", flags.group, "Evaluate the members of this Group");
  sync->add_flag("--require-category", flags.require_category, "Add category=laboratory to Observation searches (Epic)");
  sync->add_option("--concurrency", flags.concurrency, "Patients fetched at once (default 4)")->check(CLI::Range(1, 64));
  sync->add_option("--page-size", flags.page_size, "_count for searches (default 200)")->check(CLI::Range(1, 1000));
  sync->add_option("--auth", flags.auth, "bearer | smart | client-secret (docs/auth.md)");
  sync->add_option("--client-id", flags.client_id, "OAuth client id registered with the EHR");
  sync->add_option("--private-key", flags.private_key_file, "PEM private key for SMART Backend Services (RS384 or ES384)");
  sync->add_option("--kid", flags.kid, "Key id sent in the JWT header (default: the key's JWK thumbprint)");
  sync->add_option("--scope", flags.scope, "Scopes to request (default: read what the rules need, write DetectedIssue)");
  sync->add_option("--token-url", flags.token_url, "Token endpoint (default: from <base>/.well-known/smart-configuration)");
  sync->add_option("--client-secret-file", flags.client_secret_file, "File holding the client secret (client-secret auth)");
  sync->add_option("--client-cert", flags.client_certificate_file, "PEM client certificate for mutual TLS");
  sync->add_option("--client-key", flags.client_key_file, "PEM private key of the client certificate");
  sync->add_option("--log-format", flags.log_format, "text (default) or json: one JSON object per stderr line (docs/logging.md)")
      ->check(CLI::IsMember({"text", "json"}));
  sync->add_flag("--log-phi", flags.log_phi, "Let values quoted from the data into the logs and summaries (default: ids and paths only)");
  sync->add_flag("--quiet", flags.quiet, "No progress line or progress events");

  std::string keys_alg = "RS384", keys_out, keys_pem, keys_kid;
  auto* keys = app.add_subcommand("keys", "Create or show the key pair for SMART Backend Services authentication");
  keys->require_subcommand(1);
  auto* keys_generate =
      keys->add_subcommand("generate", "Write a new private key (DIR/private.pem, mode 0600) and its JWK Set (DIR/jwks.json)");
  keys_generate->add_option("--alg", keys_alg, "RS384 (RSA 3072; the default) or ES384 (EC P-384)")
      ->check(CLI::IsMember({"RS384", "ES384"}, CLI::ignore_case));
  keys_generate->add_option("--out", keys_out, "Directory to write to; created with mode 0700 if missing")->required();
  auto* keys_jwks = keys->add_subcommand("jwks", "Print the JWK Set (the public key) of an existing private key");
  keys_jwks->add_option("PEM", keys_pem, "PEM private key: RSA of at least 2048 bits, or EC P-384")->required();
  keys_jwks->add_option("--kid", keys_kid, "Key id to publish (default: the RFC 7638 thumbprint, as keys generate uses)");

  ConformanceSubcommand conformance(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : exit_usage;
  }
  if (conformance.parsed()) return conformance.run();
  if (cmd->parsed()) return run_evaluate(evaluate);
  if (report_cmd->parsed()) return run_report(report);
  if (keys_generate->parsed()) return run_keys_generate(keys_alg, keys_out);
  if (keys_jwks->parsed()) return run_keys_jwks(keys_pem, keys_kid);
  if (sync->parsed()) {
    SyncOptions options;
    if (!config.empty())
      if (auto read = read_sync_config(config, options); !read) {
        process_log().configure({flags.log_format == "json" ? LogFormat::json : LogFormat::text, false, false, "sync"});
        process_log().error("sync.config", "{error}", {field("error", read.error())});
        return exit_usage;
      }
    // Flags given on the command line win over the file.
    const auto given = [&](const char* name) { return sync->count(name) > 0; };
    if (given("--base-url")) options.base_url = flags.base_url;
    if (given("--push-base-url")) options.push_base_url = flags.push_base_url;
    if (given("--state")) options.state_file = flags.state_file;
    if (given("--at")) options.at = flags.at;
    if (given("--dry-run")) options.dry_run = true;
    if (given("--full")) options.full = true;
    if (given("--bulk")) options.bulk = true;
    if (given("--bulk-level")) options.bulk_level = flags.bulk_level;
    if (given("--no-type-filter")) options.bulk_type_filter = false;
    if (given("--bearer-token-file")) options.bearer_token_file = flags.bearer_token_file;
    if (given("--ca-file")) options.ca_file = flags.ca_file;
    if (given("--mappings")) options.mappings_dir = flags.mappings_dir;
    if (given("--summary-json")) options.summary_json = flags.summary_json;
    if (given("--patient")) options.patients = flags.patients;
    if (given("--group")) options.group = flags.group;
    if (given("--require-category")) options.require_category = true;
    if (given("--concurrency")) options.concurrency = flags.concurrency;
    if (given("--page-size")) options.page_size = flags.page_size;
    if (given("--auth")) options.auth = flags.auth;
    if (given("--client-id")) options.client_id = flags.client_id;
    if (given("--private-key")) options.private_key_file = flags.private_key_file;
    if (given("--kid")) options.kid = flags.kid;
    if (given("--scope")) options.scope = flags.scope;
    if (given("--token-url")) options.token_url = flags.token_url;
    if (given("--client-secret-file")) options.client_secret_file = flags.client_secret_file;
    if (given("--client-cert")) options.client_certificate_file = flags.client_certificate_file;
    if (given("--client-key")) options.client_key_file = flags.client_key_file;
    if (given("--log-format")) options.log_format = flags.log_format;
    if (given("--log-phi")) options.log_phi = true;
    if (given("--quiet")) options.quiet = true;
    return run_sync(options);
  }
  return exit_usage;
}
