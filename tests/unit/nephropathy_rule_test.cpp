// The nephropathy rule at its edges (signals.md section 3): creatinine against baseline or
// range, anti-GBM antibody, urinalysis, and the acute windows it leaves to AKI.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

constexpr const char* at = "2026-11-01T00:00:00Z";
constexpr const char* when = "2025-03-05T08:00:00Z";  // no routine result that day

bool has_snomed(const boost::json::object& issue, const std::string& code) {
  for (const auto& c : issue.at("code").at("coding").as_array())
    if (c.at("system").as_string() == "http://snomed.info/sct" && c.at("code").as_string() == code) return true;
  return false;
}

bool has_any_snomed(const boost::json::object& issue) {
  for (const auto& c : issue.at("code").at("coding").as_array())
    if (c.at("system").as_string() == "http://snomed.info/sct") return true;
  return false;
}

// Course 1 in January 2024 with baselines (creatinine 0.8, "cr-base"), then routine monitoring
// (creatinine 0.8, urine protein negative) until the evaluation time.
Scenario monitored_patient() {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250)
      .result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8, "cr-base")
      .lab({.loinc = loinc::urine_protein, .time = "2023-12-20T08:00:00Z", .value_string = "Negative"})
      .result(loinc::tsh, "2023-12-20T08:00:00Z", 2.0)
      .course("2024-01-08", 5)
      .routine_monitoring("2024-02-10", "2026-10-20");
  return s;
}

// The same patient with no result before the course: no creatinine baseline.
Scenario patient_without_baseline() {
  Scenario s;
  s.course("2024-01-08", 5).routine_monitoring("2024-02-10", "2026-10-20");
  return s;
}

std::vector<boost::json::object> nephropathy(Scenario& s) { return with_code(s.evaluate(at), "nephropathy"); }

// --- creatinine against its baseline ---

TEST(NephropathyRule, CreatinineExactlyOneAndAHalfTimesBaselineIsModerate) {
  auto s = monitored_patient();
  s.result(loinc::creatinine, when, 1.2, "cr");  // 0.8 x 1.5 is 1.2000000000000002 in binary
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(identifier(n[0]), "p1/nephropathy/2025-03-05");
  EXPECT_EQ(severity(n[0]), "moderate");
  EXPECT_EQ(identified(n[0]), "2025-03-05T08:00:00Z");
  EXPECT_EQ(evidence_references(n[0]), (std::vector<std::string>{"Observation/cr", "Observation/cr-base"}));
  EXPECT_FALSE(has_any_snomed(n[0]));  // the anti-GBM disorder code only when anti-GBM is positive
  EXPECT_NE(detail(n[0]).find("Creatinine 1.2 mg/dL on 2025-03-05"), std::string::npos) << detail(n[0]);
  EXPECT_NE(detail(n[0]).find("; baseline 0.8 mg/dL on 2023-12-20."), std::string::npos) << detail(n[0]);
}

TEST(NephropathyRule, CreatinineJustUnderOneAndAHalfTimesBaselineDoesNotFire) {
  auto s = monitored_patient();
  s.result(loinc::creatinine, when, 1.19);
  EXPECT_TRUE(nephropathy(s).empty());
}

TEST(NephropathyRule, WithABaselineCreatinineAboveRangeButUnderTheRatioDoesNotFire) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 1.0).course("2024-01-08", 5);
  s.result(loinc::creatinine, when, 1.4);  // above 1.2, but 1.4 x baseline
  EXPECT_TRUE(with_code(s.evaluate(at), "nephropathy").empty());
}

TEST(NephropathyRule, CreatinineExactlyTwiceBaselineIsHigh) {
  auto s = monitored_patient();
  s.result(loinc::creatinine, when, 1.6);
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "high");
}

TEST(NephropathyRule, CreatinineJustUnderTwiceBaselineIsModerate) {
  auto s = monitored_patient();
  s.result(loinc::creatinine, when, 1.59);
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "moderate");
}

TEST(NephropathyRule, CreatinineInMicromolesPerLitreIsConvertedBeforeTheRatio) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::creatinine, .time = when, .value = 141.44, .unit = "umol/L"});  // 1.6 mg/dL
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "high");
}

// --- no creatinine baseline: above the reference range ---

TEST(NephropathyRule, WithoutBaselineCreatinineJustAboveRangeIsLow) {
  auto s = patient_without_baseline();
  s.result(loinc::creatinine, when, 1.21, "cr");
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "low");
  EXPECT_EQ(evidence_references(n[0]), (std::vector<std::string>{"Observation/cr"}));
}

TEST(NephropathyRule, WithoutBaselineCreatinineAtTheUpperLimitDoesNotFire) {
  auto s = patient_without_baseline();
  s.result(loinc::creatinine, when, 1.2);
  EXPECT_TRUE(nephropathy(s).empty());
}

TEST(NephropathyRule, WithoutBaselineTheObservationsUpperLimitIsUsed) {
  auto s = patient_without_baseline();
  s.lab({.loinc = loinc::creatinine, .time = when, .value = 1.05, .unit = "mg/dL", .range_low = 0.5, .range_high = 1.0});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "low");
}

TEST(NephropathyRule, WithoutBaselineEvenTwiceTheUpperLimitIsOnlyLow) {
  auto s = patient_without_baseline();
  s.result(loinc::creatinine, when, 2.5);
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "low");
}

// --- anti-GBM antibody ---

TEST(NephropathyRule, PositiveAntiGbmByItsReferenceRangeIsHighWithTheAntiGbmDisorderCode) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::anti_gbm, .time = when, .value = 25, .unit = "U/mL", .range_high = 20, .id = "gbm"});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "high");
  EXPECT_TRUE(has_snomed(n[0], "788613004"));
  EXPECT_EQ(evidence_references(n[0]), (std::vector<std::string>{"Observation/gbm"}));
  EXPECT_NE(detail(n[0]).find("Anti-GBM antibody 25 U/mL on 2025-03-05"), std::string::npos) << detail(n[0]);
}

TEST(NephropathyRule, AntiGbmAtTheUpperReferenceLimitIsNegative) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::anti_gbm, .time = when, .value = 20, .unit = "U/mL", .range_high = 20});
  EXPECT_TRUE(nephropathy(s).empty());
}

TEST(NephropathyRule, AntiGbmReportedPositiveAsTextIsHigh) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::anti_gbm, .time = when, .value_string = "Positive"});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "high");
  EXPECT_TRUE(has_snomed(n[0], "788613004"));
}

TEST(NephropathyRule, AntiGbmWithOnlyAPositiveInterpretationIsHigh) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::anti_gbm, .time = when, .value = 7, .unit = "U/mL", .interpretation = "POS"});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "high");
  EXPECT_NE(detail(n[0]).find("(interpretation POS)"), std::string::npos) << detail(n[0]);
}

TEST(NephropathyRule, AntiGbmWithoutRangeOrInterpretationIsNotUsedAndIsReported) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::anti_gbm, .time = when, .value = 250, .unit = "U/mL", .id = "gbm-bare"});
  EXPECT_TRUE(nephropathy(s).empty());
  bool reported = false;
  for (const auto& p : s.summary().problems())
    if (p.resource_id == "gbm-bare" && p.path == "Observation.referenceRange") reported = true;
  EXPECT_TRUE(reported);
}

TEST(NephropathyRule, AntiGbmMakesACreatinineEpisodeHighAndAddsTheDisorderCode) {
  auto s = monitored_patient();
  s.result(loinc::creatinine, when, 1.3, "cr");
  s.lab({.loinc = loinc::anti_gbm, .time = "2025-03-10T08:00:00Z", .value_string = "Positive", .id = "gbm"});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(identifier(n[0]), "p1/nephropathy/2025-03-05");
  EXPECT_EQ(severity(n[0]), "high");
  EXPECT_TRUE(has_snomed(n[0], "788613004"));
  // Evidence in the order of analytes.json: creatinine (with its baseline), then anti-GBM.
  EXPECT_EQ(evidence_references(n[0]),
            (std::vector<std::string>{"Observation/cr", "Observation/cr-base", "Observation/gbm"}));
}

// --- urinalysis ---

struct UrinalysisCase {
  const char* name;
  Lab lab;
  bool positive;
};

class NephropathyUrinalysis : public ::testing::TestWithParam<UrinalysisCase> {};

TEST_P(NephropathyUrinalysis, ASinglePositiveUrinalysisIsLow) {
  auto s = monitored_patient();
  Lab lab = GetParam().lab;
  lab.time = when;
  lab.id = "ua";
  s.lab(lab);
  const auto n = nephropathy(s);
  if (!GetParam().positive) {
    EXPECT_TRUE(n.empty());
    return;
  }
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(identifier(n[0]), "p1/nephropathy/2025-03-05");
  EXPECT_EQ(severity(n[0]), "low");
  EXPECT_EQ(evidence_references(n[0]), (std::vector<std::string>{"Observation/ua"}));
}

INSTANTIATE_TEST_SUITE_P(
    Edges, NephropathyUrinalysis,
    ::testing::Values(
        UrinalysisCase{"DipstickOnePlus", {.loinc = loinc::urine_protein, .value_string = "1+"}, true},
        UrinalysisCase{"DipstickThreePlus", {.loinc = loinc::urine_protein, .value_string = "3+"}, true},
        UrinalysisCase{"DipstickTrace", {.loinc = loinc::urine_protein, .value_string = "Trace"}, false},
        UrinalysisCase{"DipstickNegative", {.loinc = loinc::urine_protein, .value_string = "Negative"}, false},
        UrinalysisCase{"DipstickTraceWithInterpretationA", {.loinc = loinc::urine_protein, .value_string = "Trace",
                                                           .interpretation = "A"}, true},
        UrinalysisCase{"UrineBloodOnePlus", {.loinc = loinc::urine_blood, .value_string = "1+"}, true},
        UrinalysisCase{"UrineBloodTrace", {.loinc = loinc::urine_blood, .value_string = "trace"}, false},
        UrinalysisCase{"StripAsTextOnePlus", {.loinc = loinc::urine_protein_strip, .value_string = "1+"}, true},
        UrinalysisCase{"StripThirtyMgPerDl", {.loinc = loinc::urine_protein_strip, .value = 30, .unit = "mg/dL"}, true},
        UrinalysisCase{"StripTwentyNinePointNine", {.loinc = loinc::urine_protein_strip, .value = 29.9, .unit = "mg/dL"}, false},
        UrinalysisCase{"StripPointThreeGramsPerLitre", {.loinc = loinc::urine_protein_strip, .value = 0.3, .unit = "g/L"}, true},
        UrinalysisCase{"RatioTwoHundred", {.loinc = loinc::urine_protein_ratio, .value = 200, .unit = "mg/g"}, false},
        UrinalysisCase{"RatioTwoHundredPointOne", {.loinc = loinc::urine_protein_ratio, .value = 200.1, .unit = "mg/g"}, true},
        UrinalysisCase{"RatioPointTwoGramsPerGram", {.loinc = loinc::urine_protein_ratio, .value = 0.2, .unit = "g/g"}, false},
        UrinalysisCase{"RbcFour", {.loinc = loinc::urine_rbc, .value = 4, .unit = "/[HPF]"}, false},
        UrinalysisCase{"RbcFourPointOne", {.loinc = loinc::urine_rbc, .value = 4.1, .unit = "/[HPF]"}, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(NephropathyRule, TwoPositiveUrinalysesInOneEpisodeAreModerate) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::urine_protein, .time = when, .value_string = "1+", .id = "ua-1"});
  s.result(loinc::urine_rbc, "2025-03-20T08:00:00Z", 10, "ua-2");
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "moderate");
  // Evidence per analyte in analytes.json order: urine protein before urine red cells.
  EXPECT_EQ(evidence_references(n[0]), (std::vector<std::string>{"Observation/ua-1", "Observation/ua-2"}));
}

TEST(NephropathyRule, TwoPositiveResultsOfOneUrinalysisEachCount) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::urine_protein, .time = when, .value_string = "2+"});
  s.lab({.loinc = loinc::urine_blood, .time = when, .value_string = "1+"});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "moderate");
}

TEST(NephropathyRule, PositiveUrinalysesMoreThanNinetyDaysApartAreTwoLowEpisodes) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::urine_protein, .time = when, .value_string = "1+"});
  s.lab({.loinc = loinc::urine_protein, .time = "2025-06-03T09:00:00Z", .value_string = "1+"});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(identifier(n[0]), "p1/nephropathy/2025-03-05");
  EXPECT_EQ(identifier(n[1]), "p1/nephropathy/2025-06-03");
  EXPECT_EQ(severity(n[0]), "low");
  EXPECT_EQ(severity(n[1]), "low");
}

TEST(NephropathyRule, PositiveUrinalysesExactlyNinetyDaysApartAreOneModerateEpisode) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::urine_protein, .time = when, .value_string = "1+"});
  s.lab({.loinc = loinc::urine_protein, .time = "2025-06-03T08:00:00Z", .value_string = "1+"});
  const auto n = nephropathy(s);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "moderate");
}

TEST(NephropathyRule, AnUnreadableDipstickIsNotUsedAndIsReported) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::urine_protein, .time = when, .value_string = "see comment", .id = "ua-odd"});
  EXPECT_TRUE(nephropathy(s).empty());
  bool reported = false;
  for (const auto& p : s.summary().problems())
    if (p.resource_id == "ua-odd") reported = true;
  EXPECT_TRUE(reported);
}

// --- acute windows belong to AKI ---

TEST(NephropathyRule, CreatinineInsideTheAcuteWindowIsNotNephropathy) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course("2024-01-08", 5);
  s.result(loinc::creatinine, "2024-01-26T09:00:00Z", 1.6);  // exactly last infusion + 14 days
  const auto issues = s.evaluate("2024-02-01T00:00:00Z");
  EXPECT_TRUE(with_code(issues, "nephropathy").empty());
  EXPECT_EQ(with_code(issues, "acute-kidney-injury").size(), 1u);
}

TEST(NephropathyRule, CreatinineOneHourAfterTheAcuteWindowIsNephropathy) {
  Scenario s;
  s.result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8).course("2024-01-08", 5);
  s.result(loinc::creatinine, "2024-01-26T10:00:00Z", 1.6);
  const auto issues = s.evaluate("2024-02-01T00:00:00Z");
  const auto n = with_code(issues, "nephropathy");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "high");
  EXPECT_TRUE(with_code(issues, "acute-kidney-injury").empty());
}

TEST(NephropathyRule, PositiveUrinalysisOrAntiGbmInsideTheAcuteWindowIsNotNephropathy) {
  Scenario s;
  s.course("2024-01-08", 5);
  s.lab({.loinc = loinc::urine_protein, .time = "2024-01-15T08:00:00Z", .value_string = "2+"});
  s.lab({.loinc = loinc::anti_gbm, .time = "2024-01-15T08:00:00Z", .value_string = "Positive"});
  EXPECT_TRUE(with_code(s.evaluate("2024-02-01T00:00:00Z"), "nephropathy").empty());
}

TEST(NephropathyRule, ResultsAfterTheMonitoringWindowDoNotFire) {
  Scenario s;
  s.course("2024-01-08", 5);
  s.lab({.loinc = loinc::urine_protein, .time = "2028-01-12T10:00:00Z", .value_string = "2+"});
  s.lab({.loinc = loinc::urine_protein, .time = "2028-01-12T09:00:00Z", .value_string = "2+", .id = "ua-last"});
  const auto n = with_code(s.evaluate("2028-02-01T00:00:00Z"), "nephropathy");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(evidence_references(n[0]), (std::vector<std::string>{"Observation/ua-last"}));
}

}  // namespace
}  // namespace alemwatch::testing
