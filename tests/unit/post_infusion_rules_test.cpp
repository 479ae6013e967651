// post-infusion-tma and acute-kidney-injury at their edges (signals.md section 3): the three
// limbs of TMA in one acute window, the 48-hour creatinine rise, AKI severity and episodes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

// Course 1: 2024-01-08 to 2024-01-12 at 09:00Z; its acute window ends 2024-01-26T09:00Z.
constexpr const char* first_day = "2024-01-08";
constexpr const char* at = "2024-02-01T00:00:00Z";

bool has_coding(const boost::json::object& issue, const std::string& system, const std::string& code) {
  for (const auto& c : issue.at("code").at("coding").as_array())
    if (c.at("system").as_string() == system && c.at("code").as_string() == code) return true;
  return false;
}

std::vector<std::string> implicated(const boost::json::object& issue) {
  std::vector<std::string> out;
  if (const auto* i = issue.if_contains("implicated"))
    for (const auto& r : i->as_array()) out.emplace_back(r.at("reference").as_string());
  return out;
}

// The course with no result before it: no baselines at all.
Scenario bare_course() {
  Scenario s;
  s.course(first_day, 5);
  return s;
}

// Limb fillers that meet their limb by an absolute criterion (no baseline needed).
void platelet_limb(Scenario& s) { s.result(loinc::platelets, "2024-01-10T08:00:00Z", 100, "plt-limb"); }
void haemolysis_limb(Scenario& s) { s.result(loinc::haemoglobin, "2024-01-10T08:00:00Z", 9, "hb-limb"); }
void creatinine_limb(Scenario& s) { s.result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.5, "cr-limb"); }

std::size_t tma_count(Scenario& s) { return with_code(s.evaluate(at), "post-infusion-tma").size(); }

// --- TMA: all three limbs ---

TEST(PostInfusionTma, AllThreeLimbsInOneAcuteWindowFireHigh) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250, "plt-base")
      .result(loinc::haemoglobin, "2023-12-20T08:00:00Z", 14, "hb-base")
      .result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8, "cr-base")
      .course(first_day, 5)
      .result(loinc::platelets, "2024-01-10T08:00:00Z", 120, "plt")
      .result(loinc::haemoglobin, "2024-01-11T08:00:00Z", 9.5, "hb")
      .result(loinc::creatinine, "2024-01-12T08:00:00Z", 1.3, "cr");
  const auto tma = with_code(s.evaluate(at), "post-infusion-tma");
  ASSERT_EQ(tma.size(), 1u);
  EXPECT_EQ(identifier(tma[0]), "p1/post-infusion-tma/course-2024-01-08");
  EXPECT_EQ(severity(tma[0]), "high");
  EXPECT_EQ(identified(tma[0]), "2024-01-12T08:00:00Z");
  EXPECT_TRUE(has_coding(tma[0], "http://snomed.info/sct", "126729006"));
  EXPECT_TRUE(has_coding(tma[0], "http://terminology.hl7.org/CodeSystem/v3-ActCode", "LAB"));
  // Each limb's result and the baseline each relative criterion compared with.
  EXPECT_EQ(evidence_references(tma[0]),
            (std::vector<std::string>{"Observation/plt", "Observation/plt-base", "Observation/hb", "Observation/hb-base",
                                      "Observation/cr", "Observation/cr-base"}));
  EXPECT_EQ(implicated(tma[0]).size(), 5u);
  EXPECT_EQ(detail(tma[0]).rfind("In the 14 days after course 1 (started 2024-01-08): Platelet count 120 x10^9/L on "
                                 "2024-01-10, Haemoglobin 9.5 g/dL on 2024-01-11 and Creatinine 1.3 mg/dL on 2024-01-12.",
                                 0),
            0u)
      << detail(tma[0]);
}

TEST(PostInfusionTma, PlateletsAndHaemolysisWithoutACreatinineLimbDoNotFire) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, PlateletsAndCreatinineWithoutAHaemolysisLimbDoNotFire) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, HaemolysisAndCreatinineWithoutAPlateletLimbDoNotFire) {
  auto s = bare_course();
  haemolysis_limb(s);
  creatinine_limb(s);
  s.result(loinc::platelets, "2024-01-10T08:00:00Z", 150);  // not below 150, no baseline
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, LimbsInTwoDifferentAcuteWindowsDoNotCombine) {
  Scenario s;
  s.course(first_day, 5).course("2025-01-13", 3);
  s.result(loinc::platelets, "2024-01-10T08:00:00Z", 100).result(loinc::haemoglobin, "2024-01-10T08:00:00Z", 9);
  s.result(loinc::creatinine, "2025-01-14T08:00:00Z", 1.5);
  EXPECT_TRUE(with_code(s.evaluate("2025-02-10T00:00:00Z"), "post-infusion-tma").empty());
}

TEST(PostInfusionTma, ALimbOneHourAfterTheAcuteWindowDoesNotCount) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  s.result(loinc::creatinine, "2024-01-26T10:00:00Z", 1.5);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, ALimbExactlyAtTheEndOfTheAcuteWindowCounts) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  s.result(loinc::creatinine, "2024-01-26T09:00:00Z", 1.5);
  const auto tma = with_code(s.evaluate(at), "post-infusion-tma");
  ASSERT_EQ(tma.size(), 1u);
  EXPECT_EQ(identified(tma[0]), "2024-01-26T09:00:00Z");
}

TEST(PostInfusionTma, ALimbBeforeTheFirstInfusionDoesNotCount) {
  auto s = bare_course();
  haemolysis_limb(s);
  creatinine_limb(s);
  s.result(loinc::platelets, "2024-01-08T08:00:00Z", 100);  // one hour before the first infusion
  EXPECT_EQ(tma_count(s), 0u);
}

// --- limb (a): platelets < 150 or at least 25 % below baseline ---

TEST(PostInfusionTma, PlateletsJustBelowOneHundredFiftyMeetThePlateletLimb) {
  auto s = bare_course();
  haemolysis_limb(s);
  creatinine_limb(s);
  s.result(loinc::platelets, "2024-01-10T08:00:00Z", 149.9);
  EXPECT_EQ(tma_count(s), 1u);
}

TEST(PostInfusionTma, PlateletsOfSeventyFivePercentOfBaselineMeetThePlateletLimbAboveOneHundredFifty) {
  auto s = bare_course();
  haemolysis_limb(s);
  creatinine_limb(s);
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250, "plt-base").result(loinc::platelets, "2024-01-10T08:00:00Z", 187.5, "plt");
  const auto tma = with_code(s.evaluate(at), "post-infusion-tma");
  ASSERT_EQ(tma.size(), 1u);
  const auto refs = evidence_references(tma[0]);
  ASSERT_GE(refs.size(), 2u);
  EXPECT_EQ(refs[0], "Observation/plt");
  EXPECT_EQ(refs[1], "Observation/plt-base");
}

TEST(PostInfusionTma, PlateletsJustAboveSeventyFivePercentOfBaselineDoNotMeetThePlateletLimb) {
  auto s = bare_course();
  haemolysis_limb(s);
  creatinine_limb(s);
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250).result(loinc::platelets, "2024-01-10T08:00:00Z", 187.75);
  EXPECT_EQ(tma_count(s), 0u);
}

// --- limb (b): haemoglobin drop >= 2, haemoglobin < 10, LDH above range, haptoglobin below range ---

TEST(PostInfusionTma, AHaemoglobinDropOfExactlyTwoMeetsTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::haemoglobin, "2023-12-20T08:00:00Z", 14.1).result(loinc::haemoglobin, "2024-01-10T08:00:00Z", 12.1);
  EXPECT_EQ(tma_count(s), 1u);
}

TEST(PostInfusionTma, AHaemoglobinDropJustUnderTwoDoesNotMeetTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::haemoglobin, "2023-12-20T08:00:00Z", 14.1).result(loinc::haemoglobin, "2024-01-10T08:00:00Z", 12.11);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, HaemoglobinExactlyTenWithoutBaselineDoesNotMeetTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::haemoglobin, "2024-01-10T08:00:00Z", 10);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, HaemoglobinJustBelowTenMeetsTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::haemoglobin, "2024-01-10T08:00:00Z", 9.99);
  EXPECT_EQ(tma_count(s), 1u);
}

TEST(PostInfusionTma, LdhAboveItsDefaultRangeMeetsTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::ldh, "2024-01-10T08:00:00Z", 240.1, "ldh");
  const auto tma = with_code(s.evaluate(at), "post-infusion-tma");
  ASSERT_EQ(tma.size(), 1u);
  EXPECT_EQ(evidence_references(tma[0]),
            (std::vector<std::string>{"Observation/plt-limb", "Observation/cr-limb", "Observation/ldh"}));
}

TEST(PostInfusionTma, LdhAtTheUpperLimitDoesNotMeetTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::ldh, "2024-01-10T08:00:00Z", 240);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, LdhAboveTheObservationsOwnUpperLimitMeetsTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.lab({.loinc = loinc::ldh, .time = "2024-01-10T08:00:00Z", .value = 220, .unit = "U/L", .range_low = 100, .range_high = 210});
  EXPECT_EQ(tma_count(s), 1u);
}

TEST(PostInfusionTma, HaptoglobinBelowItsRangeMeetsTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::haptoglobin, "2024-01-10T08:00:00Z", 35.9);
  EXPECT_EQ(tma_count(s), 1u);
}

TEST(PostInfusionTma, HaptoglobinAtTheLowerLimitDoesNotMeetTheHaemolysisLimb) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.result(loinc::haptoglobin, "2024-01-10T08:00:00Z", 36);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, HaptoglobinInGramsPerLitreIsConverted) {
  auto s = bare_course();
  platelet_limb(s);
  creatinine_limb(s);
  s.lab({.loinc = loinc::haptoglobin, .time = "2024-01-10T08:00:00Z", .value = 0.3, .unit = "g/L"});  // 30 mg/dL
  EXPECT_EQ(tma_count(s), 1u);
}

// --- limb (c): creatinine >= 1.5 x baseline, a 48-hour rise >= 0.3, or above range without baseline ---

TEST(PostInfusionTma, CreatinineExactlyOneAndAHalfTimesBaselineMeetsTheCreatinineLimb) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.2);
  EXPECT_EQ(tma_count(s), 1u);
}

TEST(PostInfusionTma, CreatinineJustUnderOneAndAHalfTimesBaselineDoesNotMeetTheCreatinineLimb) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  // Baseline 0.9: the ratio cut-off is 1.35.
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.9).result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.34);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, WithACreatinineBaselineAboveRangeAloneDoesNotMeetTheCreatinineLimb) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  // 1.3 is above the 1.2 upper limit but only 1.44 x the baseline of 0.9.
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.9).result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.3);
  EXPECT_EQ(tma_count(s), 0u);
}

TEST(PostInfusionTma, WithoutACreatinineBaselineCreatinineJustAboveRangeMeetsTheCreatinineLimb) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  s.result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.21);
  EXPECT_EQ(tma_count(s), 1u);
}

TEST(PostInfusionTma, WithoutACreatinineBaselineCreatinineAtTheUpperLimitDoesNotMeetTheCreatinineLimb) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  s.result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.2);
  EXPECT_EQ(tma_count(s), 0u);
}

// A creatinine baseline of 1.0 (so the ratio criterion needs 1.5), 0.9 on 2024-01-10T08:00Z in
// the acute window, then `later_value` at `later_time`.
Scenario creatinine_rise(const std::string& later_time, double later_value) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 1.0, "cr-base")
      .course(first_day, 5)
      .result(loinc::creatinine, "2024-01-10T08:00:00Z", 0.9, "cr-early")
      .result(loinc::creatinine, later_time, later_value, "cr-late");
  return s;
}

TEST(PostInfusionTma, ACreatinineRiseOfExactlyPointThreeIn48HoursMeetsTheCreatinineLimb) {
  // 1.2 - 0.9 is 0.29999999999999993 in binary floating point: the rule must read it as 0.3.
  auto s = creatinine_rise("2024-01-12T08:00:00Z", 1.2);
  platelet_limb(s);
  haemolysis_limb(s);
  const auto tma = with_code(s.evaluate(at), "post-infusion-tma");
  ASSERT_EQ(tma.size(), 1u);
  // The earlier creatinine of the rise is cited after the qualifying one.
  EXPECT_EQ(evidence_references(tma[0]), (std::vector<std::string>{"Observation/plt-limb", "Observation/hb-limb",
                                                                    "Observation/cr-late", "Observation/cr-early"}));
}

TEST(PostInfusionTma, ACreatinineRiseOverMoreThan48HoursDoesNotMeetTheCreatinineLimb) {
  auto s = creatinine_rise("2024-01-12T08:01:00Z", 1.2);
  platelet_limb(s);
  haemolysis_limb(s);
  EXPECT_EQ(tma_count(s), 0u);
}

// --- identifiedDateTime: the latest of the three limbs' first qualifying results ---

TEST(PostInfusionTma, IdentifiedAtTheLatestOfTheLimbsFirstQualifyingResults) {
  auto s = bare_course();
  s.result(loinc::platelets, "2024-01-09T08:00:00Z", 100, "plt-1")
      .result(loinc::platelets, "2024-01-20T08:00:00Z", 90, "plt-2")
      .result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.5, "cr-1")
      .result(loinc::creatinine, "2024-01-16T08:00:00Z", 1.8, "cr-2")
      .result(loinc::haemoglobin, "2024-01-13T08:00:00Z", 9.5, "hb-1")
      .result(loinc::haemoglobin, "2024-01-22T08:00:00Z", 8.5, "hb-2");
  const auto tma = with_code(s.evaluate(at), "post-infusion-tma");
  ASSERT_EQ(tma.size(), 1u);
  EXPECT_EQ(identified(tma[0]), "2024-01-13T08:00:00Z");
  EXPECT_EQ(evidence_references(tma[0]),
            (std::vector<std::string>{"Observation/plt-1", "Observation/plt-2", "Observation/hb-1", "Observation/hb-2",
                                      "Observation/cr-1", "Observation/cr-2"}));
}

TEST(PostInfusionTma, ResultsAfterTheEvaluationTimeAreNotUsed) {
  auto s = bare_course();
  platelet_limb(s);
  haemolysis_limb(s);
  s.result(loinc::creatinine, "2024-01-20T08:00:00Z", 1.5);
  EXPECT_TRUE(with_code(s.evaluate("2024-01-20T07:00:00Z"), "post-infusion-tma").empty());
}

TEST(PostInfusionTma, OneEpisodePerCourse) {
  Scenario s;
  s.course(first_day, 5).course("2025-01-13", 3);
  for (const char* day : {"2024-01-10", "2025-01-15"}) {
    const std::string t = std::string(day) + "T08:00:00Z";
    s.result(loinc::platelets, t, 100).result(loinc::haemoglobin, t, 9).result(loinc::creatinine, t, 1.5);
  }
  const auto tma = with_code(s.evaluate("2025-02-10T00:00:00Z"), "post-infusion-tma");
  EXPECT_EQ(identifiers(tma), (std::vector<std::string>{"p1/post-infusion-tma/course-2024-01-08",
                                                        "p1/post-infusion-tma/course-2025-01-13"}));
  ASSERT_EQ(tma.size(), 2u);
  EXPECT_EQ(implicated(tma[1]).size(), 3u);
}

// --- acute-kidney-injury ---

TEST(AcuteKidneyInjury, CreatinineExactlyOneAndAHalfTimesBaselineIsModerate) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8, "cr-base").course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-15T08:00:00Z", 1.2, "cr");  // 0.8 x 1.5 is 1.2000000000000002 in binary
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(identifier(aki[0]), "p1/acute-kidney-injury/course-2024-01-08");
  EXPECT_EQ(severity(aki[0]), "moderate");
  EXPECT_EQ(identified(aki[0]), "2024-01-15T08:00:00Z");
  EXPECT_EQ(evidence_references(aki[0]), (std::vector<std::string>{"Observation/cr", "Observation/cr-base"}));
  EXPECT_TRUE(has_coding(aki[0], "http://snomed.info/sct", "14669001"));
  EXPECT_NE(detail(aki[0]).find("; baseline 0.8 mg/dL on 2023-12-20."), std::string::npos) << detail(aki[0]);
}

TEST(AcuteKidneyInjury, CreatinineJustUnderOneAndAHalfTimesBaselineDoesNotFire) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-15T08:00:00Z", 1.19);
  EXPECT_TRUE(with_code(s.evaluate(at), "acute-kidney-injury").empty());
}

TEST(AcuteKidneyInjury, HasNoAbsoluteLimbWithoutBaseline) {
  Scenario s;
  s.course(first_day, 5).result(loinc::creatinine, "2024-01-15T08:00:00Z", 3.5);
  EXPECT_TRUE(with_code(s.evaluate(at), "acute-kidney-injury").empty());
}

TEST(AcuteKidneyInjury, ARiseOfExactlyPointThreeOverExactly48HoursIsModerate) {
  auto s = creatinine_rise("2024-01-12T08:00:00Z", 1.2);
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "moderate");
  EXPECT_EQ(identified(aki[0]), "2024-01-12T08:00:00Z");
  EXPECT_EQ(evidence_references(aki[0]), (std::vector<std::string>{"Observation/cr-late", "Observation/cr-early"}));
  EXPECT_NE(detail(aki[0]).find("; 0.9 mg/dL on 2024-01-10 within the previous 48 hours."), std::string::npos)
      << detail(aki[0]);
}

TEST(AcuteKidneyInjury, ARiseOfPointTwoNineDoesNotFire) {
  auto s = creatinine_rise("2024-01-12T08:00:00Z", 1.19);
  EXPECT_TRUE(with_code(s.evaluate(at), "acute-kidney-injury").empty());
}

TEST(AcuteKidneyInjury, ARiseOverFortyEightHoursAndOneMinuteDoesNotFire) {
  auto s = creatinine_rise("2024-01-12T08:01:00Z", 1.2);
  EXPECT_TRUE(with_code(s.evaluate(at), "acute-kidney-injury").empty());
}

TEST(AcuteKidneyInjury, TheRiseUsesThePreInfusionCreatinine) {
  Scenario s;
  // 0.7 the day before the first infusion: both the baseline and the earlier result of the rise.
  s.result(loinc::creatinine, "2024-01-07T21:00:00Z", 0.7, "cr-pre").course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-08T20:00:00Z", 1.0, "cr");  // 1.43 x baseline, +0.3 in 23 hours
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "moderate");
  EXPECT_EQ(identified(aki[0]), "2024-01-08T20:00:00Z");
  EXPECT_EQ(evidence_references(aki[0]), (std::vector<std::string>{"Observation/cr", "Observation/cr-pre"}));
  EXPECT_NE(detail(aki[0]).find("within the previous 48 hours"), std::string::npos) << detail(aki[0]);
}

TEST(AcuteKidneyInjury, TheRiseUsesAPreInfusionCreatinineThatIsNotTheBaseline) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 1.0, "cr-base")
      .result(loinc::creatinine, "2024-01-07T12:00:00Z", 0.8, "cr-pre")
      .result(loinc::creatinine, "2024-01-08T08:00:00Z", 0.9, "cr-baseline-latest")
      .course(first_day, 5)
      .result(loinc::creatinine, "2024-01-09T10:00:00Z", 1.1, "cr");
  // Baseline is 0.9 (the latest before the course): 1.1 is 1.22 x. The rise over 0.8 (46 h earlier) is 0.3.
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(evidence_references(aki[0]), (std::vector<std::string>{"Observation/cr", "Observation/cr-pre"}));
}

TEST(AcuteKidneyInjury, ExactlyTwiceBaselineIsHigh) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-15T08:00:00Z", 1.6);
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "high");
}

TEST(AcuteKidneyInjury, JustUnderTwiceBaselineIsModerate) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-15T08:00:00Z", 1.59);
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "moderate");
}

TEST(AcuteKidneyInjury, ARiseToExactlyFourIsHighWithoutBaseline) {
  Scenario s;
  s.course(first_day, 5).result(loinc::creatinine, "2024-01-14T08:00:00Z", 3.7).result(loinc::creatinine, "2024-01-15T08:00:00Z", 4.0);
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "high");
}

TEST(AcuteKidneyInjury, ARiseToJustUnderFourIsModerateWithoutBaseline) {
  Scenario s;
  s.course(first_day, 5).result(loinc::creatinine, "2024-01-14T08:00:00Z", 3.69).result(loinc::creatinine, "2024-01-15T08:00:00Z", 3.99);
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "moderate");
}

TEST(AcuteKidneyInjury, SeverityIsTheWorstOfTheCourse) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.2, "cr-1").result(loinc::creatinine, "2024-01-20T08:00:00Z", 1.7, "cr-2");
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "high");
  EXPECT_EQ(identified(aki[0]), "2024-01-10T08:00:00Z");
}

TEST(AcuteKidneyInjury, CreatinineInMicromolesPerLitreIsConverted) {
  Scenario s;
  // 88.4 umol/L = 1 mg/dL; 132.6 umol/L = 1.5 mg/dL, exactly 1.5 x baseline.
  s.lab({.loinc = loinc::creatinine, .time = "2023-12-20T08:00:00Z", .value = 88.4, .unit = "umol/L", .id = "cr-base"})
      .course(first_day, 5)
      .lab({.loinc = loinc::creatinine, .time = "2024-01-15T08:00:00Z", .value = 132.6, .unit = "umol/L", .id = "cr"});
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "moderate");
  EXPECT_EQ(detail(aki[0]).rfind("Creatinine 1.5 mg/dL on 2024-01-15", 0), 0u) << detail(aki[0]);
  EXPECT_NE(detail(aki[0]).find("baseline 1 mg/dL on 2023-12-20"), std::string::npos) << detail(aki[0]);
}

TEST(AcuteKidneyInjury, MixedUnitsCompareAfterConversion) {
  Scenario s;
  // Baseline 0.8 mg/dL; 176.8 umol/L = 2.0 mg/dL = 2.5 x baseline.
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8)
      .course(first_day, 5)
      .lab({.loinc = loinc::creatinine, .time = "2024-01-15T08:00:00Z", .value = 176.8, .unit = "umol/L"});
  const auto aki = with_code(s.evaluate(at), "acute-kidney-injury");
  ASSERT_EQ(aki.size(), 1u);
  EXPECT_EQ(severity(aki[0]), "high");
}

TEST(AcuteKidneyInjury, CreatinineInUmolPerLitreForTheSecondLoincIsConverted) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 1.0)
      .course(first_day, 5)
      .lab({.loinc = "14682-9", .time = "2024-01-15T08:00:00Z", .value = 130, .unit = "umol/L"});  // 1.47 mg/dL
  EXPECT_TRUE(with_code(s.evaluate(at), "acute-kidney-injury").empty());
}

TEST(AcuteKidneyInjury, ExactlyAtTheEndOfTheAcuteWindowCounts) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-26T09:00:00Z", 1.6);
  EXPECT_EQ(with_code(s.evaluate(at), "acute-kidney-injury").size(), 1u);
}

TEST(AcuteKidneyInjury, OneHourAfterTheAcuteWindowDoesNotCount) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course(first_day, 5);
  s.result(loinc::creatinine, "2024-01-26T10:00:00Z", 1.6);
  EXPECT_TRUE(with_code(s.evaluate(at), "acute-kidney-injury").empty());
}

TEST(AcuteKidneyInjury, OneEpisodePerCourseAnchoredOnTheCourseStart) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8)
      .course(first_day, 5)
      .result(loinc::creatinine, "2024-01-10T08:00:00Z", 1.3)
      .result(loinc::creatinine, "2024-01-12T08:00:00Z", 1.4)
      .result(loinc::creatinine, "2024-12-20T08:00:00Z", 0.8)
      .course("2025-01-13", 3)
      .result(loinc::creatinine, "2025-01-15T08:00:00Z", 1.2);
  const auto aki = with_code(s.evaluate("2025-02-10T00:00:00Z"), "acute-kidney-injury");
  EXPECT_EQ(identifiers(aki), (std::vector<std::string>{"p1/acute-kidney-injury/course-2024-01-08",
                                                        "p1/acute-kidney-injury/course-2025-01-13"}));
}

TEST(AcuteKidneyInjury, IsRaisedBesideTma) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course(first_day, 5);
  platelet_limb(s);
  haemolysis_limb(s);
  s.result(loinc::creatinine, "2024-01-12T08:00:00Z", 1.6);
  const auto issues = s.evaluate(at);
  EXPECT_EQ(with_code(issues, "post-infusion-tma").size(), 1u);
  EXPECT_EQ(with_code(issues, "acute-kidney-injury").size(), 1u);
}

}  // namespace
}  // namespace alemwatch::testing
