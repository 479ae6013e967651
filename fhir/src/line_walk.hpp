// How the simdjson line readers walk one NDJSON line into a resource view: every value checked
// as Boost.JSON's parser would check it, every element read as the element readers read it, and
// false for anything but the plain case (the line is then read the full way, which says what is
// wrong). Only for translation units compiled with ALEMWATCH_SIMD_FLAGS (simdjson picks its kernel
// from the flags), and only over input followed by simdjson's padding.
#pragma once

#include <simdjson.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/datatypes.hpp"
#include "skim_reading.hpp"

namespace alemwatch::fhir::line_walk {
namespace od = simdjson::ondemand;
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
inline bool string_value(od::value& v, std::string_view& out) {
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
inline bool first_time(unsigned& seen, int i) {
  const unsigned bit = 1u << i;
  if (seen & bit) return false;
  seen |= bit;
  return true;
}

class LineWalk {
 public:
  explicit LineWalk(std::size_t max_depth) : max_depth_(max_depth) {}

  std::size_t max_depth() const { return max_depth_; }

  // Any JSON value held by a container at `depth`, checked in full as the full reader's parser
  // would: strings' escapes, numbers, literals and nesting.
  bool valid(od::value& v, std::size_t depth) {
    od::json_type type;
    if (v.type().get(type)) return false;
    switch (type) {
      case od::json_type::object:
        return valid_object(v, depth + 1);
      case od::json_type::array:
        return valid_array(v, depth + 1);
      case od::json_type::string: {
        std::string_view s;
        return string_value(v, s);
      }
      case od::json_type::number: return valid_number(v);
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

  // Depths below are those of the object or array being opened (the line's own object is 1).
  // Walks the members of an object at `depth`: `read(index, value)` for those named in `names`
  // (each at most once), a full check for the rest.
  template <std::size_t N, class Read>
  bool members(od::value& v, std::size_t depth, const std::array<std::string_view, N>& names, Read&& read) {
    od::object o;
    if (depth >= max_depth_ || v.get_object().get(o)) return false;
    unsigned seen = 0;
    return members_of(o, depth, names, seen, read, [](std::string_view) { return true; });
  }

  // The same for the line's own object, with `seen` saying which of `names` came, and
  // `other(key)` asked first about each key not in `names` (false: give up).
  template <std::size_t N, class Read, class Other>
  bool resource_members(od::object top, const std::array<std::string_view, N>& names, unsigned& seen, Read&& read,
                        Other&& other) {
    return members_of(top, 1, names, seen, read, other);
  }

  // A resource's id: a valid FHIR id (the full reader warns of any other).
  static bool id(od::value& v, std::string& out) {
    std::string_view s;
    if (!string_value(v, s) || !is_valid_id(s)) return false;
    out.assign(s);
    return true;
  }

  // A code from a required value set, `allowed(code)` saying which (the full reader refuses others).
  template <class Allowed>
  static bool code(od::value& v, std::string& out, Allowed&& allowed) {
    std::string_view s;
    if (!string_value(v, s) || !allowed(s)) return false;
    out.assign(s);
    return true;
  }

  static bool string_into(od::value& v, std::string& out) {
    std::string_view s;
    if (!string_value(v, s)) return false;
    out.assign(s);
    return true;
  }

  // A number both parsers accept. simdjson takes an exponent of any length (a huge one gives 0 or
  // infinity), Boost.JSON 1.81 refuses one past INT_MAX: an exponent of more than 4 digits, which
  // no FHIR value needs, is left to the full reader.
  static bool valid_number(od::value& v) {
    const std::string_view token = v.raw_json_token();
    if (const auto e = token.find_first_of("eE"); e != std::string_view::npos) {
      std::size_t digits = 0;
      for (std::size_t i = e + 1; i < token.size(); ++i) digits += token[i] >= '0' && token[i] <= '9';
      if (digits > 4) return false;
    }
    od::number n;
    return v.get_number().get(n) == simdjson::SUCCESS;
  }

  // A decimal both readers turn into the same double: at most 15 digits and no exponent, so that
  // Boost.JSON's mantissa-over-power-of-ten is exact and rounds as simdjson does; not a negative
  // zero (Boost.JSON reads -0 as the integer 0, a positive zero).
  static bool decimal(od::value& v, std::optional<double>& out) {
    std::string_view token = v.raw_json_token();
    while (!token.empty() &&
           (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' || token.back() == '\r'))
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
        case 0:
          return decimal(value, q.value);
        case 1:
          return string_into(value, q.comparator);
        case 2:
          return string_into(value, q.unit);
        case 3:
          return string_into(value, q.system);
        default:
          return string_into(value, q.code);
      }
    });
  }

  bool reference(od::value& v, std::size_t depth, std::optional<Reference>& out) {
    static constexpr std::array<std::string_view, 2> names{"reference", "display"};
    auto& r = out.emplace();
    return members(v, depth, names,
                   [&](int i, od::value& value) { return string_into(value, i == 0 ? r.reference : r.display); });
  }

 private:
  template <std::size_t N, class Read, class Other>
  bool members_of(od::object o, std::size_t depth, const std::array<std::string_view, N>& names, unsigned& seen,
                  Read&& read, Other&& other) {
    for (auto field : o) {
      std::string_view key;
      if (!key_of(field, key)) return false;
      const int i = member(key, names);
      if (i < 0 ? !(other(key) && valid(value_of(field), depth)) : !(first_time(seen, i) && read(i, value_of(field))))
        return false;
    }
    return true;
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

  std::size_t max_depth_;
};

// Walks a line holding one JSON object with `walk(od::object)`; false unless the walk succeeds
// and nothing follows the object.
template <class Walk>
bool walk_line(od::parser& parser, std::string_view line, std::size_t capacity, Walk&& walk) {
  if (capacity < line.size() + simdjson::SIMDJSON_PADDING) return false;
  od::document doc;
  if (parser.iterate(line.data(), line.size(), capacity).get(doc)) return false;
  od::object top;
  if (doc.get_object().get(top) || !walk(top)) return false;
  // current_location fails once the document is used up.
  const char* after = nullptr;
  return doc.current_location().get(after) != simdjson::SUCCESS;
}

}  // namespace alemwatch::fhir::line_walk
