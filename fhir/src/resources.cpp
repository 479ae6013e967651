#include "alemwatch/fhir/resources.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <string_view>

namespace alemwatch::fhir {
namespace {

constexpr std::array observation_statuses{"registered", "preliminary", "final", "amended", "corrected",
                                          "cancelled", "entered-in-error", "unknown"};
constexpr std::array administration_statuses{"in-progress", "not-done", "on-hold", "completed",
                                             "entered-in-error", "stopped", "unknown"};

template <std::size_t N>
bool one_of(std::string_view s, const std::array<const char*, N>& values) {
  return std::any_of(values.begin(), values.end(), [&](const char* v) { return s == v; });
}

// The paths below are ElementPaths rooted at the resource type, so that a valid resource
// spells none of them out (they are strings only in a problem report).

template <std::size_t N>
std::optional<std::string> read_status(const JsonObject& o, const ElementPath& type,
                                       const std::array<const char*, N>& allowed, ResourceScope& scope) {
  const ElementPath path = type.child("status");
  auto status = read_string(o, "status", path, scope);
  if (!status) {
    if (!o.contains("status")) scope.error(path.str(), "missing (required)");
    return std::nullopt;
  }
  if (!one_of(*status, allowed)) {
    scope.error(path.str(), "'" + *status + "' is not a valid status");
    return std::nullopt;
  }
  return status;
}

std::string read_id(const JsonObject& o, const ElementPath& type, ResourceScope& scope) {
  const ElementPath path = type.child("id");
  auto id = read_string(o, "id", path, scope);
  if (id && !is_valid_id(*id)) scope.warning(path.str(), "'" + *id + "' is not a valid FHIR id");
  return std::move(id).value_or("");
}

// effectiveDateTime, effectiveInstant, else effectivePeriod.start.
std::optional<std::pair<Instant, ObservationTimeSource>> read_effective(const JsonObject& o, const ElementPath& type,
                                                                        ResourceScope& scope) {
  if (auto t = read_datetime(o, "effectiveDateTime", type.child("effectiveDateTime"), scope))
    return std::pair{*t, ObservationTimeSource::effective_date_time};
  if (auto t = read_datetime(o, "effectiveInstant", type.child("effectiveInstant"), scope))
    return std::pair{*t, ObservationTimeSource::effective_instant};
  const ElementPath period_path = type.child("effectivePeriod");
  if (const auto* period = read_object(o, "effectivePeriod", period_path, scope))
    if (auto t = read_datetime(*period, "start", period_path.child("start"), scope))
      return std::pair{*t, ObservationTimeSource::effective_period_start};
  return std::nullopt;
}

// value[x] types the adapter does not read, named so that the mapping can say which one came.
constexpr std::array<std::string_view, 8> other_value_types{"valueBoolean", "valueInteger", "valueRange", "valueRatio",
                                                            "valueSampledData", "valueTime", "valueDateTime", "valuePeriod"};

// One pass over the keys rather than one lookup per type: most Observations carry none of them.
std::string_view other_value_type(const JsonObject& o) {
  unsigned present = 0;
  for (const auto& member : o)
    if (const int i = other_value_type_index(member.key()); i >= 0) present |= 1u << i;
  return other_value_type_given(present);
}

void read_observation_value(const JsonObject& o, Observation& obs, ResourceScope& scope) {
  obs.value_quantity = read_quantity(o, "valueQuantity", "Observation.valueQuantity", scope);
  obs.value_codeable_concept = read_codeable_concept(o, "valueCodeableConcept", "Observation.valueCodeableConcept", scope);
  obs.value_string = read_string(o, "valueString", "Observation.valueString", scope);
  obs.other_value_type = other_value_type(o);
}

void read_reference_ranges(const JsonObject& o, Observation& obs, ResourceScope& scope) {
  const auto* ranges = read_array(o, "referenceRange", "Observation.referenceRange", scope);
  if (!ranges) return;
  obs.reference_ranges.reserve(ranges->size());
  const ElementPath ranges_path("Observation.referenceRange");
  for (std::size_t i = 0; i < ranges->size(); ++i) {
    const ElementPath path = ranges_path.item(i);
    if (!(*ranges)[i].is_object()) {
      scope.warning(path.str(), "expected an object; ignored");
      continue;
    }
    const auto& r = (*ranges)[i].get_object();
    obs.reference_ranges.push_back({read_quantity(r, "low", path.child("low"), scope),
                                    read_quantity(r, "high", path.child("high"), scope)});
  }
}

std::optional<Medication> read_medication_at(const JsonObject& o, const ElementPath& path, ResourceScope& scope) {
  Medication m;
  m.id = read_string(o, "id", path.child("id"), scope).value_or("");
  m.code = read_codeable_concept(o, "code", path.child("code"), scope);
  const ElementPath ingredients_path = path.child("ingredient");
  if (const auto* ingredients = read_array(o, "ingredient", ingredients_path, scope)) {
    for (std::size_t i = 0; i < ingredients->size(); ++i) {
      if (!(*ingredients)[i].is_object()) continue;
      if (auto cc = read_codeable_concept((*ingredients)[i].get_object(), "itemCodeableConcept",
                                          ingredients_path.item(i).child("itemCodeableConcept"), scope))
        m.ingredients.push_back(std::move(*cc));
    }
  }
  return m;
}

void read_contained_medications(const JsonObject& o, const ElementPath& type, MedicationAdministration& ma,
                                ResourceScope& scope) {
  const ElementPath contained_path = type.child("contained");
  const auto* contained = read_array(o, "contained", contained_path, scope);
  if (!contained) return;
  for (std::size_t i = 0; i < contained->size(); ++i) {
    const ElementPath path = contained_path.item(i);
    if (!(*contained)[i].is_object()) {
      scope.warning(path.str(), "expected a resource object; ignored");
      continue;
    }
    const auto& c = (*contained)[i].get_object();
    const auto* type_name = c.if_contains("resourceType");
    if (!type_name || !type_name->is_string() || type_name->get_string() != "Medication") continue;
    if (auto m = read_medication_at(c, path, scope)) ma.contained_medications.push_back(std::move(*m));
  }
}

}  // namespace

bool is_observation_status(std::string_view status) { return one_of(status, observation_statuses); }

bool is_administration_status(std::string_view status) { return one_of(status, administration_statuses); }

int other_value_type_index(std::string_view key) {
  if (!key.starts_with("value")) return -1;
  const auto* it = std::find(other_value_types.begin(), other_value_types.end(), key);
  return it == other_value_types.end() ? -1 : static_cast<int>(it - other_value_types.begin());
}

std::string_view other_value_type_given(unsigned present) {
  return present ? other_value_types[static_cast<std::size_t>(std::bit_width(present) - 1)] : std::string_view();
}

std::optional<Observation> read_observation(const JsonObject& o, ResourceScope& scope) {
  const ElementPath type("Observation");
  Observation obs;
  obs.id = read_id(o, type, scope);
  if (auto status = read_status(o, type, observation_statuses, scope)) obs.status = std::move(*status);
  if (auto code = read_codeable_concept(o, "code", type.child("code"), scope))
    obs.code = std::move(*code);
  else if (!o.contains("code"))
    scope.error("Observation.code", "missing (required)");
  obs.subject = read_reference(o, "subject", type.child("subject"), scope);
  if (auto t = read_effective(o, type, scope)) {
    obs.time = t->first;
    obs.time_source = t->second;
  } else if (auto issued = read_datetime(o, "issued", type.child("issued"), scope)) {
    obs.time = issued;
    obs.time_source = ObservationTimeSource::issued;
  }
  read_observation_value(o, obs, scope);
  obs.data_absent_reason = read_codeable_concept(o, "dataAbsentReason", type.child("dataAbsentReason"), scope);
  obs.interpretation = read_codeable_concepts(o, "interpretation", type.child("interpretation"), scope);
  read_reference_ranges(o, obs, scope);
  if (scope.rejected()) return std::nullopt;
  return obs;
}

std::optional<Medication> read_medication(const JsonObject& o, ResourceScope& scope) {
  auto m = read_medication_at(o, "Medication", scope);
  if (scope.rejected()) return std::nullopt;
  return m;
}

std::optional<MedicationAdministration> read_medication_administration(const JsonObject& o, ResourceScope& scope) {
  const ElementPath type("MedicationAdministration");
  MedicationAdministration ma;
  ma.id = read_id(o, type, scope);
  if (auto status = read_status(o, type, administration_statuses, scope)) ma.status = std::move(*status);
  ma.medication_concept =
      read_codeable_concept(o, "medicationCodeableConcept", type.child("medicationCodeableConcept"), scope);
  ma.medication_reference = read_reference(o, "medicationReference", type.child("medicationReference"), scope);
  if (!ma.medication_concept && !ma.medication_reference && !scope.rejected())
    scope.error("MedicationAdministration.medication[x]", "missing (required)");
  ma.subject = read_reference(o, "subject", type.child("subject"), scope);
  const ElementPath period_path = type.child("effectivePeriod");
  if (auto t = read_datetime(o, "effectiveDateTime", type.child("effectiveDateTime"), scope)) {
    ma.time = t;
  } else if (const auto* period = read_object(o, "effectivePeriod", period_path, scope)) {
    ma.time = read_datetime(*period, "start", period_path.child("start"), scope);
  }
  const ElementPath dosage_path = type.child("dosage");
  if (const auto* dosage = read_object(o, "dosage", dosage_path, scope))
    ma.dose = read_quantity(*dosage, "dose", dosage_path.child("dose"), scope);
  read_contained_medications(o, type, ma, scope);
  if (scope.rejected()) return std::nullopt;
  return ma;
}

}  // namespace alemwatch::fhir
