// Everything a sync run is told: from the command line, a JSON configuration file, and the
// environment (flags win over the file; the token may also come from ALEMWATCH_BEARER_TOKEN).
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "alemwatch/fhir/http_client.hpp"

namespace alemwatch::adapter {

struct SyncOptions {
  std::string base_url;                  // FHIR base to read from
  std::string push_base_url;             // where DetectedIssues go; empty: base_url
  std::string state_file = "alemwatch.db";
  std::optional<std::string> at;         // evaluation time; default now
  bool dry_run = false;
  bool full = false;                     // ignore the watermark: pull everything again
  std::string bearer_token_file;
  std::string ca_file;
  std::string mappings_dir;
  std::string summary_json;
  // Whom to evaluate: empty lists mean "find every patient given alemtuzumab".
  std::vector<std::string> patients;
  std::string group;                     // Group id whose members are the patients
  bool require_category = false;         // add category=laboratory to Observation searches (Epic)
  int page_size = 200;                   // _count
  int concurrency = 4;                   // patients fetched at once; also the connection pool size
  std::chrono::minutes watermark_overlap{5};
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};
  int max_retries = 5;
  std::string author_device;             // Device/<id> for DetectedIssue.author
  // Authorisation (docs/auth.md): "bearer" (a static token), "smart" (client_credentials with a
  // private_key_jwt assertion), "client-secret" (client_credentials, client_secret_basic), or
  // empty: "bearer" when a token is given, else none.
  std::string auth;
  std::string client_id;
  std::string private_key_file;
  std::string kid;
  std::string scope;
  std::string token_url;                 // default: discovered from .well-known/smart-configuration
  std::string client_secret_file;
  std::string client_certificate_file;   // mutual TLS
  std::string client_key_file;
  // Bulk Data (docs/bulk.md): read through $export instead of searches.
  bool bulk = false;
  std::string bulk_level = "patient";    // "patient" or "system"; a group gives Group/<id>/$export
  bool bulk_type_filter = true;          // _typeFilter: only Observations with the analytes' codes
  // Logging (docs/logging.md): "text" or "json" lines on stderr; PHI in logs; progress off.
  std::string log_format = "text";
  bool log_phi = false;
  bool quiet = false;
};

// The scopes requested when none are configured: read what the rules need, write DetectedIssues
// (SMART v1 style; a v2 server takes "system/Observation.rs" and the like, given with --scope).
inline constexpr const char* default_scope =
    "system/Patient.read system/Group.read system/Medication.read system/MedicationAdministration.read "
    "system/Observation.read system/DetectedIssue.read system/DetectedIssue.write";

// Reads a configuration file into `options` (only the keys present). Unknown keys and wrong types
// are errors naming the key.
boost::system::result<void, std::string> read_sync_config(const std::string& file, SyncOptions& options);

// The HTTP client's options as the flags set them (CA file, timeouts, retries, user agent, client
// certificate). An error when only one of --client-cert and --client-key is given.
boost::system::result<fhir::HttpClientOptions, std::string> http_client_options(const SyncOptions& o);

}  // namespace alemwatch::adapter
