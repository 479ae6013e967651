#include "alemwatch/fhir/resources.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace alemwatch::fhir {
namespace {

constexpr std::array observation_statuses{"registered", "preliminary", "final", "amended", "corrected",
                                          "cancelled", "entered-in-error", "unknown"};
constexpr std::array administration_statuses{"in-progress", "not-done", "on-hold", "completed",
                                             "entered-in-error", "stopped", "unknown"};

template <std::size_t N>
bool one_of(const std::string& s, const std::array<const char*, N>& values) {
  return std::any_of(values.begin(), values.end(), [&](const char* v) { return s == v; });
}

template <std::size_t N>
std::optional<std::string> read_status(const JsonObject& o, const std::string& type,
                                       const std::array<const char*, N>& allowed, ResourceScope& scope) {
  const std::string path = type + ".status";
  auto status = read_string(o, "status", path, scope);
  if (!status) {
    if (!o.contains("status")) scope.error(path, "missing (required)");
    return std::nullopt;
  }
  if (!one_of(*status, allowed)) {
    scope.error(path, "'" + *status + "' is not a valid status");
    return std::nullopt;
  }
  return status;
}

std::string read_id(const JsonObject& o, const std::string& type, ResourceScope& scope) {
  auto id = read_string(o, "id", type + ".id", scope);
  if (id && !is_valid_id(*id)) scope.warning(type + ".id", "'" + *id + "' is not a valid FHIR id");
  return id.value_or("");
}

// effectiveDateTime, effectiveInstant, else effectivePeriod.start.
std::optional<std::pair<Instant, ObservationTimeSource>> read_effective(const JsonObject& o, const std::string& type,
                                                                        ResourceScope& scope) {
  if (auto t = read_datetime(o, "effectiveDateTime", type + ".effectiveDateTime", scope))
    return std::pair{*t, ObservationTimeSource::effective_date_time};
  if (auto t = read_datetime(o, "effectiveInstant", type + ".effectiveInstant", scope))
    return std::pair{*t, ObservationTimeSource::effective_instant};
  if (const auto* period = read_object(o, "effectivePeriod", type + ".effectivePeriod", scope))
    if (auto t = read_datetime(*period, "start", type + ".effectivePeriod.start", scope))
      return std::pair{*t, ObservationTimeSource::effective_period_start};
  return std::nullopt;
}

void read_observation_value(const JsonObject& o, Observation& obs, ResourceScope& scope) {
  obs.value_quantity = read_quantity(o, "valueQuantity", "Observation.valueQuantity", scope);
  obs.value_codeable_concept = read_codeable_concept(o, "valueCodeableConcept", "Observation.valueCodeableConcept", scope);
  obs.value_string = read_string(o, "valueString", "Observation.valueString", scope);
  for (const char* other : {"valueBoolean", "valueInteger", "valueRange", "valueRatio", "valueSampledData",
                            "valueTime", "valueDateTime", "valuePeriod"}) {
    if (o.contains(other)) obs.other_value_type = other;
  }
}

void read_reference_ranges(const JsonObject& o, Observation& obs, ResourceScope& scope) {
  const auto* ranges = read_array(o, "referenceRange", "Observation.referenceRange", scope);
  if (!ranges) return;
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

std::optional<Medication> read_medication_at(const JsonObject& o, const std::string& path, ResourceScope& scope) {
  Medication m;
  m.id = read_string(o, "id", path + ".id", scope).value_or("");
  m.code = read_codeable_concept(o, "code", path + ".code", scope);
  if (const auto* ingredients = read_array(o, "ingredient", path + ".ingredient", scope)) {
    for (std::size_t i = 0; i < ingredients->size(); ++i) {
      const std::string ipath = path + ".ingredient[" + std::to_string(i) + "]";
      if (!(*ingredients)[i].is_object()) continue;
      if (auto cc = read_codeable_concept((*ingredients)[i].get_object(), "itemCodeableConcept",
                                          ipath + ".itemCodeableConcept", scope))
        m.ingredients.push_back(std::move(*cc));
    }
  }
  return m;
}

void read_contained_medications(const JsonObject& o, MedicationAdministration& ma, ResourceScope& scope) {
  const auto* contained = read_array(o, "contained", "MedicationAdministration.contained", scope);
  if (!contained) return;
  for (std::size_t i = 0; i < contained->size(); ++i) {
    const std::string path = "MedicationAdministration.contained[" + std::to_string(i) + "]";
    if (!(*contained)[i].is_object()) {
      scope.warning(path, "expected a resource object; ignored");
      continue;
    }
    const auto& c = (*contained)[i].get_object();
    const auto* type = c.if_contains("resourceType");
    if (!type || !type->is_string() || type->get_string() != "Medication") continue;
    if (auto m = read_medication_at(c, path, scope)) ma.contained_medications.push_back(std::move(*m));
  }
}

}  // namespace

std::optional<Observation> read_observation(const JsonObject& o, ResourceScope& scope) {
  Observation obs;
  obs.id = read_id(o, "Observation", scope);
  if (auto status = read_status(o, "Observation", observation_statuses, scope)) obs.status = *status;
  if (auto code = read_codeable_concept(o, "code", "Observation.code", scope))
    obs.code = std::move(*code);
  else if (!o.contains("code"))
    scope.error("Observation.code", "missing (required)");
  obs.subject = read_reference(o, "subject", "Observation.subject", scope);
  if (auto t = read_effective(o, "Observation", scope)) {
    obs.time = t->first;
    obs.time_source = t->second;
  } else if (auto issued = read_datetime(o, "issued", "Observation.issued", scope)) {
    obs.time = issued;
    obs.time_source = ObservationTimeSource::issued;
  }
  read_observation_value(o, obs, scope);
  obs.data_absent_reason = read_codeable_concept(o, "dataAbsentReason", "Observation.dataAbsentReason", scope);
  obs.interpretation = read_codeable_concepts(o, "interpretation", "Observation.interpretation", scope);
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
  MedicationAdministration ma;
  const std::string type = "MedicationAdministration";
  ma.id = read_id(o, type, scope);
  if (auto status = read_status(o, type, administration_statuses, scope)) ma.status = *status;
  ma.medication_concept = read_codeable_concept(o, "medicationCodeableConcept", type + ".medicationCodeableConcept", scope);
  ma.medication_reference = read_reference(o, "medicationReference", type + ".medicationReference", scope);
  if (!ma.medication_concept && !ma.medication_reference && !scope.rejected())
    scope.error(type + ".medication[x]", "missing (required)");
  ma.subject = read_reference(o, "subject", type + ".subject", scope);
  if (auto t = read_datetime(o, "effectiveDateTime", type + ".effectiveDateTime", scope)) {
    ma.time = t;
  } else if (const auto* period = read_object(o, "effectivePeriod", type + ".effectivePeriod", scope)) {
    ma.time = read_datetime(*period, "start", type + ".effectivePeriod.start", scope);
  }
  if (const auto* dosage = read_object(o, "dosage", type + ".dosage", scope))
    ma.dose = read_quantity(*dosage, "dose", type + ".dosage.dose", scope);
  read_contained_medications(o, ma, scope);
  if (scope.rejected()) return std::nullopt;
  return ma;
}

}  // namespace alemwatch::fhir
