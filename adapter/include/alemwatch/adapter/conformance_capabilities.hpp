// What a server's CapabilityStatement (GET [base]/metadata) says about writing DetectedIssues:
// the conformance kit reports it beside what actually happened, so that a vendor sees both.
#pragma once

#include <optional>
#include <string>

#include "alemwatch/fhir/fhir_client.hpp"

namespace alemwatch::adapter {

struct DetectedIssueCapabilities {
  bool read = false;                       // a CapabilityStatement was read
  std::string error;                       // why not, when not
  bool listed = false;                     // DetectedIssue is among rest[].resource
  bool create = false;                     // interaction "create"
  bool update = false;                     // interaction "update"
  std::optional<bool> conditional_update;  // conditionalUpdate, when stated
};

DetectedIssueCapabilities read_detected_issue_capabilities(fhir::FhirClient& server);

}  // namespace alemwatch::adapter
