// Compiled with ALEMWATCH_SIMD_FLAGS: simdjson's On-Demand code is instantiated in this
// translation unit and picks its SIMD implementation from the compiler flags.
#include "alemwatch/fhir/observation_skim.hpp"

#include <simdjson.h>

namespace alemwatch::fhir {
namespace od = simdjson::ondemand;

struct ObservationSkimmer::Impl {
  od::parser parser;  // its string buffer holds the skim's views until the next skim
};

ObservationSkimmer::ObservationSkimmer() : impl_(std::make_unique<Impl>()) {}
ObservationSkimmer::~ObservationSkimmer() = default;

namespace {

// Reads a string value; false when it is anything else.
bool read_string(simdjson::simdjson_result<od::value> v, std::string_view& out) {
  return v.get_string().get(out) == simdjson::SUCCESS;
}

bool key_of(simdjson::simdjson_result<od::field>& field, std::string_view& key) {
  return field.unescaped_key().get(key) == simdjson::SUCCESS;
}

bool read_reference(simdjson::simdjson_result<od::value> v, std::optional<std::string_view>& out) {
  od::object o;
  if (v.get_object().get(o)) return false;
  for (auto field : o) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    if (key != "reference") continue;
    if (out) return false;  // given twice
    std::string_view s;
    if (!read_string(field.value(), s)) return false;
    out = s;
  }
  return true;
}

bool read_coding(simdjson::simdjson_result<od::value> v, std::vector<SkimmedCoding>& out) {
  od::object o;
  if (v.get_object().get(o)) return false;
  SkimmedCoding c;
  bool has_system = false, has_code = false;
  for (auto field : o) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    if (key == "system") {
      if (has_system || !read_string(field.value(), c.system)) return false;
      has_system = true;
    } else if (key == "code") {
      if (has_code || !read_string(field.value(), c.code)) return false;
      has_code = true;
    }
  }
  out.push_back(c);
  return true;
}

bool read_code(simdjson::simdjson_result<od::value> v, std::vector<SkimmedCoding>& out) {
  od::object o;
  if (v.get_object().get(o)) return false;
  bool seen = false;
  for (auto field : o) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    if (key != "coding") continue;
    if (seen) return false;
    seen = true;
    od::array codings;
    if (field.value().get_array().get(codings)) return false;
    for (auto element : codings)
      if (!read_coding(element, out)) return false;
  }
  return true;
}

}  // namespace

std::optional<ObservationSkim> ObservationSkimmer::skim(std::string_view line, std::size_t capacity) {
  if (capacity < line.size() + simdjson::SIMDJSON_PADDING) return std::nullopt;
  result_ = ObservationSkim{};
  od::document doc;
  if (impl_->parser.iterate(line.data(), line.size(), capacity).get(doc)) return std::nullopt;
  od::object top;
  if (doc.get_object().get(top)) return std::nullopt;
  bool has_type = false, has_id = false, has_subject = false, has_code = false;
  for (auto field : top) {
    std::string_view key;
    if (!key_of(field, key)) return std::nullopt;
    bool ok = true;
    if (key == "resourceType") {
      ok = !has_type && read_string(field.value(), result_.resource_type);
      has_type = true;
    } else if (key == "id") {
      ok = !has_id && read_string(field.value(), result_.id);
      has_id = true;
    } else if (key == "subject") {
      ok = !has_subject && read_reference(field.value(), result_.subject_reference);
      has_subject = true;
    } else if (key == "code") {
      ok = !has_code && read_code(field.value(), result_.codings);
      has_code = true;
    }
    if (!ok) return std::nullopt;
  }
  // Nothing may follow the object (current_location fails once the document is used up).
  const char* after = nullptr;
  if (!has_type || doc.current_location().get(after) == simdjson::SUCCESS) return std::nullopt;
  return result_;
}

}  // namespace alemwatch::fhir
