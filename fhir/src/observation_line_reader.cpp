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
  resource_type,
  id,
  status,
  code,
  subject,
  effective_date_time,
  effective_instant,
  effective_period,
  issued,
  value_quantity,
  value_codeable_concept,
  value_string,
  data_absent_reason,
  interpretation,
  reference_range
};
constexpr unsigned bit(Element e) { return 1u << static_cast<unsigned>(e); }
constexpr std::array<std::string_view, 15> element_names{"resourceType",
                                                         "id",
                                                         "status",
                                                         "code",
                                                         "subject",
                                                         "effectiveDateTime",
                                                         "effectiveInstant",
                                                         "effectivePeriod",
                                                         "issued",
                                                         "valueQuantity",
                                                         "valueCodeableConcept",
                                                         "valueString",
                                                         "dataAbsentReason",
                                                         "interpretation",
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
  for (auto field : top) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    auto& value = value_of(field);
    const int i = member(key, element_names);
    if (i < 0) {
      if (const int other = other_value_type_index(key); other >= 0 && !first_time(other_values, other)) return false;
      if (!walk.valid(value, 1)) return false;  // 1: the depth of the object holding it
      continue;
    }
    if (!first_time(seen, i)) return false;
    std::string_view text;
    bool ok = true;
    switch (static_cast<Element>(i)) {
      case Element::resource_type:
        ok = string_value(value, text) && text == "Observation";
        break;
      case Element::id:
        ok = string_value(value, text) && is_valid_id(text);
        out.id.assign(text);
        break;
      case Element::status:
        ok = string_value(value, text) && is_observation_status(text);
        out.status.assign(text);
        break;
      // 2: the depth of an element's own object or array.
      case Element::code:
        ok = walk.codeable_concept(value, 2, out.code);
        break;
      case Element::subject:
        ok = walk.reference(value, 2, out.subject);
        break;
      case Element::effective_date_time:
        ok = string_value(value, times.date_time);
        break;
      case Element::effective_instant:
        ok = string_value(value, times.instant);
        break;
      case Element::effective_period: {
        static constexpr std::array<std::string_view, 1> start{"start"};
        ok = walk.members(value, 2, start,
                          [&](int, od::value& s) { return string_value(s, times.period_start.emplace()); });
        break;
      }
      case Element::issued:
        ok = string_value(value, times.issued);
        break;
      case Element::value_quantity:
        ok = walk.quantity(value, 2, out.value_quantity);
        break;
      case Element::value_codeable_concept:
        ok = walk.codeable_concept(value, 2, out.value_codeable_concept.emplace());
        break;
      case Element::value_string:
        ok = walk.string_into(value, out.value_string.emplace());
        break;
      case Element::data_absent_reason:
        ok = walk.codeable_concept(value, 2, out.data_absent_reason.emplace());
        break;
      case Element::interpretation:
        ok = walk.codeable_concepts(value, 2, out.interpretation);
        break;
      case Element::reference_range:
        ok = reference_ranges(walk, value, 2, out.reference_ranges);
        break;
    }
    if (!ok) return false;
  }
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
