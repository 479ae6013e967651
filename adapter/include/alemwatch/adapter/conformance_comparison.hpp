// Comparing the DetectedIssues a server holds with those a sample expects, field by field, in
// words. Issues are matched by their business identifier (the alemwatch identifier system).
//
// Compared: identifier (the match key, and that it is unique on the server), patient.reference,
// status, severity, code (the set of code.coding system|code pairs), evidence (the set of
// evidence[].detail[].reference) and implicated (the set of implicated[].reference). References
// are compared relative: an absolute URL under one of the given bases is cut back to Type/id.
// Not compared: id, meta, text, code.text, coding display, identifiedDateTime, author, detail,
// mitigation, extensions, evidence codes, order within lists: what a server may assign or
// rephrase, or what the golden tests already check byte for byte.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace alemwatch::adapter {

struct IssueDifference {
  // "missing", "unexpected", "duplicate", "wrong patient", "wrong status", "wrong severity",
  // "wrong code", "wrong evidence", "wrong implicated", "unusable expectation"
  std::string kind;
  std::string identifier;
  std::string expected;  // the expected value, in words; empty for "unexpected"
  std::string server;    // what the server holds, in words; empty for "missing"
  std::string text;      // the whole difference as one line, e.g.
                         // "wrong severity: aw-02/itp/2021-06-21: expected high, server has moderate"
};

struct ComparisonOptions {
  std::string identifier_system;             // e.g. urn:alemwatch:signal
  std::vector<std::string> reference_bases;  // FHIR bases whose absolute references count as relative
};

// The identifier value in `system`, if the issue has one.
std::optional<std::string> issue_identifier(const boost::json::object& issue, const std::string& system);

// The differences between what is expected and what the server holds, ordered by identifier.
std::vector<IssueDifference> compare_issues(const std::vector<boost::json::object>& expected,
                                            const std::vector<boost::json::object>& on_server,
                                            const ComparisonOptions& options);

}  // namespace alemwatch::adapter
