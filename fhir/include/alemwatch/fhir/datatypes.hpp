// The FHIR R4 general-purpose data types the adapter reads: Coding, CodeableConcept, Quantity,
// Reference, Period. Plain values: reading them from JSON lives in element_reader.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/instant.hpp"

namespace alemwatch::fhir {

inline constexpr std::string_view loinc_system = "http://loinc.org";
inline constexpr std::string_view ucum_system = "http://unitsofmeasure.org";

struct Coding {
  std::string system;
  std::string code;
  std::string display;

  bool operator==(const Coding&) const = default;
};

struct CodeableConcept {
  std::vector<Coding> codings;
  std::string text;

  bool has_code(std::string_view system, std::string_view code) const;
  // The text a person would read: text, else the first display, else the first code.
  std::string readable() const;
  bool operator==(const CodeableConcept&) const = default;
};

struct Quantity {
  std::optional<double> value;
  std::string comparator;  // "<", "<=", ">=", ">" or empty
  std::string unit;        // human-readable unit
  std::string system;
  std::string code;        // coded unit (UCUM when system is UCUM)

  bool operator==(const Quantity&) const = default;
};

struct Reference {
  std::string reference;
  std::string display;

  bool operator==(const Reference&) const = default;
};

// A reference string taken apart. "Patient/123", "https://ehr/fhir/Patient/123/_history/2",
// "#med1" (contained) or "urn:uuid:..." (inside a Bundle).
struct ReferenceTarget {
  enum class Kind { relative, absolute, contained, urn, unparseable };
  Kind kind = Kind::unparseable;
  std::string type;  // resource type, when the form names one
  std::string id;    // logical id, contained id, or the whole urn
};

ReferenceTarget parse_reference(std::string_view reference);

// True for a FHIR id: [A-Za-z0-9\-\.]{1,64}.
bool is_valid_id(std::string_view id);

}  // namespace alemwatch::fhir
