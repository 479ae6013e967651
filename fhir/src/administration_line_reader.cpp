// Compiled with ALEMWATCH_SIMD_FLAGS, like the skims (see line_walk.hpp).
//
// Every function below answers false for anything but the plain case, and the line is then read
// the full way (read_medication_administration() over a Boost.JSON tree), which says what is
// wrong. Each element read mirrors read_medication_administration(); the walk itself, and its
// checks, are line_walk.hpp's.
#include "alemwatch/fhir/administration_line_reader.hpp"

#include <simdjson.h>

#include <array>
#include <string>

#include "line_walk.hpp"

namespace alemwatch::fhir {
namespace od = simdjson::ondemand;

struct AdministrationLineReader::Impl {
  od::parser parser;  // its string buffer holds unescaped strings until the next read
};

AdministrationLineReader::AdministrationLineReader() : impl_(std::make_unique<Impl>()) {}
AdministrationLineReader::~AdministrationLineReader() = default;

namespace {

using namespace line_walk;

// The top-level elements read_medication_administration() reads, in the order of element_names.
// `contained` is among them only to be refused.
enum class Element {
  resource_type, id, status, medication_codeable_concept, medication_reference, subject, effective_date_time,
  effective_period, dosage, contained
};
constexpr unsigned bit(Element e) { return 1u << static_cast<unsigned>(e); }
constexpr std::array<std::string_view, 10> element_names{
    "resourceType", "id", "status", "medicationCodeableConcept", "medicationReference", "subject",
    "effectiveDateTime", "effectivePeriod", "dosage", "contained"};

bool administration(LineWalk& walk, od::object top, MedicationAdministration& out) {
  unsigned seen = 0;
  std::string_view date_time;
  std::optional<std::string_view> period_start;
  const auto read = [&](int i, od::value& value) {
    std::string_view text;
    switch (static_cast<Element>(i)) {
      case Element::resource_type:
        return string_value(value, text) && text == "MedicationAdministration";
      case Element::id:
        return walk.id(value, out.id);
      case Element::status:
        return walk.code(value, out.status, is_administration_status);
      // 2: the depth of an element's own object or array.
      case Element::medication_codeable_concept:
        return walk.codeable_concept(value, 2, out.medication_concept.emplace());
      case Element::medication_reference:
        return walk.reference(value, 2, out.medication_reference);
      case Element::subject:
        return walk.reference(value, 2, out.subject);
      case Element::effective_date_time:
        return string_value(value, date_time);
      case Element::effective_period: {
        static constexpr std::array<std::string_view, 1> start{"start"};
        return walk.members(value, 2, start,
                            [&](int, od::value& s) { return string_value(s, period_start.emplace()); });
      }
      case Element::dosage: {
        static constexpr std::array<std::string_view, 1> dose{"dose"};
        return walk.members(value, 2, dose, [&](int, od::value& q) { return walk.quantity(q, 3, out.dose); });
      }
      case Element::contained:
        return false;
    }
    return false;
  };
  if (!walk.resource_members(top, element_names, seen, read, [](std::string_view) { return true; })) return false;
  // An administration has a type, a status and a medication; without them the full reader says so.
  if (!(seen & bit(Element::resource_type)) || !(seen & bit(Element::status)) ||
      !(seen & (bit(Element::medication_codeable_concept) | bit(Element::medication_reference))))
    return false;
  // effectiveDateTime, else effectivePeriod.start.
  if (seen & bit(Element::effective_date_time)) {
    out.time = parse_fhir_datetime(date_time);
    return out.time.has_value();
  }
  if (period_start) {
    out.time = parse_fhir_datetime(*period_start);
    return out.time.has_value();
  }
  return true;
}

}  // namespace

std::optional<MedicationAdministration> AdministrationLineReader::read(std::string_view line, std::size_t capacity,
                                                                       std::size_t max_depth) {
  MedicationAdministration out;
  LineWalk walk(max_depth);
  if (!walk_line(impl_->parser, line, capacity, [&](od::object top) { return administration(walk, top, out); }))
    return std::nullopt;
  return out;
}

}  // namespace alemwatch::fhir
