// Compiled with ALEMWATCH_SIMD_FLAGS, like the skims: simdjson's On-Demand code is instantiated in
// this translation unit and picks its SIMD implementation from the compiler flags.
//
// Every function below answers false for anything but the plain case, and the line is then read
// the full way (read_observation() over a Boost.JSON tree), which says what is wrong. Each element
// read mirrors read_observation() and the element readers it calls; values not read are checked
// to be valid JSON all the same, because the full way refuses a line that is not.
#include "alemwatch/fhir/observation_line_reader.hpp"

#include <simdjson.h>

#include <array>
#include <string>

#include "skim_reading.hpp"

namespace alemwatch::fhir {
namespace od = simdjson::ondemand;

struct ObservationLineReader::Impl {
  od::parser parser;  // its string buffer holds unescaped strings until the next read
};

ObservationLineReader::ObservationLineReader() : impl_(std::make_unique<Impl>()) {}
ObservationLineReader::~ObservationLineReader() = default;

namespace {

using namespace skim_reading;

// Which of `names` a key is, or -1.
template <std::size_t N>
int member(std::string_view key, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i)
    if (key_is(key, names[i])) return static_cast<int>(i);
  return -1;
}

// A string value, a view into the line unless it holds an escape (then unescaped by simdjson,
// which checks the escapes). Consumed, unlike the skims' read_string(): a value left unconsumed
// is skipped by simdjson without checking what follows it.
bool string_value(od::value& v, std::string_view& out) {
  const std::string_view token = v.raw_json_token();
  if (token.empty() || token.front() != '"') return false;
  const std::size_t size = plain_length(token.data() + 1);
  if (size == escaped) return v.get_string().get(out) == simdjson::SUCCESS;
  od::raw_json_string raw;
  if (v.get_raw_json_string().get(raw)) return false;
  out = std::string_view(token.data() + 1, size);
  return true;
}

// Marks member `i` seen; false when it was already (a key given twice: which one the full
// reader's JSON tree keeps is its own business).
bool first_time(unsigned& seen, int i) {
  const unsigned bit = 1u << i;
  if (seen & bit) return false;
  seen |= bit;
  return true;
}

class LineWalk {
 public:
  explicit LineWalk(std::size_t max_depth) : max_depth_(max_depth) {}

  bool observation(od::object top, Observation& out);

 private:
  // Any JSON value held by a container at `depth`, checked in full as the full reader's parser
  // would: strings' escapes, numbers, literals and nesting.
  bool valid(od::value& v, std::size_t depth) {
    od::json_type type;
    if (v.type().get(type)) return false;
    switch (type) {
      case od::json_type::object: return valid_object(v, depth + 1);
      case od::json_type::array: return valid_array(v, depth + 1);
      case od::json_type::string: {
        std::string_view s;
        return string_value(v, s);
      }
      case od::json_type::number: {
        od::number n;
        return v.get_number().get(n) == simdjson::SUCCESS;
      }
      case od::json_type::boolean: {
        bool b;
        return v.get_bool().get(b) == simdjson::SUCCESS;
      }
      case od::json_type::null: {
        bool is_null = false;
        return v.is_null().get(is_null) == simdjson::SUCCESS && is_null;
      }
    }
    return false;
  }

  bool valid_object(od::value& v, std::size_t depth) {
    od::object o;
    if (depth >= max_depth_ || v.get_object().get(o)) return false;
    for (auto field : o) {
      std::string_view key;
      if (!key_of(field, key) || !valid(value_of(field), depth)) return false;
    }
    return true;
  }

  bool valid_array(od::value& v, std::size_t depth) {
    od::array a;
    if (depth >= max_depth_ || v.get_array().get(a)) return false;
    for (auto element : a) {
      od::value e;
      if (element.get(e) || !valid(e, depth)) return false;
    }
    return true;
  }

  // Depths below are those of the object or array being opened (the line's own object is 1).
  // Walks the members of an object at `depth`: `read(index, value)` for those named in `names`
  // (each at most once), a full check for the rest.
  template <std::size_t N, class Read>
  bool members(od::value& v, std::size_t depth, const std::array<std::string_view, N>& names, Read&& read) {
    od::object o;
    if (depth >= max_depth_ || v.get_object().get(o)) return false;
    unsigned seen = 0;
    for (auto field : o) {
      std::string_view key;
      if (!key_of(field, key)) return false;
      const int i = member(key, names);
      if (i < 0 ? !valid(value_of(field), depth) : !(first_time(seen, i) && read(i, value_of(field)))) return false;
    }
    return true;
  }

  static bool string_into(od::value& v, std::string& out) {
    std::string_view s;
    if (!string_value(v, s)) return false;
    out.assign(s);
    return true;
  }

  // A decimal both readers turn into the same double: at most 15 digits and no exponent, so that
  // Boost.JSON's mantissa-over-power-of-ten is exact and rounds as simdjson does; not a negative
  // zero, which Boost.JSON reads as an integer 0.
  static bool decimal(od::value& v, std::optional<double>& out) {
    std::string_view token = v.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' || token.back() == '\r'))
      token.remove_suffix(1);
    std::size_t digits = 0;
    bool nonzero = false;
    for (const char c : token) {
      if (c >= '0' && c <= '9') {
        ++digits;
        nonzero |= c != '0';
      } else if (c != '-' && c != '.') {
        return false;
      }
    }
    if (digits > 15 || (!token.empty() && token.front() == '-' && !nonzero)) return false;
    double d;
    if (v.get_double().get(d)) return false;
    out = d;
    return true;
  }

  static bool datetime(std::string_view text, std::optional<Instant>& out) {
    out = parse_fhir_datetime(text);
    return out.has_value();
  }

  bool coding(od::value& v, std::size_t depth, Coding& out) {
    static constexpr std::array<std::string_view, 3> names{"system", "code", "display"};
    return members(v, depth, names, [&](int i, od::value& value) {
      return string_into(value, i == 0 ? out.system : i == 1 ? out.code : out.display);
    });
  }

  bool codeable_concept(od::value& v, std::size_t depth, CodeableConcept& out) {
    static constexpr std::array<std::string_view, 2> names{"text", "coding"};
    return members(v, depth, names, [&](int i, od::value& value) {
      if (i == 0) return string_into(value, out.text);
      od::array codings;
      if (depth + 1 >= max_depth_ || value.get_array().get(codings)) return false;
      for (auto element : codings) {
        od::value e;
        if (element.get(e) || !coding(e, depth + 2, out.codings.emplace_back())) return false;
      }
      return true;
    });
  }

  bool codeable_concepts(od::value& v, std::size_t depth, std::vector<CodeableConcept>& out) {
    od::array a;
    if (depth >= max_depth_ || v.get_array().get(a)) return false;
    for (auto element : a) {
      od::value e;
      if (element.get(e) || !codeable_concept(e, depth + 1, out.emplace_back())) return false;
    }
    return true;
  }

  bool quantity(od::value& v, std::size_t depth, std::optional<Quantity>& out) {
    static constexpr std::array<std::string_view, 5> names{"value", "comparator", "unit", "system", "code"};
    auto& q = out.emplace();
    return members(v, depth, names, [&](int i, od::value& value) {
      switch (i) {
        case 0: return decimal(value, q.value);
        case 1: return string_into(value, q.comparator);
        case 2: return string_into(value, q.unit);
        case 3: return string_into(value, q.system);
        default: return string_into(value, q.code);
      }
    });
  }

  bool reference(od::value& v, std::size_t depth, std::optional<Reference>& out) {
    static constexpr std::array<std::string_view, 2> names{"reference", "display"};
    auto& r = out.emplace();
    return members(v, depth, names,
                   [&](int i, od::value& value) { return string_into(value, i == 0 ? r.reference : r.display); });
  }

  bool reference_ranges(od::value& v, std::size_t depth, std::vector<ReferenceRange>& out) {
    static constexpr std::array<std::string_view, 2> names{"low", "high"};
    od::array a;
    if (depth >= max_depth_ || v.get_array().get(a)) return false;
    for (auto element : a) {
      od::value e;
      if (element.get(e)) return false;
      auto& range = out.emplace_back();
      if (!members(e, depth + 1, names,
                   [&](int i, od::value& value) { return quantity(value, depth + 2, i == 0 ? range.low : range.high); }))
        return false;
    }
    return true;
  }

  std::size_t max_depth_;
};

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

bool LineWalk::observation(od::object top, Observation& out) {
  unsigned seen = 0, other_values = 0;
  Times times;
  for (auto field : top) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    auto& value = value_of(field);
    const int i = member(key, element_names);
    if (i < 0) {
      if (const int other = other_value_type_index(key); other >= 0 && !first_time(other_values, other)) return false;
      if (!valid(value, 1)) return false;  // 1: the depth of the object holding it
      continue;
    }
    if (!first_time(seen, i)) return false;
    std::string_view text;
    bool ok = true;
    switch (static_cast<Element>(i)) {
      case Element::resource_type: ok = string_value(value, text) && text == "Observation"; break;
      case Element::id:
        ok = string_value(value, text) && is_valid_id(text);
        out.id.assign(text);
        break;
      case Element::status:
        ok = string_value(value, text) && is_observation_status(text);
        out.status.assign(text);
        break;
      // 2: the depth of an element's own object or array.
      case Element::code: ok = codeable_concept(value, 2, out.code); break;
      case Element::subject: ok = reference(value, 2, out.subject); break;
      case Element::effective_date_time: ok = string_value(value, times.date_time); break;
      case Element::effective_instant: ok = string_value(value, times.instant); break;
      case Element::effective_period: {
        static constexpr std::array<std::string_view, 1> start{"start"};
        ok = members(value, 2, start, [&](int, od::value& s) { return string_value(s, times.period_start.emplace()); });
        break;
      }
      case Element::issued: ok = string_value(value, times.issued); break;
      case Element::value_quantity: ok = quantity(value, 2, out.value_quantity); break;
      case Element::value_codeable_concept: ok = codeable_concept(value, 2, out.value_codeable_concept.emplace()); break;
      case Element::value_string: ok = string_into(value, out.value_string.emplace()); break;
      case Element::data_absent_reason: ok = codeable_concept(value, 2, out.data_absent_reason.emplace()); break;
      case Element::interpretation: ok = codeable_concepts(value, 2, out.interpretation); break;
      case Element::reference_range: ok = reference_ranges(value, 2, out.reference_ranges); break;
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
  if (capacity < line.size() + simdjson::SIMDJSON_PADDING) return std::nullopt;
  od::document doc;
  if (impl_->parser.iterate(line.data(), line.size(), capacity).get(doc)) return std::nullopt;
  od::object top;
  if (doc.get_object().get(top)) return std::nullopt;
  Observation out;
  if (!LineWalk(max_depth).observation(top, out)) return std::nullopt;
  // Nothing may follow the object (current_location fails once the document is used up).
  const char* after = nullptr;
  if (doc.current_location().get(after) == simdjson::SUCCESS) return std::nullopt;
  return out;
}

}  // namespace alemwatch::fhir
