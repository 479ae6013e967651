// Compiled with ALEMWATCH_SIMD_FLAGS: simdjson's On-Demand code is instantiated in this
// translation unit and picks its SIMD implementation from the compiler flags.
// Keys and strings are read as written (skim_reading.hpp).
#include "alemwatch/fhir/observation_skim.hpp"

#include <simdjson.h>

#include <vector>

#include "skim_reading.hpp"

namespace alemwatch::fhir {
namespace od = simdjson::ondemand;

struct ObservationSkimmer::Impl {
  od::parser parser;                  // its string buffer holds unescaped strings until the next skim
  std::vector<SkimmedCoding> codings;  // reused: its capacity outlives each skim
};

ObservationSkimmer::ObservationSkimmer() : impl_(std::make_unique<Impl>()) {}
ObservationSkimmer::~ObservationSkimmer() = default;

namespace {

using namespace skim_reading;

bool read_coding(simdjson::simdjson_result<od::value> element, std::vector<SkimmedCoding>& out) {
  od::object o;
  if (element.get_object().get(o)) return false;
  SkimmedCoding c;
  bool has_system = false, has_code = false;
  for (auto field : o) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    if (key_is(key, "system")) {
      if (has_system || !read_string(value_of(field), c.system)) return false;
      has_system = true;
    } else if (key_is(key, "code")) {
      if (has_code || !read_string(value_of(field), c.code)) return false;
      has_code = true;
    }
  }
  out.push_back(c);
  return true;
}

bool read_code(od::value& v, std::vector<SkimmedCoding>& out) {
  od::object o;
  if (v.get_object().get(o)) return false;
  bool seen = false;
  for (auto field : o) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    if (!key_is(key, "coding")) continue;
    if (seen) return false;
    seen = true;
    od::array codings;
    if (value_of(field).get_array().get(codings)) return false;
    for (auto element : codings)
      if (!read_coding(element, out)) return false;
  }
  return true;
}

}  // namespace

std::optional<ObservationSkim> ObservationSkimmer::skim(std::string_view line, std::size_t capacity) {
  if (capacity < line.size() + simdjson::SIMDJSON_PADDING) return std::nullopt;
  result_ = ObservationSkim{};
  auto& codings = impl_->codings;
  codings.clear();
  od::document doc;
  if (impl_->parser.iterate(line.data(), line.size(), capacity).get(doc)) return std::nullopt;
  od::object top;
  if (doc.get_object().get(top)) return std::nullopt;
  bool has_type = false, has_id = false, has_subject = false, has_code = false;
  for (auto field : top) {
    std::string_view key;
    if (!key_of(field, key)) return std::nullopt;
    bool ok = true;
    switch (key.size()) {
      case 2:
        if (key_is(key, "id")) {
          ok = !has_id && read_string(value_of(field), result_.id);
          has_id = true;
        }
        break;
      case 4:
        if (key_is(key, "code")) {
          ok = !has_code && read_code(value_of(field), codings);
          has_code = true;
        }
        break;
      case 7:
        if (key_is(key, "subject")) {
          ok = !has_subject && read_reference(value_of(field), result_.subject_reference);
          has_subject = true;
        }
        break;
      case 12:
        if (key_is(key, "resourceType")) {
          ok = !has_type && read_string(value_of(field), result_.resource_type);
          has_type = true;
        }
        break;
      default:
        break;
    }
    if (!ok) return std::nullopt;
  }
  // Nothing may follow the object (current_location fails once the document is used up).
  const char* after = nullptr;
  if (!has_type || doc.current_location().get(after) == simdjson::SUCCESS) return std::nullopt;
  result_.codings = codings;
  return result_;
}

}  // namespace alemwatch::fhir
