// Writing DetectedIssues to the EHR, as ../docs/sync.md describes: idempotent by business
// identifier, only when the content changed, never over someone else's edit, and safe to kill
// at any instant (the intent is recorded before each write, the outcome after it).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alemwatch/adapter/state_store.hpp"
#include "alemwatch/fhir/detected_issue.hpp"
#include "alemwatch/fhir/fhir_client.hpp"

namespace alemwatch::adapter {

struct PushCounts {
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t withdrawn = 0;    // set to entered-in-error: evidence gone
  std::size_t mitigated = 0;    // overdue issues whose test has since resulted
  std::size_t left_alone = 0;   // changed on the server by someone else: not touched
  std::size_t failed = 0;       // could not be written this run; the next run retries
  std::vector<std::string> notes;  // one line per left-alone or failed issue
};

// What became of an issue we wrote that the evaluation no longer produces.
struct Retirement {
  enum class Kind { withdraw, mitigate, keep };
  Kind kind = Kind::withdraw;
  std::string mitigation_date;  // for mitigate: when the overdue test resulted
  std::string reason;           // for withdraw: why, in the detail; for keep: for the notes
};

class DetectedIssuePush {
 public:
  // `state` may be read-only in a dry run: nothing is then written anywhere.
  DetectedIssuePush(fhir::FhirClient& target, StateStore& state, std::string identifier_system, bool dry_run,
                    std::string today);

  // Writes every produced issue that is new or changed, then retires what we wrote before that
  // is no longer produced, as `retire` decides for each identifier.
  void push(const std::vector<fhir::DetectedIssue>& produced,
            const std::function<Retirement(const WrittenIssue&)>& retire);

  const PushCounts& counts() const { return counts_; }
  // The first failure that shows the server cannot be reached or refuses us, if any.
  const std::optional<fhir::FhirError>& fatal_error() const { return fatal_; }

 private:
  void write(const fhir::DetectedIssue& issue);
  void create(const boost::json::object& resource, const std::string& identifier, const std::string& hash,
              std::optional<WrittenIssue> record);
  void update(const boost::json::object& resource, const WrittenIssue& record, const std::string& hash);
  void retire_one(const WrittenIssue& record, const Retirement& how);
  void confirm(const std::string& identifier, const fhir::FhirResponse& response, const std::string& hash,
               const std::string& status);
  void mark_pending(std::optional<WrittenIssue> record, const std::string& identifier, const std::string& hash);
  void fail(const std::string& identifier, const fhir::FhirError& error);
  void leave_alone(const std::string& identifier, const std::string& why);
  std::string identifier_query(const std::string& identifier) const;

  fhir::FhirClient& target_;
  StateStore& state_;
  std::string identifier_system_;
  bool dry_run_;
  std::string today_;
  bool conditional_update_ = true;  // until the server says it does not support it
  PushCounts counts_;
  std::optional<fhir::FhirError> fatal_;
};

}  // namespace alemwatch::adapter
