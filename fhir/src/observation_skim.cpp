// Compiled with ALEMWATCH_SIMD_FLAGS: simdjson's On-Demand code is instantiated in this
// translation unit and picks its SIMD implementation from the compiler flags.
//
// Keys and strings are read as written, not unescaped: a key holding a backslash makes the skim
// give nothing (so an escaped spelling of "subject" can never be missed), and a string holding
// one is unescaped by simdjson, the only case that copies.
#include "alemwatch/fhir/observation_skim.hpp"

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace alemwatch::fhir {
namespace od = simdjson::ondemand;

struct ObservationSkimmer::Impl {
  od::parser parser;                  // its string buffer holds unescaped strings until the next skim
  std::vector<SkimmedCoding> codings;  // reused: its capacity outlives each skim
};

ObservationSkimmer::ObservationSkimmer() : impl_(std::make_unique<Impl>()) {}
ObservationSkimmer::~ObservationSkimmer() = default;

namespace {

constexpr std::size_t escaped = static_cast<std::size_t>(-1);

// The length of the JSON string text at p (just after its opening quote) up to its closing
// quote, or `escaped` when a backslash comes first. simdjson has checked that the string is
// closed, and the input is padded, so reading whole 32-byte chunks past the quote is safe.
inline std::size_t plain_length(const char* p) {
#if defined(__AVX2__)
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i backslash = _mm256_set1_epi8('\\');
  for (std::size_t offset = 0;; offset += 32) {
    const __m256i chunk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + offset));
    const auto quotes = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(chunk, quote)));
    const auto backslashes = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(chunk, backslash)));
    if (quotes != 0) {
      const std::uint32_t before_quote = (quotes & (0u - quotes)) - 1;
      return (backslashes & before_quote) ? escaped : offset + static_cast<std::size_t>(__builtin_ctz(quotes));
    }
    if (backslashes != 0) return escaped;
  }
#else
  for (std::size_t i = 0;; ++i) {
    if (p[i] == '"') return i;
    if (p[i] == '\\') return escaped;
  }
#endif
}

// The key of a field as written; false when it holds a backslash.
inline bool key_of(simdjson::simdjson_result<od::field>& field, std::string_view& key) {
  if (field.error()) return false;
  const char* raw = field.value_unsafe().key().raw();
  const std::size_t size = plain_length(raw);
  if (size == escaped) return false;
  key = std::string_view(raw, size);
  return true;
}

inline bool key_is(std::string_view key, std::string_view name) {
  return key.size() == name.size() && std::memcmp(key.data(), name.data(), name.size()) == 0;
}

inline od::value& value_of(simdjson::simdjson_result<od::field>& field) { return field.value_unsafe().value(); }

// Reads a string value, a view into the line unless it holds an escape; false when it is
// anything else.
inline bool read_string(od::value& v, std::string_view& out) {
  const std::string_view token = v.raw_json_token();
  if (token.empty() || token.front() != '"') return false;
  const std::size_t size = plain_length(token.data() + 1);
  if (size != escaped) {
    out = std::string_view(token.data() + 1, size);
    return true;
  }
  return v.get_string().get(out) == simdjson::SUCCESS;
}

bool read_reference(od::value& v, std::optional<std::string_view>& out) {
  od::object o;
  if (v.get_object().get(o)) return false;
  for (auto field : o) {
    std::string_view key;
    if (!key_of(field, key)) return false;
    if (!key_is(key, "reference")) continue;
    if (out) return false;  // given twice
    std::string_view s;
    if (!read_string(value_of(field), s)) return false;
    out = s;
  }
  return true;
}

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
