// Compiled with ALEMWATCH_SIMD_FLAGS, like the skims: simdjson's On-Demand code is instantiated in
// this translation unit and picks its SIMD implementation from the compiler flags.
//
// Every function below answers false for anything but the plain case, and the line is then read
// the full way (read_observation() over a Boost.JSON tree), which says what is wrong. Each element
// read mirrors read_observation(); the walk itself, and its checks, are line_walk.hpp's.
#include "alemwatch/fhir/observation_line_reader.hpp"

#include <simdjson.h>

#include <array>
#include <string>

#include "line_walk.hpp"

namespace alemwatch::fhir {
namespace od = simdjson::ondemand;

struct ObservationLineReader::Impl {
  od::parser parser;  // its string buffer holds unescaped strings until the next read
};

ObservationLineReader::ObservationLineReader() : impl_(std::make_unique<Impl>()) {}
ObservationLineReader::~ObservationLineReader() = default;

namespace {

using namespace line_walk;

bool reference_ranges(LineWalk& walk, od::value& v, std::size_t depth, std::vector<ReferenceRange>& out) {
  static constexpr std::array<std::string_view, 2> names{"low", "high"};
  od::array a;
  if (depth >= walk.max_depth() || v.get_array().get(a)) return false;
  for (auto element : a) {
    od::value e;
    if (element.get(e)) return false;
    auto& range = out.emplace_back();
    if (!walk.members(e, depth + 1, names, [&](int i, od::value& value) {
          return walk.quantity(value, depth + 2, i == 0 ? range.low : range.high);
        }))
      return false;
  }
  return true;
}

// The top-level elements read_observation() reads (other value[x] types aside), in the order of
// element_names.
enum class Element {
  resource_type, id, status, code, subject, effective_date_time, effective_instant, effective_period, issued,
  value_quantity, value_codeable_concept, value_string, data_absent_reason, interpretation, reference_range
};
constexpr unsigned bit(Element e) { return 1u << static_cast<unsigned>(e); }
constexpr std::array<std::string_view, 15> element_names{
    "resourceType", "id", "status", "code", "subject", "effectiveDateTime", "effectiveInstant", "effectivePeriod",
    "issued", "valueQuantity", "valueCodeableConcept", "valueString", "dataAbsentReason", "interpretation",
    "referenceRange"};

// The strings that decide the time, kept until every element has been seen: which one counts
// depends on which others are there.
struct Times {
  std::string_view date_time, instant, issued;
  std::optional<std::string_view> period_start;
};

// The time read_observation() takes: the first of effectiveDateTime, effectiveInstant,
// effectivePeriod.start and issued that is there. False when that one is not a valid date/time.
bool settle_time(const Times& t, unsigned seen, Observation& out) {
  const auto take = [&](std::string_view text, ObservationTimeSource source) {
    out.time_source = source;
    out.time = parse_fhir_datetime(text);
    return out.time.has_value();
  };
  if (seen & bit(Element::effective_date_time)) return take(t.date_time, ObservationTimeSource::effective_date_time);
  if (seen & bit(Element::effective_instant)) return take(t.instant, ObservationTimeSource::effective_instant);
  if (t.period_start) return take(*t.period_start, ObservationTimeSource::effective_period_start);
  if (seen & bit(Element::issued)) return take(t.issued, ObservationTimeSource::issued);
  return true;
}

bool observation(LineWalk& walk, od::object top, Observation& out) {
  unsigned seen = 0, other_values = 0;
  Times times;
  // Another value[x] type is only named; given twice, it is left to the full reader too.
  const auto other = [&](std::string_view key) {
    const int i = other_value_type_index(key);
    return i < 0 || first_time(other_values, i);
  };
  const auto read = [&](int i, od::value& value) {
    std::string_view text;
    switch (static_cast<Element>(i)) {
      case Element::resource_type:
        return string_value(value, text) && text == "Observation";
      case Element::id:
        return walk.id(value, out.id);
      case Element::status:
        return walk.code(value, out.status, is_observation_status);
      // 2: the depth of an element's own object or array.
      case Element::code:
        return walk.codeable_concept(value, 2, out.code);
      case Element::subject:
        return walk.reference(value, 2, out.subject);
      case Element::effective_date_time:
        return string_value(value, times.date_time);
      case Element::effective_instant:
        return string_value(value, times.instant);
      case Element::effective_period: {
        static constexpr std::array<std::string_view, 1> start{"start"};
        return walk.members(value, 2, start,
                            [&](int, od::value& s) { return string_value(s, times.period_start.emplace()); });
      }
      case Element::issued:
        return string_value(value, times.issued);
      case Element::value_quantity:
        return walk.quantity(value, 2, out.value_quantity);
      case Element::value_codeable_concept:
        return walk.codeable_concept(value, 2, out.value_codeable_concept.emplace());
      case Element::value_string:
        return walk.string_into(value, out.value_string.emplace());
      case Element::data_absent_reason:
        return walk.codeable_concept(value, 2, out.data_absent_reason.emplace());
      case Element::interpretation:
        return walk.codeable_concepts(value, 2, out.interpretation);
      case Element::reference_range:
        return reference_ranges(walk, value, 2, out.reference_ranges);
    }
    return false;
  };
  if (!walk.resource_members(top, element_names, seen, read, other)) return false;
  // An Observation has a type, a status and a code; without them the full reader says so.
  constexpr unsigned required = bit(Element::resource_type) | bit(Element::status) | bit(Element::code);
  if ((seen & required) != required) return false;
  out.other_value_type = other_value_type_given(other_values);
  return settle_time(times, seen, out);
}

}  // namespace

std::optional<Observation> ObservationLineReader::read(std::string_view line, std::size_t capacity,
                                                       std::size_t max_depth) {
  Observation out;
  LineWalk walk(max_depth);
  if (!walk_line(impl_->parser, line, capacity, [&](od::object top) { return observation(walk, top, out); }))
    return std::nullopt;
  return out;
}

}  // namespace alemwatch::fhir
