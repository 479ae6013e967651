#include "alemwatch/adapter/conformance_cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "alemwatch/adapter/conformance_command.hpp"

namespace alemwatch::adapter {

struct ConformanceSubcommand::Flags {
  CLI::App* command = nullptr;
  std::string config;
  SyncOptions sync;
  bool no_load = false;
  std::string samples;
  std::string report;
};

ConformanceSubcommand::ConformanceSubcommand(CLI::App& app) : flags_(std::make_unique<Flags>()) {
  auto& f = *flags_;
  auto* c = app.add_subcommand("conformance",
                               "Load the sample patients into a FHIR server, sync, and compare its DetectedIssues with "
                               "the expected ones (docs/conformance.md)");
  f.command = c;
  c->add_option("--config", f.config, "JSON configuration file, as sync takes it; flags override it");
  c->add_option("--base-url", f.sync.base_url, "FHIR base URL to load the samples into and read from");
  c->add_flag("--no-load", f.no_load, "Do not POST the sample Bundles: they are on the server already");
  c->add_option("--samples", f.samples, "Samples directory (default: the installed copy, else the source tree's samples/)");
  c->add_option("--push-base-url", f.sync.push_base_url, "FHIR base URL DetectedIssues are written to and read back from");
  c->add_option("--report", f.report, "Write the report as JSON to FILE");
  c->add_option("--bearer-token-file", f.sync.bearer_token_file, "File holding a bearer token (or set ALEMWATCH_BEARER_TOKEN)");
  c->add_option("--ca-file", f.sync.ca_file, "PEM file of CA certificates to trust instead of the system's");
  c->add_option("--mappings", f.sync.mappings_dir, "Directory of mapping data files");
  c->add_flag("--require-category", f.sync.require_category, "Add category=laboratory to Observation searches (Epic)");
  c->add_option("--concurrency", f.sync.concurrency, "Patients fetched at once (default 4)")->check(CLI::Range(1, 64));
  c->add_option("--page-size", f.sync.page_size, "_count for searches (default 200)")->check(CLI::Range(1, 1000));
  c->add_option("--auth", f.sync.auth, "bearer | smart | client-secret (docs/auth.md)");
  c->add_option("--client-id", f.sync.client_id, "OAuth client id registered with the EHR");
  c->add_option("--private-key", f.sync.private_key_file, "PEM private key for SMART Backend Services (RS384 or ES384)");
  c->add_option("--kid", f.sync.kid, "Key id sent in the JWT header (default: the key's JWK thumbprint)");
  c->add_option("--scope", f.sync.scope, "Scopes to request (default: read what the rules need, write DetectedIssue)");
  c->add_option("--token-url", f.sync.token_url, "Token endpoint (default: from <base>/.well-known/smart-configuration)");
  c->add_option("--client-secret-file", f.sync.client_secret_file, "File holding the client secret (client-secret auth)");
  c->add_option("--client-cert", f.sync.client_certificate_file, "PEM client certificate for mutual TLS");
  c->add_option("--client-key", f.sync.client_key_file, "PEM private key of the client certificate");
}

ConformanceSubcommand::~ConformanceSubcommand() = default;

bool ConformanceSubcommand::parsed() const { return flags_->command->parsed(); }

int ConformanceSubcommand::run() const {
  const auto& f = *flags_;
  ConformanceOptions options;
  if (!f.config.empty())
    if (auto read = read_sync_config(f.config, options.sync); !read) {
      std::cerr << "alemwatch conformance: " << read.error() << "\n";
      return conformance_usage;
    }
  // Flags given on the command line win over the file.
  const auto given = [&](const char* name) { return f.command->count(name) > 0; };
  auto& o = options.sync;
  if (given("--base-url")) o.base_url = f.sync.base_url;
  if (given("--push-base-url")) o.push_base_url = f.sync.push_base_url;
  if (given("--bearer-token-file")) o.bearer_token_file = f.sync.bearer_token_file;
  if (given("--ca-file")) o.ca_file = f.sync.ca_file;
  if (given("--mappings")) o.mappings_dir = f.sync.mappings_dir;
  if (given("--require-category")) o.require_category = true;
  if (given("--concurrency")) o.concurrency = f.sync.concurrency;
  if (given("--page-size")) o.page_size = f.sync.page_size;
  if (given("--auth")) o.auth = f.sync.auth;
  if (given("--client-id")) o.client_id = f.sync.client_id;
  if (given("--private-key")) o.private_key_file = f.sync.private_key_file;
  if (given("--kid")) o.kid = f.sync.kid;
  if (given("--scope")) o.scope = f.sync.scope;
  if (given("--token-url")) o.token_url = f.sync.token_url;
  if (given("--client-secret-file")) o.client_secret_file = f.sync.client_secret_file;
  if (given("--client-cert")) o.client_certificate_file = f.sync.client_certificate_file;
  if (given("--client-key")) o.client_key_file = f.sync.client_key_file;
  options.load = !f.no_load;
  options.samples_dir = f.samples;
  options.report_file = f.report;
  return run_conformance(options);
}

}  // namespace alemwatch::adapter
