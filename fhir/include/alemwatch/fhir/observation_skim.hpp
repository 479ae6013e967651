// A quick look at one NDJSON line, without building a JSON tree: its resourceType and, for an
// Observation, its id, subject reference and code codings. Used to decide whether a line is worth
// parsing in full. Built on simdjson On-Demand, which reads at several GB/s.
//
// The skim is only trusted when it is sure: any surprise (not an object, a field of the wrong
// type, a key given twice, a key written with an escape, invalid JSON) gives nothing, and the
// caller parses the line in full, which reports the problem properly.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace alemwatch::fhir {

struct SkimmedCoding {
  std::string_view system;
  std::string_view code;
};

struct ObservationSkim {
  std::string_view resource_type;
  // The rest are filled only for an Observation. All are views into the line or into the skimmer:
  // valid while the line is and until the skimmer's next use.
  std::string_view id;
  std::optional<std::string_view> subject_reference;
  std::span<const SkimmedCoding> codings;
};

class ObservationSkimmer {
 public:
  ObservationSkimmer();
  ~ObservationSkimmer();
  ObservationSkimmer(const ObservationSkimmer&) = delete;
  ObservationSkimmer& operator=(const ObservationSkimmer&) = delete;

  // `capacity` is how many bytes from line.data() may be read: at least line.size() + 64.
  std::optional<ObservationSkim> skim(std::string_view line, std::size_t capacity);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ObservationSkim result_;
};

}  // namespace alemwatch::fhir
