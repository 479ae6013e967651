// Compiled with ALEMWATCH_SIMD_FLAGS, like observation_skim.cpp: simdjson's On-Demand code is
// instantiated here and picks its SIMD implementation from the compiler flags. Keys and strings
// are read as written (skim_reading.hpp).
#include "alemwatch/fhir/administration_skim.hpp"

#include <simdjson.h>

#include "skim_reading.hpp"

namespace alemwatch::fhir {
namespace od = simdjson::ondemand;

struct AdministrationSkimmer::Impl {
  od::parser parser;  // its string buffer holds unescaped strings until the next skim
};

AdministrationSkimmer::AdministrationSkimmer() : impl_(std::make_unique<Impl>()) {}
AdministrationSkimmer::~AdministrationSkimmer() = default;

using namespace skim_reading;


std::optional<AdministrationSkim> AdministrationSkimmer::skim(std::string_view line, std::size_t capacity) {
  if (capacity < line.size() + simdjson::SIMDJSON_PADDING) return std::nullopt;
  AdministrationSkim out;
  od::document doc;
  if (impl_->parser.iterate(line.data(), line.size(), capacity).get(doc)) return std::nullopt;
  od::object top;
  if (doc.get_object().get(top)) return std::nullopt;
  bool has_type = false, has_id = false, has_reference = false;
  for (auto field : top) {
    std::string_view key;
    if (!key_of(field, key)) return std::nullopt;
    bool ok = true;
    if (key == "resourceType") {
      ok = !has_type && read_string(value_of(field), out.resource_type);
      has_type = true;
    } else if (key == "id") {
      ok = !has_id && read_string(value_of(field), out.id);
      has_id = true;
    } else if (key == "medicationReference") {
      ok = !has_reference && read_reference(value_of(field), out.medication_reference);
      has_reference = true;
    } else if (key == "medicationCodeableConcept") {
      ok = !out.has_medication_concept;
      out.has_medication_concept = true;
    }
    if (!ok) return std::nullopt;
  }
  // Nothing may follow the object (current_location fails once the document is used up).
  const char* after = nullptr;
  if (!has_type || doc.current_location().get(after) == simdjson::SUCCESS) return std::nullopt;
  return out;
}

}  // namespace alemwatch::fhir
