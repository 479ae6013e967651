// Reads an Observation straight from its NDJSON line into the resource view, with simdjson
// On-Demand, without building a JSON tree first.
//
// Building a Boost.JSON tree and looking elements up in it costs about three times as much as
// reading them where they stand. This reader is only a shortcut for lines that are plainly
// valid: it gives an Observation only when the whole line is valid JSON, every element it reads
// has the type and form read_observation() expects, no key it reads is given twice and no key is
// written with an escape, so that read_observation() would give the same Observation and report
// nothing. Anything else gives nothing, and the caller reads the line the full way, which
// reports whatever is wrong with it.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "alemwatch/fhir/resources.hpp"

namespace alemwatch::fhir {

class ObservationLineReader {
 public:
  ObservationLineReader();
  ~ObservationLineReader();
  ObservationLineReader(const ObservationLineReader&) = delete;
  ObservationLineReader& operator=(const ObservationLineReader&) = delete;

  // `capacity` is how many bytes from line.data() may be read: at least line.size() + 64.
  // `max_depth` is the nesting the full reader allows; lines that reach it are left to it.
  std::optional<Observation> read(std::string_view line, std::size_t capacity, std::size_t max_depth);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alemwatch::fhir
