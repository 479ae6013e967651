// Signal -> DetectedIssue, as ../docs/detectedissue.md describes it.
#pragma once

#include <string>

#include "alemwatch/adapter/signal.hpp"
#include "alemwatch/fhir/detected_issue.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

struct IssueWriterOptions {
  std::string author_device;  // "Device/<id>" when configured
  std::string author_display = "alemwatch " ALEMWATCH_VERSION;
  // Prefix making references absolute ("https://ehr.example/fhir/"), when DetectedIssues go to
  // another server than the one the data came from; empty for relative references.
  std::string reference_base;
};

fhir::DetectedIssue write_issue(const Signal& s, const mappings::Mappings& m, const IssueWriterOptions& options);

}  // namespace alemwatch::adapter
