#include "alemwatch/mappings/administration_mapper.hpp"

#include "alemwatch/mappings/lab_result_mapper.hpp"

namespace alemwatch::mappings {

std::optional<ProductMatch> AdministrationMapper::match_medication(const fhir::Medication& medication) const {
  std::vector<const fhir::CodeableConcept*> concepts;
  if (medication.code) concepts.push_back(&*medication.code);
  for (const auto& i : medication.ingredients) concepts.push_back(&i);
  return m_.medications.match(concepts);
}

MappedAdministration AdministrationMapper::map(const fhir::MedicationAdministration& ma,
                                               const fhir::FullUrlIndex* full_urls, fhir::ResourceScope& scope) const {
  MappedAdministration out;
  out.administration.id = ma.id;
  std::optional<ProductMatch> match;
  if (ma.medication_concept) {
    match = m_.medications.match({&*ma.medication_concept});
  } else if (ma.medication_reference) {
    auto target = fhir::parse_reference(ma.medication_reference->reference);
    if (target.kind == fhir::ReferenceTarget::Kind::urn && full_urls) {
      if (auto it = full_urls->find(target.id); it != full_urls->end()) target = fhir::parse_reference(it->second);
    }
    using Kind = fhir::ReferenceTarget::Kind;
    if (target.kind == Kind::contained) {
      const fhir::Medication* contained = nullptr;
      for (const auto& m : ma.contained_medications)
        if (m.id == target.id) contained = &m;
      if (!contained) {
        scope.error("MedicationAdministration.medicationReference.reference",
                    "'#" + target.id + "' names no contained Medication");
        out.reason = "medicationReference to a missing contained Medication";
        return out;
      }
      match = match_medication(*contained);
    } else if ((target.kind == Kind::relative || target.kind == Kind::absolute) && target.type == "Medication") {
      out.outcome = AdministrationOutcome::pending_medication;
      out.pending_medication = target.id;
      out.source = ma;
      return out;
    } else if (!ma.medication_reference->display.empty()) {
      fhir::CodeableConcept by_name;
      by_name.text = ma.medication_reference->display;
      match = m_.medications.match({&by_name});
    } else {
      scope.error("MedicationAdministration.medicationReference.reference",
                  "'" + ma.medication_reference->reference + "' is not a Medication reference");
      out.reason = "medicationReference is not a Medication reference";
      return out;
    }
  }
  if (!match) {
    out.outcome = AdministrationOutcome::not_alemtuzumab;
    return out;
  }
  complete(out, ma, *match, full_urls, scope);
  return out;
}

void AdministrationMapper::resolve(MappedAdministration& pending, const std::optional<ProductMatch>& match, bool found,
                                   fhir::ResourceScope& scope) const {
  const auto source = std::move(*pending.source);
  pending.source.reset();
  if (!found) {
    scope.error("MedicationAdministration.medicationReference.reference",
                "Medication/" + pending.pending_medication + " is not in the input: cannot tell whether it is alemtuzumab");
    pending.outcome = AdministrationOutcome::unusable;
    pending.reason = "referenced Medication not found";
    return;
  }
  if (!match) {
    pending.outcome = AdministrationOutcome::not_alemtuzumab;
    return;
  }
  complete(pending, source, *match, nullptr, scope);
}

void AdministrationMapper::complete(MappedAdministration& out, const fhir::MedicationAdministration& ma,
                                    const ProductMatch& match, const fhir::FullUrlIndex* full_urls,
                                    fhir::ResourceScope& scope) const {
  auto& a = out.administration;
  a.product = match.product;
  a.text_match = match.by_text_only;
  a.strength_mg_per_ml = match.strength_mg_per_ml;
  a.status = ma.status;
  if (!m_.exposure.exposure_administration_statuses.contains(ma.status)) {
    out.outcome = AdministrationOutcome::not_exposure;
    out.reason = "status " + ma.status;
    return;
  }
  out.outcome = AdministrationOutcome::unusable;
  if (ma.id.empty()) {
    scope.error("MedicationAdministration.id", "missing: an infusion without an id cannot be cited");
    out.reason = "MedicationAdministration.id: missing";
    return;
  }
  if (!ma.subject) {
    scope.error("MedicationAdministration.subject", "missing: an infusion without a patient cannot be used");
    out.reason = "MedicationAdministration.subject: missing";
    return;
  }
  auto patient = patient_id_of(*ma.subject, full_urls);
  if (!patient) {
    scope.error("MedicationAdministration.subject.reference", "'" + ma.subject->reference + "' is not a Patient reference");
    out.reason = "MedicationAdministration.subject.reference: not a Patient";
    return;
  }
  if (!ma.time) {
    scope.error("MedicationAdministration.effective[x]", "missing: an infusion without a time cannot be used");
    out.reason = "MedicationAdministration.effective[x]: missing";
    return;
  }
  a.patient_id = *patient;
  a.time = *ma.time;
  read_dose(out, ma, scope);
  out.outcome = AdministrationOutcome::exposure;
}

void AdministrationMapper::read_dose(MappedAdministration& out, const fhir::MedicationAdministration& ma,
                                     fhir::ResourceScope& scope) const {
  auto& a = out.administration;
  const std::string path = "MedicationAdministration.dosage.dose";
  const auto unknown = [&](std::string why) {
    scope.warning(path, why + ": the dose is unknown and not judged");
    out.dose_problem = std::move(why);
  };
  if (!ma.dose || !ma.dose->value) return unknown("no dose recorded");
  const auto& q = *ma.dose;
  if (auto factor = m_.medications.mg_factor(q)) {
    a.dose_mg = *q.value * *factor;
    return;
  }
  if (m_.medications.is_volume(q)) {
    a.dose_ml = *q.value;
    if (a.strength_mg_per_ml) {
      a.dose_mg = *q.value * *a.strength_mg_per_ml;
      return;
    }
    return unknown("dose given in mL for a product whose strength is not known");
  }
  unknown("unit '" + (q.unit.empty() ? q.code : q.unit) + "' is not a mass or volume");
}

}  // namespace alemwatch::mappings
