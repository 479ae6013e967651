// Problems found in the data we read: not failures of the program, but facts to report.
//
// A reader never throws or stops on bad data. It hands each problem to a ProblemSink with where
// it was found (file, NDJSON line or Bundle entry), which resource, the element path
// (FHIRPath-like, "Observation.valueQuantity.unit") and a reason a person can act on.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace alemwatch::fhir {

enum class ProblemSeverity {
  fatal,    // the file or line could not be read at all
  error,    // the resource was rejected
  warning,  // the resource was used, but something in it was ignored or defaulted
};

const char* to_string(ProblemSeverity s);

// Where a resource sits in the input.
struct SourcePosition {
  std::string file;
  std::optional<std::size_t> line;          // NDJSON line, 1-based
  std::optional<std::size_t> entry;         // Bundle.entry index, 0-based
  std::optional<std::size_t> nested_entry;  // entry of a Bundle inside a Bundle entry

  // "samples/a.ndjson:12", "bundle.json entry[3]".
  std::string describe() const;
};

struct DataProblem {
  ProblemSeverity severity = ProblemSeverity::error;
  SourcePosition where;
  std::string resource_type;  // empty when unknown
  std::string resource_id;    // empty when unknown
  std::string path;           // element path, empty for whole-file problems
  std::string reason;

  // One line: "<where>: <Type>/<id> <path>: <reason>".
  std::string describe() const;
};

class ProblemSink {
 public:
  virtual ~ProblemSink() = default;
  virtual void report(DataProblem problem) = 0;
};

}  // namespace alemwatch::fhir
