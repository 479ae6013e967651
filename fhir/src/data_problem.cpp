#include "alemwatch/fhir/data_problem.hpp"

namespace alemwatch::fhir {

const char* to_string(ProblemSeverity s) {
  switch (s) {
    case ProblemSeverity::fatal: return "fatal";
    case ProblemSeverity::error: return "error";
    case ProblemSeverity::warning: return "warning";
  }
  return "error";
}

std::string SourcePosition::describe() const {
  std::string out = file;
  if (line) out += ":" + std::to_string(*line);
  if (entry) out += " entry[" + std::to_string(*entry) + "]";
  if (nested_entry) out += ".entry[" + std::to_string(*nested_entry) + "]";
  return out;
}

std::string DataProblem::describe() const {
  std::string out = where.describe() + ": ";
  if (!resource_type.empty()) {
    out += resource_type;
    out += resource_id.empty() ? std::string(" (no id)") : "/" + resource_id;
    out += " ";
  }
  if (!path.empty()) out += path + ": ";
  out += reason;
  return out;
}

}  // namespace alemwatch::fhir
