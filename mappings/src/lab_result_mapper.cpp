#include "alemwatch/mappings/lab_result_mapper.hpp"

#include "alemwatch/fhir/decimal.hpp"

namespace alemwatch::mappings {

std::optional<std::string_view> plain_patient_id(std::string_view reference) {
  constexpr std::string_view prefix = "Patient/";
  if (!reference.starts_with(prefix)) return std::nullopt;
  const auto id = reference.substr(prefix.size());
  if (!fhir::is_valid_id(id)) return std::nullopt;  // no '/' either: no version, no other path
  return id;
}

std::optional<std::string> patient_id_of(const fhir::Reference& subject, const fhir::FullUrlIndex* full_urls) {
  if (const auto id = plain_patient_id(subject.reference)) return std::string(*id);
  auto target = fhir::parse_reference(subject.reference);
  if (target.kind == fhir::ReferenceTarget::Kind::urn && full_urls) {
    auto it = full_urls->find(target.id);
    if (it == full_urls->end()) return std::nullopt;
    target = fhir::parse_reference(it->second);
  }
  const bool named = target.kind == fhir::ReferenceTarget::Kind::relative ||
                     target.kind == fhir::ReferenceTarget::Kind::absolute;
  if (!named || target.type != "Patient") return std::nullopt;
  return std::move(target.id);
}

std::optional<std::string> subject_patient_id(const boost::json::object& resource) {
  const auto* subject = resource.if_contains("subject");
  if (!subject || !subject->is_object()) return std::nullopt;
  const auto* ref = subject->get_object().if_contains("reference");
  if (!ref || !ref->is_string()) return std::nullopt;
  return patient_id_of({std::string(ref->get_string()), {}}, nullptr);
}

namespace {

const Analyte* find_analyte(const fhir::CodeableConcept& code, const AnalyteCatalog& catalog) {
  for (const auto& c : code.codings)
    if (c.system == fhir::loinc_system)
      if (const auto* a = catalog.by_loinc(c.code)) return a;
  return nullptr;
}

std::string unit_text(const fhir::Quantity& q) {
  if (!q.unit.empty() && !q.code.empty() && q.unit != q.code) return "'" + q.unit + "' (code '" + q.code + "')";
  if (!q.code.empty()) return "'" + q.code + "'";
  if (!q.unit.empty()) return "'" + q.unit + "'";
  return "(none)";
}

}  // namespace

MappedObservation LabResultMapper::map(const fhir::Observation& obs, const fhir::FullUrlIndex* full_urls,
                                       fhir::ResourceScope& scope) const {
  MappedObservation out;
  const Analyte* analyte = find_analyte(obs.code, m_.analytes);
  if (!analyte) {
    out.outcome = ObservationOutcome::not_monitored;
    return out;
  }
  if (!m_.exposure.countable_observation_statuses.contains(obs.status)) {
    out.outcome = ObservationOutcome::excluded_status;
    out.reason = "status " + obs.status;
    return out;
  }
  const auto fail = [&](const std::string& path, const std::string& reason) {
    scope.error(path, reason);
    out.outcome = ObservationOutcome::unusable;
    out.reason = path + ": " + reason;
    return out;
  };
  if (obs.id.empty()) return fail("Observation.id", "missing: a result without an id cannot be cited as evidence");
  if (!obs.subject) return fail("Observation.subject", "missing: a result without a patient cannot be used");
  auto patient = patient_id_of(*obs.subject, full_urls);
  if (!patient)
    return fail("Observation.subject.reference", obs.subject->reference.empty()
                                                     ? std::string("missing: the subject names no Patient reference")
                                                     : "'" + obs.subject->reference + "' is not a Patient reference");
  if (!obs.time) return fail("Observation.effective[x]", "missing, and no issued time: a result without a time cannot be used");
  out.patient_id = std::move(*patient);
  out.result.observation_id = obs.id;
  out.result.analyte = analyte->id;
  out.result.time = *obs.time;

  bool ok = false;
  const bool quantity = obs.value_quantity.has_value();
  if (analyte->kind == ResultKind::quantity || (analyte->kind == ResultKind::either && quantity)) {
    ok = analyte->units && analyte->units->assay_specific ? map_assay_specific(obs, out, scope)
                                                          : map_quantity(obs, *analyte, out, scope);
  } else {
    ok = map_ordinal(obs, out, scope);
  }
  if (!ok) {
    out.outcome = ObservationOutcome::unusable;
    return out;
  }
  out.outcome = ObservationOutcome::mapped;
  return out;
}

bool LabResultMapper::map_quantity(const fhir::Observation& obs, const Analyte& a, MappedObservation& out,
                                   fhir::ResourceScope& scope) const {
  const auto fail = [&](const std::string& path, const std::string& reason) {
    scope.error(path, reason);
    out.reason = path + ": " + reason;
    return false;
  };
  if (!obs.value_quantity) {
    if (obs.value_string) return fail("Observation.valueString", "'" + *obs.value_string + "' is text, not a number: not used");
    if (obs.data_absent_reason) return fail("Observation.dataAbsentReason", "no value ('" + obs.data_absent_reason->readable() + "')");
    if (!obs.other_value_type.empty()) return fail("Observation." + obs.other_value_type, "expected valueQuantity for " + a.label);
    return fail("Observation.value[x]", "missing: no value");
  }
  const auto& q = *obs.value_quantity;
  if (!q.value) return fail("Observation.valueQuantity.value", "missing: no number");
  if (!q.comparator.empty())
    return fail("Observation.valueQuantity.comparator", "value is '" + q.comparator + "' a limit, not a measurement: not used");
  auto factor = m_.units.factor(*a.units, q);
  if (!factor) {
    out.unit_problem = true;
    return fail("Observation.valueQuantity.unit", "unit " + unit_text(q) + " cannot be converted to " + a.units->canonical +
                                                      " for " + a.label + ": not used (units are never guessed)");
  }
  out.result.value = *q.value * *factor;
  out.result.positive_interpretation = m_.ordinals.positive_interpretation(obs);
  if (!out.result.positive_interpretation.empty()) out.result.positivity = Positivity::positive;
  out.result.range = reference_range(obs, a, scope);
  return true;
}

bool LabResultMapper::map_assay_specific(const fhir::Observation& obs, MappedObservation& out,
                                         fhir::ResourceScope& scope) const {
  const auto& q = *obs.value_quantity;
  if (!q.value || !q.comparator.empty()) {
    if (q.value && !m_.ordinals.positive_interpretation(obs).empty()) {
      // "<0.9" with no interpretation is useless, but an interpretation still reads.
    } else {
      const std::string reason = q.value ? "value is a limit ('" + q.comparator + "'), not a measurement" : "missing: no number";
      scope.error("Observation.valueQuantity.value", reason);
      out.reason = "Observation.valueQuantity.value: " + reason;
      return false;
    }
  }
  out.result.positive_interpretation = m_.ordinals.positive_interpretation(obs);
  out.result.value = q.value;
  out.result.unit_as_reported = q.unit.empty() ? q.code : q.unit;
  const bool by_interpretation = !out.result.positive_interpretation.empty();
  const std::string unit = fold_unit(q.code.empty() ? q.unit : q.code);
  for (const auto& r : obs.reference_ranges) {
    if (!r.high || !r.high->value) continue;
    const std::string range_unit = fold_unit(r.high->code.empty() ? r.high->unit : r.high->code);
    if (range_unit != unit) continue;
    const bool above = q.value && fhir::decimal::greater(*q.value, *r.high->value);
    out.result.positivity = above || by_interpretation ? Positivity::positive : Positivity::negative;
    out.result.positive_only_by_interpretation = by_interpretation && !above;
    out.result.range.high = *r.high->value;
    return true;
  }
  if (by_interpretation) {
    out.result.positivity = Positivity::positive;
    out.result.positive_only_by_interpretation = true;
    return true;
  }
  const std::string reason = "no referenceRange.high in the result's unit and no interpretation: "
                             "this assay-specific result cannot be read as positive or negative";
  scope.error("Observation.referenceRange", reason);
  out.reason = "Observation.referenceRange: " + reason;
  return false;
}

bool LabResultMapper::map_ordinal(const fhir::Observation& obs, MappedObservation& out, fhir::ResourceScope& scope) const {
  const auto reading = m_.ordinals.read(obs);
  out.result.value_text = reading.value_text;
  out.result.positive_interpretation = reading.positive_interpretation;
  if (reading.value == Positivity::positive || reading.interpretation == Positivity::positive) {
    out.result.positivity = Positivity::positive;
    out.result.positive_only_by_interpretation = reading.value != Positivity::positive;
  }
  else if (reading.value == Positivity::negative)
    out.result.positivity = Positivity::negative;
  if (out.result.positivity != Positivity::unknown) return true;
  std::string path = "Observation.value[x]";
  std::string reason = "missing: no value and no interpretation";
  if (reading.has_value) {
    path = obs.value_string ? "Observation.valueString" : "Observation.valueCodeableConcept";
    reason = "'" + reading.value_text + "' is not a recognised positive or negative result";
  } else if (obs.value_quantity) {
    path = "Observation.valueQuantity";
    reason = "a quantity for an ordinal test, without an interpretation: cannot tell positive from negative";
  }
  scope.error(path, reason);
  out.reason = path + ": " + reason;
  return false;
}

Range LabResultMapper::reference_range(const fhir::Observation& obs, const Analyte& a, fhir::ResourceScope& scope) const {
  const Range fallback = a.default_range.value_or(Range{});
  // The first range with a bound whose units all convert; others are reported and passed over.
  for (std::size_t i = 0; i < obs.reference_ranges.size(); ++i) {
    const auto& r = obs.reference_ranges[i];
    if ((!r.low || !r.low->value) && (!r.high || !r.high->value)) continue;
    // Spelled out only for a warning: most ranges convert.
    const auto path = [i] { return "Observation.referenceRange[" + std::to_string(i) + "]"; };
    Range converted = fallback;  // a bound the laboratory left out keeps its default
    bool usable = true;
    for (auto [bound, into, name] : {std::tuple{&r.low, &converted.low, "low"}, std::tuple{&r.high, &converted.high, "high"}}) {
      if (!*bound || !(*bound)->value) continue;
      auto factor = m_.units.factor(*a.units, **bound);
      if (!factor) {
        scope.warning(path() + "." + name, "unit " + unit_text(**bound) + " cannot be converted; this range is not used");
        usable = false;
        break;
      }
      *into = *(*bound)->value * *factor;
    }
    if (usable) return converted;
  }
  return fallback;
}

}  // namespace alemwatch::mappings
