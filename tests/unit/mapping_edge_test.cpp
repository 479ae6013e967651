// Reading FHIR into facts at the edges (signals.md sections 2 and 5): unusable values are
// reported, never guessed; Medications resolve however they are referenced; times come from the
// right element; a resource read again under the same id replaces the earlier version.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "alemwatch/mappings/unit_table.hpp"
#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

constexpr const char* rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
constexpr const char* at = "2025-06-01T00:00:00Z";
constexpr const char* when = "2024-06-01T08:00:00Z";

// The problem reported for resource `id` at `path`, if any.
const fhir::DataProblem* problem(const Scenario& s, const std::string& id, const std::string& path) {
  for (const auto& p : s.summary().problems())
    if (p.resource_id == id && p.path == path) return &p;
  return nullptr;
}

std::size_t outcome(const Scenario& s, const std::string& type, const std::string& name) {
  const auto& resources = s.summary().resources();
  auto it = resources.find(type);
  if (it == resources.end()) return 0;
  auto o = it->second.outcomes.find(name);
  return o == it->second.outcomes.end() ? 0 : o->second;
}

boost::json::object lemtrada_coding() {
  return {{"system", rxnorm}, {"code", "1594659"}, {"display", "Lemtrada"}};
}

// A completed MedicationAdministration of `dose_mg` mg with no medication[x] yet.
boost::json::object administration(const std::string& id, const std::string& time, double dose_mg,
                                   const std::string& status = "completed") {
  return {{"resourceType", "MedicationAdministration"},
          {"id", id},
          {"status", status},
          {"subject", {{"reference", "Patient/p1"}}},
          {"effectiveDateTime", time},
          {"dosage", {{"dose", {{"value", dose_mg}, {"unit", "mg"}, {"system", "http://unitsofmeasure.org"}, {"code", "mg"}}}}}};
}

boost::json::object by_reference(boost::json::object ma, const std::string& reference) {
  ma["medicationReference"] = {{"reference", reference}};
  return ma;
}

boost::json::object by_code(boost::json::object ma) {
  ma["medicationCodeableConcept"] = {{"coding", boost::json::array{lemtrada_coding()}}};
  return ma;
}

boost::json::object medication(const std::string& id, boost::json::object code) {
  return {{"resourceType", "Medication"}, {"id", id}, {"code", std::move(code)}};
}

// A platelet Observation with the given value element(s).
boost::json::object platelets(const std::string& id, boost::json::object value_quantity,
                              const std::string& status = "final") {
  return {{"resourceType", "Observation"},
          {"id", id},
          {"status", status},
          {"code", {{"coding", boost::json::array{{{"system", "http://loinc.org"}, {"code", loinc::platelets}}}}}},
          {"subject", {{"reference", "Patient/p1"}}},
          {"effectiveDateTime", when},
          {"valueQuantity", std::move(value_quantity)}};
}

Scenario course() {
  Scenario s;
  s.course("2024-01-08", 5);
  return s;
}

// --- values that are not used, and are reported ---

TEST(MappingEdges, AValueWithAComparatorIsNotUsedAndIsReported) {
  auto s = course();
  s.resource(platelets("plt-lt", {{"value", 20}, {"comparator", "<"}, {"unit", "10*3/uL"},
                                  {"system", "http://unitsofmeasure.org"}, {"code", "10*3/uL"}}));
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
  const auto* p = problem(s, "plt-lt", "Observation.valueQuantity.comparator");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->resource_type, "Observation");
  EXPECT_NE(p->reason.find("not used"), std::string::npos) << p->reason;
  EXPECT_EQ(outcome(s, "Observation", "unusable (reported)"), 1u);
}

TEST(MappingEdges, AValueWithoutAnyUnitIsNotUsedAndIsReported) {
  auto s = course();
  s.resource(platelets("plt-nounit", {{"value", 20}}));
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
  EXPECT_NE(problem(s, "plt-nounit", "Observation.valueQuantity.unit"), nullptr);
  EXPECT_EQ(s.summary().unit_problems, 1u);
}

TEST(MappingEdges, AReadableUnitWithoutACodeIsRead) {
  auto s = course();
  s.resource(platelets("plt-athena", {{"value", 20}, {"unit", "K/uL"}}));
  EXPECT_EQ(with_code(s.evaluate(at), "itp").size(), 1u);
  EXPECT_EQ(s.summary().unit_problems, 0u);
}

TEST(MappingEdges, AValueAsTextIsNotUsedAndIsReported) {
  auto s = course();
  s.resource({{"resourceType", "Observation"},
              {"id", "plt-text"},
              {"status", "final"},
              {"code", {{"coding", boost::json::array{{{"system", "http://loinc.org"}, {"code", loinc::platelets}}}}}},
              {"subject", {{"reference", "Patient/p1"}}},
              {"effectiveDateTime", when},
              {"valueString", "<20"}});
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
  EXPECT_NE(problem(s, "plt-text", "Observation.valueString"), nullptr);
}

TEST(MappingEdges, AnObservationWithoutATimeIsNotUsedAndIsReported) {
  auto s = course();
  auto obs = platelets("plt-notime", {{"value", 20}, {"unit", "10*3/uL"}});
  obs.erase("effectiveDateTime");
  s.resource(obs);
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
  EXPECT_NE(problem(s, "plt-notime", "Observation.effective[x]"), nullptr);
}

TEST(MappingEdges, AReferenceRangeWithoutAUnitIsReportedAndTheDefaultIsUsed) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250).course("2024-01-08", 5);
  // 180 is below the laboratory's 200, but the range has no unit: the default 150 applies.
  auto obs = platelets("plt-range", {{"value", 180}, {"unit", "10*3/uL"}});
  obs["referenceRange"] = boost::json::array{{{"low", {{"value", 200}}}}};
  s.resource(obs);
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
  EXPECT_NE(problem(s, "plt-range", "Observation.referenceRange[0].low"), nullptr);
}

TEST(MappingEdges, TheFirstReferenceRangeWhoseUnitConvertsIsUsed) {
  // Was a bug: rules.md section 1 says the reference range is "the first referenceRange with a low or
  // high whose unit converts"; LabResultMapper::reference_range() stops at the first range with
  // a bound and, when that bound's unit does not convert, falls back to the default instead of
  // trying the next range. Here the second range (low 200 x10^9/L) should apply.
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250).course("2024-01-08", 5);
  auto obs = platelets("plt-ranges", {{"value", 180}, {"unit", "10*3/uL"}});
  obs["referenceRange"] = boost::json::array{
      {{"low", {{"value", 2}, {"unit", "lakh/uL?"}}}},
      {{"low", {{"value", 200}, {"unit", "10*3/uL"}, {"system", "http://unitsofmeasure.org"}, {"code", "10*3/uL"}}}}};
  s.resource(obs);
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "low");
}

TEST(MappingEdges, AnObservationOfAnotherCodeIsCountedAsNotMonitored) {
  auto s = course();
  s.resource({{"resourceType", "Observation"},
              {"id", "bp"},
              {"status", "final"},
              {"code", {{"coding", boost::json::array{{{"system", "http://loinc.org"}, {"code", "8480-6"}}}}}},
              {"subject", {{"reference", "Patient/p1"}}},
              {"effectiveDateTime", when},
              {"valueQuantity", {{"value", 120}, {"unit", "mm[Hg]"}}}});
  s.evaluate(at);
  EXPECT_EQ(outcome(s, "Observation", "not monitored (no LOINC code the rules read)"), 1u);
}

// --- times ---

TEST(MappingEdges, AnObservationsEffectivePeriodStartIsItsTime) {
  auto s = course();
  auto obs = platelets("plt-period", {{"value", 20}, {"unit", "10*3/uL"}});
  obs.erase("effectiveDateTime");
  obs["effectivePeriod"] = {{"start", "2024-06-03T07:30:00Z"}, {"end", "2024-06-04T07:30:00Z"}};
  s.resource(obs);
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2024-06-03");
  EXPECT_EQ(identified(itp[0]), "2024-06-03T07:30:00Z");
}

TEST(MappingEdges, AnObservationWithoutEffectiveUsesIssued) {
  auto s = course();
  auto obs = platelets("plt-issued", {{"value", 20}, {"unit", "10*3/uL"}});
  obs.erase("effectiveDateTime");
  obs["issued"] = "2024-06-05T10:00:00Z";
  s.resource(obs);
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identified(itp[0]), "2024-06-05T10:00:00Z");
}

TEST(MappingEdges, AnAdministrationsEffectivePeriodStartIsItsTime) {
  Scenario s;
  auto ma = by_code(administration("ma-period", "", 20));
  ma.erase("effectiveDateTime");
  ma["effectivePeriod"] = {{"start", "2024-01-08T09:00:00Z"}, {"end", "2024-01-08T13:00:00Z"}};
  s.resource(ma);
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(identified(d[0]), "2024-01-08T09:00:00Z");
}

TEST(MappingEdges, ATimeWithAnOffsetIsConvertedToUtcForTheIdentifier) {
  auto s = course();
  auto obs = platelets("plt-offset", {{"value", 20}, {"unit", "10*3/uL"}});
  obs["effectiveDateTime"] = "2024-06-05T01:00:00+02:00";
  s.resource(obs);
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2024-06-04");
  EXPECT_EQ(identified(itp[0]), "2024-06-04T23:00:00Z");
}

TEST(MappingEdges, ATimeWithoutAnOffsetIsUtc) {
  auto s = course();
  auto obs = platelets("plt-local", {{"value", 20}, {"unit", "10*3/uL"}});
  obs["effectiveDateTime"] = "2024-06-05T23:30:00";
  s.resource(obs);
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identified(itp[0]), "2024-06-05T23:30:00Z");
}

// --- how the Medication is found ---

TEST(MappingEdges, AContainedMedicationResolves) {
  Scenario s;
  auto ma = by_reference(administration("ma-contained", "2024-01-08T09:00:00Z", 20), "#med1");
  ma["contained"] = boost::json::array{{{"resourceType", "Medication"}, {"id", "med1"},
                                        {"code", {{"coding", boost::json::array{lemtrada_coding()}}}}}};
  s.resource(ma);
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(identifier(d[0]), "p1/dose-out-of-range/ma-contained");
}

TEST(MappingEdges, AMissingContainedMedicationIsReported) {
  Scenario s;
  s.resource(by_reference(administration("ma-nocontained", "2024-01-08T09:00:00Z", 20), "#med9"));
  EXPECT_TRUE(s.evaluate(at).empty());
  EXPECT_NE(problem(s, "ma-nocontained", "MedicationAdministration.medicationReference.reference"), nullptr);
}

TEST(MappingEdges, AMedicationResourceReadBeforeTheAdministrationResolves) {
  Scenario s;
  s.resource(medication("x", {{"coding", boost::json::array{lemtrada_coding()}}}));
  s.resource(by_reference(administration("ma-ref", "2024-01-08T09:00:00Z", 20), "Medication/x"));
  EXPECT_EQ(identifiers(with_code(s.evaluate(at), "dose-out-of-range")),
            (std::vector<std::string>{"p1/dose-out-of-range/ma-ref"}));
}

TEST(MappingEdges, AMedicationResourceReadAfterTheAdministrationResolves) {
  Scenario s;
  s.resource(by_reference(administration("ma-ref", "2024-01-08T09:00:00Z", 20), "Medication/x"));
  s.resource(medication("x", {{"coding", boost::json::array{lemtrada_coding()}}}));
  EXPECT_EQ(identifiers(with_code(s.evaluate(at), "dose-out-of-range")),
            (std::vector<std::string>{"p1/dose-out-of-range/ma-ref"}));
}

TEST(MappingEdges, AMedicationNamedByAnAbsoluteUrlResolves) {
  Scenario s;
  s.resource(by_reference(administration("ma-abs", "2024-01-08T09:00:00Z", 20), "https://ehr.example/fhir/Medication/x"));
  s.resource(medication("x", {{"coding", boost::json::array{lemtrada_coding()}}}));
  EXPECT_EQ(with_code(s.evaluate(at), "dose-out-of-range").size(), 1u);
}

TEST(MappingEdges, AMedicationIdentifiedByIngredientResolves) {
  Scenario s;
  s.resource({{"resourceType", "Medication"},
              {"id", "x"},
              {"ingredient", boost::json::array{{{"itemCodeableConcept",
                                                  {{"coding", boost::json::array{{{"system", rxnorm}, {"code", "117055"}}}}}}}}}});
  s.resource(by_reference(administration("ma-ingr", "2024-01-08T09:00:00Z", 20), "Medication/x"));
  EXPECT_EQ(with_code(s.evaluate(at), "dose-out-of-range").size(), 1u);  // an ingredient is treated as MS
}

TEST(MappingEdges, AReferencedMedicationNotInTheInputIsReportedNotGuessed) {
  Scenario s;
  s.resource(by_reference(administration("ma-lost", "2024-01-08T09:00:00Z", 20), "Medication/nowhere"));
  EXPECT_TRUE(s.evaluate(at).empty());
  EXPECT_NE(problem(s, "ma-lost", "MedicationAdministration.medicationReference.reference"), nullptr);
  EXPECT_EQ(s.summary().exposed_patients, 0u);
}

TEST(MappingEdges, AnotherMedicationIsNotAnExposure) {
  Scenario s;
  s.resource(medication("x", {{"coding", boost::json::array{{{"system", rxnorm}, {"code", "281"}}}}, {"text", "acyclovir"}}));
  s.resource(by_reference(administration("ma-acv", "2024-01-08T09:00:00Z", 400), "Medication/x"));
  EXPECT_TRUE(s.evaluate(at).empty());
  EXPECT_EQ(outcome(s, "MedicationAdministration", "not alemtuzumab"), 1u);
}

TEST(MappingEdges, TextOnlyLemtradaCountsAndIsCountedAsATextMatch) {
  Scenario s;
  auto ma = administration("ma-text", "2024-01-08T09:00:00Z", 20);
  ma["medicationCodeableConcept"] = {{"text", "LEMTRADA 12 mg/1.2 mL"}};
  s.resource(ma);
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(identifier(d[0]), "p1/dose-out-of-range/ma-text");
  EXPECT_EQ(s.summary().text_matched_medications, 1u);
}

TEST(MappingEdges, ATextOnlyMedicationResourceIsCountedOnceAsATextMatch) {
  // Was a bug: one Medication resource named only by text ("Lemtrada"), given to one infusion, is
  // counted twice in RunSummary::text_matched_medications: once in Evaluation::add_medication()
  // and again in Evaluation::record_administration() (Administration::text_match). Counted per
  // Medication or per administration, the answer here is 1.
  Scenario s;
  s.resource(medication("x", {{"text", "Lemtrada"}}));
  s.resource(by_reference(administration("ma-ref", "2024-01-08T09:00:00Z", 20), "Medication/x"));
  EXPECT_EQ(with_code(s.evaluate(at), "dose-out-of-range").size(), 1u);
  EXPECT_EQ(s.summary().text_matched_medications, 1u);
}

TEST(MappingEdges, ACodedMedicationIsNotATextMatch) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z");
  s.evaluate(at);
  EXPECT_EQ(s.summary().text_matched_medications, 0u);
}

TEST(MappingEdges, TextOnlyCampathIsOncologyAndNotDoseJudged) {
  Scenario s;
  auto ma = administration("ma-campath", "2024-01-08T09:00:00Z", 30);
  ma["medicationCodeableConcept"] = {{"text", "campath"}};
  s.resource(ma);
  const auto issues = s.evaluate(at);
  EXPECT_TRUE(with_code(issues, "dose-out-of-range").empty());
  EXPECT_EQ(with_code(issues, "baseline-missing").size(), 1u);  // still an exposure
  EXPECT_EQ(s.summary().text_matched_medications, 1u);
}

// --- the same id read twice: the later version wins ---

TEST(MappingEdges, AnEnteredInErrorVersionReadLaterWithdrawsTheResult) {
  auto s = course();
  s.result(loinc::platelets, when, 20, "plt-twice");
  s.lab({.loinc = loinc::platelets, .time = when, .value = 20, .unit = "10*3/uL", .status = "entered-in-error", .id = "plt-twice"});
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
}

TEST(MappingEdges, AFinalVersionReadAfterAnEnteredInErrorOneCounts) {
  auto s = course();
  s.lab({.loinc = loinc::platelets, .time = when, .value = 20, .unit = "10*3/uL", .status = "entered-in-error", .id = "plt-twice"});
  s.result(loinc::platelets, when, 20, "plt-twice");
  EXPECT_EQ(with_code(s.evaluate(at), "itp").size(), 1u);
}

TEST(MappingEdges, AnAmendedVersionReadLaterReplacesTheValue) {
  auto s = course();
  s.result(loinc::platelets, when, 20, "plt-twice");
  s.lab({.loinc = loinc::platelets, .time = when, .value = 220, .unit = "10*3/uL", .status = "amended", .id = "plt-twice"});
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
}

TEST(MappingEdges, AnUnusableVersionReadLaterAlsoWithdrawsTheEarlierOne) {
  auto s = course();
  s.result(loinc::platelets, when, 20, "plt-twice");
  s.lab({.loinc = loinc::platelets, .time = when, .value = 20, .unit = "furlongs", .id = "plt-twice"});
  EXPECT_TRUE(with_code(s.evaluate(at), "itp").empty());
}

TEST(MappingEdges, AnEnteredInErrorAdministrationReadLaterIsNoExposure) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 20, "completed", "ma-twice").infusion("2024-01-08T09:00:00Z", 20, "entered-in-error", "ma-twice");
  EXPECT_TRUE(s.evaluate(at).empty());
  EXPECT_EQ(s.summary().exposed_patients, 0u);
}

TEST(MappingEdges, AnEnteredInErrorAdministrationByCodeWithdrawsAnEarlierVersionByReference) {
  // Was a bug: the earlier version (medicationReference, resolved only at finish()) is recorded even
  // though a later version under the same id, read directly, says entered-in-error. The direct
  // version is not an exposure, so it never enters administration_owner_, and
  // Evaluation::resolve_pending() then records the stale pending version. evaluation.hpp:
  // "A resource read again under the same id replaces the earlier one, so an amended or
  // entered-in-error version read later wins."
  Scenario s;
  s.resource(medication("x", {{"coding", boost::json::array{lemtrada_coding()}}}));
  s.resource(by_reference(administration("ma-twice", "2024-01-08T09:00:00Z", 20), "Medication/x"));
  s.resource(by_code(administration("ma-twice", "2024-01-08T09:00:00Z", 20, "entered-in-error")));
  EXPECT_TRUE(s.evaluate(at).empty());
  EXPECT_EQ(s.summary().exposed_patients, 0u);
}

TEST(MappingEdges, TheLaterOfTwoVersionsByReferenceWins) {
  // Was a bug: both versions wait for the Medication; Evaluation::resolve_pending() records the first
  // (earlier) one and then drops the later one as "superseded by a later version", so the
  // corrected dose of the later version is lost and a dose issue is raised from the stale one.
  Scenario s;
  s.resource(medication("x", {{"coding", boost::json::array{lemtrada_coding()}}}));
  s.resource(by_reference(administration("ma-twice", "2024-01-08T09:00:00Z", 20), "Medication/x"));
  s.resource(by_reference(administration("ma-twice", "2024-01-08T09:00:00Z", 12), "Medication/x"));
  EXPECT_TRUE(with_code(s.evaluate(at), "dose-out-of-range").empty());
}

TEST(MappingEdges, AVersionByCodeReadAfterOneByReferenceWins) {
  Scenario s;
  s.resource(medication("x", {{"coding", boost::json::array{lemtrada_coding()}}}));
  s.resource(by_reference(administration("ma-twice", "2024-01-08T09:00:00Z", 20), "Medication/x"));
  s.resource(by_code(administration("ma-twice", "2024-01-08T09:00:00Z", 12)));
  EXPECT_TRUE(with_code(s.evaluate(at), "dose-out-of-range").empty());
}

// Unit spellings are matched after white space is dropped and micro signs become 'u'; most
// need no change at all, and must come back as they were.
TEST(MappingEdges, UnitSpellingsAreNormalisedAndFolded) {
  EXPECT_EQ(mappings::normalise_unit("mg/dL"), "mg/dL");
  EXPECT_EQ(mappings::normalise_unit("10*9/L"), "10*9/L");
  EXPECT_EQ(mappings::normalise_unit(" mg /\tdL "), "mg/dL");
  EXPECT_EQ(mappings::normalise_unit("\xC2\xB5mol/L"), "umol/L");  // MICRO SIGN
  EXPECT_EQ(mappings::normalise_unit("\xCE\xBCg/L"), "ug/L");      // GREEK SMALL LETTER MU
  EXPECT_EQ(mappings::normalise_unit("\xC2\xB0" "C"), "\xC2\xB0" "C");  // DEGREE SIGN: kept
  EXPECT_EQ(mappings::normalise_unit(""), "");
  EXPECT_EQ(mappings::fold_unit("\xC2\xB5Mol / L"), "umol/l");
  EXPECT_EQ(mappings::fold_unit("MG/DL"), "mg/dl");
}

}  // namespace
}  // namespace alemwatch::testing
