// The DetectedIssue resource we write (FHIR R4), as a value, and its JSON form.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "alemwatch/fhir/datatypes.hpp"

namespace alemwatch::fhir {

enum class IssueSeverity { low, moderate, high };  // ordered: worse compares greater
const char* to_string(IssueSeverity s);

enum class IssueStatus { preliminary, final, entered_in_error };
const char* to_string(IssueStatus s);

struct DetectedIssueEvidence {
  Coding code;
  std::vector<std::string> detail;  // references
};

struct DetectedIssueMitigation {
  Coding action;
  std::string date;
};

struct DetectedIssue {
  Coding tag;                     // meta.tag marking resources we made
  std::string identifier_system;
  std::string identifier_value;
  IssueStatus status = IssueStatus::preliminary;
  std::vector<Coding> code;
  std::string code_text;
  IssueSeverity severity = IssueSeverity::low;
  std::string patient;             // reference
  std::string identified;          // dateTime or date
  std::string author_reference;    // Device/<id>, when configured
  std::string author_display;      // otherwise
  std::vector<std::string> implicated;  // references
  std::vector<DetectedIssueEvidence> evidence;
  std::string detail;
  std::vector<DetectedIssueMitigation> mitigation;
};

// The JSON resource, keys in the order of the FHIR specification's examples.
boost::json::object to_json(const DetectedIssue& issue);

}  // namespace alemwatch::fhir
