// How the skims read a line with simdjson On-Demand: keys and strings as written, not unescaped.
// A key holding a backslash makes the skim give up (so an escaped spelling of a key it looks for
// can never be missed), and a string holding one is unescaped by simdjson, the only case that
// copies. Only for translation units compiled with ALEMWATCH_SIMD_FLAGS (simdjson picks its
// kernel from the flags), and only over input followed by simdjson's padding.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace alemwatch::fhir::skim_reading {
namespace od = simdjson::ondemand;

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

// An object's "reference", given at most once (a Reference).
inline bool read_reference(od::value& v, std::optional<std::string_view>& out) {
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

}  // namespace alemwatch::fhir::skim_reading
