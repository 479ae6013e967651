// The itp rule at its edges (signals.md section 3).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

// Course 1 in January 2024 with baselines, then routine monitoring until the evaluation time.
Scenario monitored_patient() {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250, "plt-base")
      .result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8)
      .lab({.loinc = loinc::urine_protein, .time = "2023-12-20T08:00:00Z", .value_string = "Negative"})
      .result(loinc::tsh, "2023-12-20T08:00:00Z", 2.0)
      .course("2024-01-08", 5)
      .routine_monitoring("2024-02-10", "2026-10-20");
  return s;
}

constexpr const char* at = "2026-11-01T00:00:00Z";

TEST(ItpRule, PlateletsExactlyAtOneHundredAreOnlyTheRelativeLowTier) {
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 100);
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "low");
}

TEST(ItpRule, PlateletsJustBelowOneHundredAreModerate) {
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 99.9, "plt-low");
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2025-03-05");
  EXPECT_EQ(severity(itp[0]), "moderate");
  // The relative limb (below 150 and at least 25 % under the baseline of 250) also met.
  EXPECT_EQ(evidence_references(itp[0]), (std::vector<std::string>{"Observation/plt-low", "Observation/plt-base"}));
}


// ---------------------------------------------------------------------------------------------
// Helpers for the tests below.

// Course 1 (2024-01-08 to 2024-01-12, 09:00Z) with a platelet baseline of `baseline` on
// 2023-12-20 and no other results: the acute window ends 2024-01-26T09:00Z and the monitoring
// window 2028-01-12T09:00Z.
Scenario patient_with_platelet_baseline(double baseline) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", baseline, "plt-base").course("2024-01-08", 5);
  return s;
}

// The same course with no platelet count before it.
Scenario patient_without_baseline() {
  Scenario s;
  s.course("2024-01-08", 5);
  return s;
}

constexpr const char* later = "2025-06-01T00:00:00Z";

// --- the absolute tiers ---

TEST(ItpRule, PlateletsExactlyAtThirtyAreModerateNotHigh) {
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 30, "plt-30");
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "moderate");
}

TEST(ItpRule, PlateletsJustBelowThirtyAreHigh) {
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 29.9, "plt-29");
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2025-03-05");
  EXPECT_EQ(severity(itp[0]), "high");
  EXPECT_EQ(identified(itp[0]), "2025-03-05T08:00:00Z");
}

TEST(ItpRule, IssueCarriesTheLabCategoryAndTheItpSnomedCode) {
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 42, "plt-42");
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  bool lab = false, snomed = false;
  for (const auto& c : itp[0].at("code").at("coding").as_array()) {
    if (c.at("system").as_string() == "http://terminology.hl7.org/CodeSystem/v3-ActCode" && c.at("code").as_string() == "LAB")
      lab = true;
    if (c.at("system").as_string() == "http://snomed.info/sct" && c.at("code").as_string() == "2897005") snomed = true;
  }
  EXPECT_TRUE(lab);
  EXPECT_TRUE(snomed);
  EXPECT_EQ(detail(itp[0]).rfind("Platelet count 42 x10^9/L on 2025-03-05, ", 0), 0u) << detail(itp[0]);
}

// --- the early (relative) tier: below the LRL and at least 25 % below baseline ---

TEST(ItpRule, PlateletsExactlySeventyFivePercentOfBaselineAndBelowRangeAreLow) {
  auto s = patient_with_platelet_baseline(180);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 135, "plt-135");  // 75 % of 180, below 150
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2024-06-01");
  EXPECT_EQ(severity(itp[0]), "low");
  EXPECT_EQ(evidence_references(itp[0]), (std::vector<std::string>{"Observation/plt-135", "Observation/plt-base"}));
  EXPECT_NE(detail(itp[0]).find("; baseline 180 x10^9/L on 2023-12-20."), std::string::npos) << detail(itp[0]);
}

TEST(ItpRule, PlateletsAtSeventyFivePointOnePercentOfBaselineDoNotFire) {
  auto s = patient_with_platelet_baseline(180);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 135.18);  // 75.1 % of 180
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, ARelativeDropThatStaysAtTheLowerReferenceLimitDoesNotFire) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 150);  // 60 % of baseline, but not below 150
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, ARelativeDropJustBelowTheLowerReferenceLimitIsLow) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 149.9);
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "low");
}

TEST(ItpRule, ABaselineExactlyNinetyDaysBeforeTheFirstInfusionCounts) {
  Scenario s;
  s.result(loinc::platelets, "2023-10-10T09:00:00Z", 250).course("2024-01-08", 5);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 120);
  EXPECT_EQ(with_code(s.evaluate(later), "itp").size(), 1u);
}

TEST(ItpRule, ABaselineNinetyDaysAndOneHourBeforeTheFirstInfusionIsNoBaseline) {
  Scenario s;
  s.result(loinc::platelets, "2023-10-10T08:00:00Z", 250).course("2024-01-08", 5);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 120);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, AResultAtTheFirstInfusionsInstantIsNoBaseline) {
  Scenario s;
  s.result(loinc::platelets, "2024-01-08T09:00:00Z", 250).course("2024-01-08", 5);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 120);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

// --- no baseline: only the absolute criteria ---

TEST(ItpRule, WithoutBaselineALowCountAboveOneHundredDoesNotFire) {
  auto s = patient_without_baseline();
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 100);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, WithoutBaselineACountBelowOneHundredIsModerateWithoutBaselineEvidence) {
  auto s = patient_without_baseline();
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 99.9, "plt-99");
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "moderate");
  EXPECT_EQ(evidence_references(itp[0]), (std::vector<std::string>{"Observation/plt-99"}));
  EXPECT_EQ(detail(itp[0]).find("baseline"), std::string::npos) << detail(itp[0]);
}

// --- the acute window: last infusion + 14 days, both ends included ---

TEST(ItpRule, ALowCountExactlyFourteenDaysAfterTheLastInfusionIsInsideTheAcuteWindow) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2024-01-26T09:00:00Z", 50);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, ALowCountFourteenDaysAndOneHourAfterTheLastInfusionIsOutsideTheAcuteWindow) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2024-01-26T10:00:00Z", 50, "plt-50");
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2024-01-26");
  EXPECT_EQ(severity(itp[0]), "moderate");
  EXPECT_EQ(identified(itp[0]), "2024-01-26T10:00:00Z");
}

TEST(ItpRule, ALowCountInsideALaterCoursesAcuteWindowDoesNotFire) {
  Scenario s;
  s.course("2024-01-08", 5).course("2025-01-13", 3);  // course 2's acute window ends 2025-01-29T09:00Z
  s.result(loinc::platelets, "2025-01-29T09:00:00Z", 50);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
  s.result(loinc::platelets, "2025-01-29T10:00:00Z", 50);
  EXPECT_EQ(with_code(s.evaluate(later), "itp").size(), 1u);
}

TEST(ItpRule, ALowCountBeforeTheFirstInfusionIsOnlyABaseline) {
  Scenario s;
  s.result(loinc::platelets, "2024-01-01T08:00:00Z", 20).course("2024-01-08", 5);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

// --- episodes: a qualifying result more than 90 days after the previous one starts a new one ---

TEST(ItpRule, TwoQualifyingResultsExactlyNinetyDaysApartAreOneEpisode) {
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 80, "plt-a").result(loinc::platelets, "2025-06-03T08:00:00Z", 20, "plt-b");
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2025-03-05");
  EXPECT_EQ(severity(itp[0]), "high");  // the worst tier of the episode
  EXPECT_EQ(identified(itp[0]), "2025-03-05T08:00:00Z");
  EXPECT_EQ(evidence_references(itp[0]),
            (std::vector<std::string>{"Observation/plt-a", "Observation/plt-b", "Observation/plt-base"}));
  EXPECT_NE(detail(itp[0]).find("2 qualifying results up to 2025-06-03."), std::string::npos) << detail(itp[0]);
}

TEST(ItpRule, ASecondQualifyingResultNinetyDaysAndOneHourLaterStartsASecondEpisode) {
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 80, "plt-a").result(loinc::platelets, "2025-06-03T09:00:00Z", 20, "plt-b");
  const auto itp = with_code(s.evaluate(at), "itp");
  ASSERT_EQ(itp.size(), 2u);
  EXPECT_EQ(identifiers(itp), (std::vector<std::string>{"p1/itp/2025-03-05", "p1/itp/2025-06-03"}));
  EXPECT_EQ(severity(itp[0]), "moderate");
  EXPECT_EQ(severity(itp[1]), "high");
  EXPECT_EQ(evidence_references(itp[0]), (std::vector<std::string>{"Observation/plt-a", "Observation/plt-base"}));
  EXPECT_EQ(evidence_references(itp[1]), (std::vector<std::string>{"Observation/plt-b", "Observation/plt-base"}));
}

TEST(ItpRule, NormalResultsBetweenQualifyingOnesDoNotCloseTheEpisode) {
  // Routine counts of 250 lie between; only qualifying results count for the 90-day gap.
  auto s = monitored_patient();
  s.result(loinc::platelets, "2025-03-05T08:00:00Z", 80).result(loinc::platelets, "2025-05-20T08:00:00Z", 80);
  EXPECT_EQ(with_code(s.evaluate(at), "itp").size(), 1u);
}

// --- the Observation's reference range ---

TEST(ItpRule, TheObservationsLowerReferenceLimitReplacesTheDefault) {
  auto s = patient_with_platelet_baseline(250);
  // 180 is not below the default 150, but is below this laboratory's 200, and <= 75 % of 250.
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 180, .unit = "10*3/uL",
         .range_low = 200, .range_high = 450, .id = "plt-180"});
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "low");
}

TEST(ItpRule, WithoutAnObservationRangeTheDefaultLowerLimitApplies) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 180);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, ALowerObservationLimitCanSilenceTheRelativeTier) {
  auto s = patient_with_platelet_baseline(250);
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 140, .unit = "10*3/uL", .range_low = 130});
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, ARangeInAnotherConvertibleUnitIsConverted) {
  auto s = patient_with_platelet_baseline(250);
  // 200000 /uL = 200 x10^9/L.
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 180, .unit = "10*3/uL",
         .range_low = 200000, .range_unit = "/uL"});
  EXPECT_EQ(with_code(s.evaluate(later), "itp").size(), 1u);
}

// --- the monitoring window: first infusion to last infusion + 1461 days ---

TEST(ItpRule, ALowCountExactlyAtTheEndOfTheMonitoringWindowFires) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2028-01-12T09:00:00Z", 50);
  const auto itp = with_code(s.evaluate("2028-02-01T00:00:00Z"), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(identifier(itp[0]), "p1/itp/2028-01-12");
}

TEST(ItpRule, ALowCountOneHourAfterTheMonitoringWindowDoesNotFire) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2028-01-12T10:00:00Z", 50);
  EXPECT_TRUE(with_code(s.evaluate("2028-02-01T00:00:00Z"), "itp").empty());
}

TEST(ItpRule, ALowCountAfterTheEvaluationTimeIsNotJudged) {
  auto s = patient_with_platelet_baseline(250);
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 50);
  EXPECT_TRUE(with_code(s.evaluate("2024-06-01T07:59:59Z"), "itp").empty());
  EXPECT_EQ(with_code(s.evaluate("2024-06-01T08:00:00Z"), "itp").size(), 1u);
}

// --- statuses ---

class ItpStatus : public ::testing::TestWithParam<std::pair<std::string, bool>> {};

TEST_P(ItpStatus, OnlyFinalAmendedCorrectedAndPreliminaryResultsCount) {
  const auto& [status, counts] = GetParam();
  auto s = patient_with_platelet_baseline(250);
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 50, .unit = "10*3/uL", .status = status});
  EXPECT_EQ(with_code(s.evaluate(later), "itp").size(), counts ? 1u : 0u) << status;
}

INSTANTIATE_TEST_SUITE_P(Statuses, ItpStatus,
                         ::testing::Values(std::pair{std::string("final"), true}, std::pair{std::string("amended"), true},
                                           std::pair{std::string("corrected"), true},
                                           std::pair{std::string("preliminary"), true},
                                           std::pair{std::string("entered-in-error"), false},
                                           std::pair{std::string("cancelled"), false},
                                           std::pair{std::string("registered"), false},
                                           std::pair{std::string("unknown"), false}),
                         [](const auto& info) {
                           std::string n = info.param.first;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(ItpRule, AnEnteredInErrorBaselineIsNoBaseline) {
  Scenario s;
  s.lab({.loinc = loinc::platelets, .time = "2023-12-20T08:00:00Z", .value = 180, .unit = "10*3/uL",
         .status = "entered-in-error"})
      .course("2024-01-08", 5)
      .result(loinc::platelets, "2024-06-01T08:00:00Z", 120);
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

// --- converted units ---

TEST(ItpRule, KPerMicrolitreIsThousandsPerMicrolitre) {
  auto s = patient_without_baseline();
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 95, .unit = "K/uL"});
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "moderate");
  EXPECT_EQ(detail(itp[0]).rfind("Platelet count 95 x10^9/L on 2024-06-01", 0), 0u) << detail(itp[0]);
}

TEST(ItpRule, ARawCountPerMicrolitreIsDividedByAThousand) {
  auto s = patient_without_baseline();
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 95000, .unit = "/uL"});
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "moderate");
  EXPECT_EQ(detail(itp[0]).rfind("Platelet count 95 x10^9/L on 2024-06-01", 0), 0u) << detail(itp[0]);
}

TEST(ItpRule, ARawCountOfOneHundredThousandPerMicrolitreIsNotBelowOneHundred) {
  auto s = patient_without_baseline();
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 100000, .unit = "/uL"});
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, LakhPerCubicMillimetreIsAHundredThousandPerMicrolitre) {
  auto s = patient_without_baseline();
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 0.9, .unit = "lakh/cumm"});
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "moderate");  // 90, not 0.9 (which would be high)
  EXPECT_EQ(detail(itp[0]).rfind("Platelet count 90 x10^9/L on 2024-06-01", 0), 0u) << detail(itp[0]);
}

TEST(ItpRule, TenToTheNinthPerLitreAndGigaPerLitreAreReadAsIs) {
  for (const char* unit : {"10*9/L", "10^9/L", "Giga/L", "G/L", "x10E3/uL", "thou/cumm"}) {
    auto s = patient_without_baseline();
    s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 25, .unit = unit});
    const auto itp = with_code(s.evaluate(later), "itp");
    ASSERT_EQ(itp.size(), 1u) << unit;
    EXPECT_EQ(severity(itp[0]), "high") << unit;
  }
}

TEST(ItpRule, AnUnknownPlateletUnitIsNotGuessed) {
  auto s = patient_without_baseline();
  s.lab({.loinc = loinc::platelets, .time = "2024-06-01T08:00:00Z", .value = 20, .unit = "furlongs", .id = "plt-bad"});
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
  EXPECT_EQ(s.summary().unit_problems, 1u);
}

TEST(ItpRule, TheSecondPlateletLoincCodeCountsToo) {
  auto s = patient_without_baseline();
  s.lab({.loinc = "26515-7", .time = "2024-06-01T08:00:00Z", .value = 20, .unit = "10*3/uL"});
  EXPECT_EQ(with_code(s.evaluate(later), "itp").size(), 1u);
}

TEST(ItpRule, ImplicatesTheInfusionsOfTheLatestCourseBeforeTheEpisode) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 12, "completed", "c1-a")
      .infusion("2024-01-09T09:00:00Z", 12, "completed", "c1-b")
      .infusion("2025-01-13T09:00:00Z", 12, "completed", "c2-a")
      .infusion("2025-01-14T09:00:00Z", 12, "completed", "c2-b")
      .result(loinc::platelets, "2025-03-05T08:00:00Z", 50);
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  std::vector<std::string> implicated;
  for (const auto& r : itp[0].at("implicated").as_array()) implicated.emplace_back(r.at("reference").as_string());
  EXPECT_EQ(implicated, (std::vector<std::string>{"MedicationAdministration/c2-a", "MedicationAdministration/c2-b"}));
  EXPECT_NE(detail(itp[0]).find("after the last alemtuzumab infusion (course 2, 2025-01-14)"), std::string::npos)
      << detail(itp[0]);
}

TEST(ItpRule, TheBaselineOfTheLatestCourseBeganBeforeTheResultIsUsed) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250, "base-1")
      .course("2024-01-08", 5)
      .result(loinc::platelets, "2025-01-01T08:00:00Z", 160, "base-2")
      .course("2025-01-13", 3)
      .result(loinc::platelets, "2025-03-05T08:00:00Z", 125, "plt-125");
  // Against course 2's baseline 160, 125 is 78 %: no early tier (it is 50 % of course 1's 250).
  EXPECT_TRUE(with_code(s.evaluate(later), "itp").empty());
}

TEST(ItpRule, TheEarlyTierAgainstTheSecondCoursesBaselineCitesThatBaseline) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250, "base-1")
      .course("2024-01-08", 5)
      .result(loinc::platelets, "2025-01-01T08:00:00Z", 180, "base-2")
      .course("2025-01-13", 3)
      .result(loinc::platelets, "2025-03-05T08:00:00Z", 135, "plt-135");
  const auto itp = with_code(s.evaluate(later), "itp");
  ASSERT_EQ(itp.size(), 1u);
  EXPECT_EQ(severity(itp[0]), "low");
  EXPECT_EQ(evidence_references(itp[0]), (std::vector<std::string>{"Observation/plt-135", "Observation/base-2"}));
}

}  // namespace
}  // namespace alemwatch::testing
