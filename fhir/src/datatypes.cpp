#include "alemwatch/fhir/datatypes.hpp"

#include <algorithm>
#include <array>

namespace alemwatch::fhir {

bool CodeableConcept::has_code(std::string_view system, std::string_view code) const {
  return std::any_of(codings.begin(), codings.end(),
                     [&](const Coding& c) { return c.system == system && c.code == code; });
}

std::string CodeableConcept::readable() const {
  if (!text.empty()) return text;
  for (const auto& c : codings)
    if (!c.display.empty()) return c.display;
  for (const auto& c : codings)
    if (!c.code.empty()) return c.code;
  return {};
}

namespace {
// ASCII character classes, as <cctype> gives them in the "C" locale the adapter runs in, but
// without a library call per character: ids are checked for every resource read.
constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_alpha(char c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
constexpr bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

bool is_resource_type_name(std::string_view s) {
  return !s.empty() && is_upper(s.front()) && std::all_of(s.begin(), s.end(), is_alpha);
}

// The characters of a FHIR id ([A-Za-z0-9\-\.]), as a table: the population reader checks the
// patient id of every Observation line it skims.
constexpr auto id_characters = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = is_alnum(static_cast<char>(c)) || c == '-' || c == '.';
  return table;
}();
}  // namespace

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return id_characters[static_cast<unsigned char>(c)]; });
}

ReferenceTarget parse_reference(std::string_view ref) {
  ReferenceTarget t;
  if (ref.empty()) return t;
  if (ref.front() == '#') {
    if (ref.size() == 1) return t;
    t.kind = ReferenceTarget::Kind::contained;
    t.id = std::string(ref.substr(1));
    return t;
  }
  if (ref.starts_with("urn:uuid:") || ref.starts_with("urn:oid:")) {
    t.kind = ReferenceTarget::Kind::urn;
    t.id = std::string(ref);
    return t;
  }
  const bool absolute = ref.find("://") != std::string_view::npos;
  // Drop a version suffix: .../Type/id/_history/vid
  if (auto h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const auto slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return t;
  const auto before = ref.substr(0, slash);
  const auto type_start = before.rfind('/');
  const auto type = type_start == std::string_view::npos ? before : before.substr(type_start + 1);
  const auto id = ref.substr(slash + 1);
  if (!is_resource_type_name(type) || !is_valid_id(id)) return t;
  if (!absolute && type_start != std::string_view::npos) return t;
  t.kind = absolute ? ReferenceTarget::Kind::absolute : ReferenceTarget::Kind::relative;
  t.type = std::string(type);
  t.id = std::string(id);
  return t;
}

}  // namespace alemwatch::fhir
