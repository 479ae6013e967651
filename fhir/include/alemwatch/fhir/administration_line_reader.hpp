// Reads a MedicationAdministration straight from its NDJSON line into the resource view, with
// simdjson On-Demand, without building a JSON tree first: the administration counterpart of
// observation_line_reader.hpp, with the same promise. It gives a MedicationAdministration only
// when read_medication_administration() would give the same one and report nothing: the whole
// line is valid JSON, every element read has the expected type and form, no key read is given
// twice, no key is written with an escape, and there are no contained resources (rare, and left
// to the full way). Anything else gives nothing, and the caller reads the line the full way.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "alemwatch/fhir/resources.hpp"

namespace alemwatch::fhir {

class AdministrationLineReader {
 public:
  AdministrationLineReader();
  ~AdministrationLineReader();
  AdministrationLineReader(const AdministrationLineReader&) = delete;
  AdministrationLineReader& operator=(const AdministrationLineReader&) = delete;

  // `capacity` is how many bytes from line.data() may be read: at least line.size() + 64.
  // `max_depth` is the nesting the full reader allows; lines that reach it are left to it.
  std::optional<MedicationAdministration> read(std::string_view line, std::size_t capacity, std::size_t max_depth);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alemwatch::fhir
