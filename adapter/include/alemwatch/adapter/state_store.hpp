// The sync state, in SQLite: what we wrote to which server, watermarks for incremental runs,
// and the history of runs. One state file serves one deployment; a lock file beside it keeps two
// runs from overlapping.
//
// Durability: every write is committed before the call returns (WAL, synchronous=FULL), so a
// process killed at any instant loses nothing it was told had been stored.
#pragma once

#include <boost/system/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace alemwatch::adapter {

struct StateError {
  std::string file;
  std::string reason;
  bool locked = false;  // another run holds the lock
  std::string describe() const { return file + ": " + reason; }
};

// What we know about one DetectedIssue we wrote (or were about to write).
struct WrittenIssue {
  std::string server;            // base URL DetectedIssues are pushed to
  std::string identifier;        // business identifier value, "<patient>/<signal>/<anchor>"
  std::string resource_id;       // server's logical id; empty while pending
  std::string version_id;        // meta.versionId we wrote; empty while pending
  std::string content_hash;      // SHA-256 of what the server confirmed we wrote (fhir::content_hash)
  std::string status;            // "preliminary", "entered-in-error"
  bool pending = false;          // a write is under way: intended, not yet confirmed
  std::string pending_hash;      // what that write carries; the confirmed fields above stay as they were
  std::string updated_at;        // ISO 8601 UTC
};

struct RunRecord {
  std::int64_t id = 0;
  std::string started_at;
  std::string finished_at;       // empty while running (or killed)
  std::string base_url;
  int exit_code = -1;
  std::string summary_json;
};

class StateStore {
 public:
  // Opens (creating if needed) the state file, migrates its schema to the current version, and
  // takes the run lock (`<file>.lock`, flock: released by the OS even on SIGKILL).
  static boost::system::result<std::unique_ptr<StateStore>, StateError> open(const std::filesystem::path& file);
  // Opens an existing state file for reading only, without the run lock, so a report can read it
  // while a sync runs (WAL readers see the last committed state). Never creates or migrates: a
  // missing file, another application's database or a schema other than this one is an error.
  static boost::system::result<std::unique_ptr<StateStore>, StateError> open_read_only(const std::filesystem::path& file);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  static constexpr int schema_version = 2;
  int stored_schema_version() const;

  // Watermarks: the server's time of the last successful incremental pull, per server and key
  // (e.g. "Observation", "MedicationAdministration").
  std::optional<std::string> watermark(const std::string& server, const std::string& key) const;
  void set_watermark(const std::string& server, const std::string& key, const std::string& value);

  std::optional<WrittenIssue> written(const std::string& server, const std::string& identifier) const;
  std::vector<WrittenIssue> all_written(const std::string& server) const;
  // Inserts or replaces the row for (server, identifier).
  void record(const WrittenIssue& issue);

  // Patients touched since the last successful run, kept until a run evaluates them (so a killed
  // run does not forget them).
  void add_dirty_patients(const std::string& server, const std::vector<std::string>& patient_ids);
  std::vector<std::string> dirty_patients(const std::string& server) const;
  void clear_dirty_patients(const std::string& server, const std::vector<std::string>& patient_ids);

  // The resources last pulled for each exposed patient (schema 2): the data every run evaluates,
  // so that time-dependent rules (overdue monitoring) see every patient, not only those that changed.
  struct CachedResource {
    std::string type;
    std::string id;
    std::string json;
  };
  void replace_patient_resources(const std::string& server, const std::string& patient_id,
                                 const std::vector<CachedResource>& resources);
  void remove_patient(const std::string& server, const std::string& patient_id);
  std::vector<std::string> cached_patients(const std::string& server) const;
  // The servers that have cached patient resources, in order.
  std::vector<std::string> cached_servers() const;
  std::vector<CachedResource> patient_resources(const std::string& server, const std::string& patient_id) const;

  std::int64_t begin_run(const std::string& base_url, const std::string& started_at);
  void finish_run(std::int64_t run, const std::string& finished_at, int exit_code, const std::string& summary_json);
  std::vector<RunRecord> runs(std::size_t limit = 20) const;

 private:
  struct Impl;
  explicit StateStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace alemwatch::adapter
