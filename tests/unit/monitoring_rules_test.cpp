// monitoring-overdue-* and baseline-missing at their edges (signals.md section 3).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

// Course 1: 2024-01-08 to 2024-01-12 at 09:00Z; monitoring window to 2028-01-12T09:00Z.

bool has_category(const boost::json::object& issue, const std::string& code) {
  for (const auto& c : issue.at("code").at("coding").as_array())
    if (c.at("system").as_string() == "http://terminology.hl7.org/CodeSystem/v3-ActCode" && c.at("code").as_string() == code)
      return true;
  return false;
}

std::vector<std::string> implicated(const boost::json::object& issue) {
  std::vector<std::string> out;
  if (const auto* i = issue.if_contains("implicated"))
    for (const auto& r : i->as_array()) out.emplace_back(r.at("reference").as_string());
  return out;
}

// All four baselines on 2023-12-20, then course 1.
Scenario patient_with_baselines() {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250)
      .result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8)
      .lab({.loinc = loinc::urine_protein, .time = "2023-12-20T08:00:00Z", .value_string = "Negative"})
      .result(loinc::tsh, "2023-12-20T08:00:00Z", 2.0)
      .course("2024-01-08", 5);
  return s;
}

// --- monitoring-overdue-cbc: more than 38 days since the latest platelet count ---

TEST(MonitoringOverdueCbc, ExactlyThirtyEightDaysAfterTheLastPlateletCountIsNotOverdue) {
  auto s = patient_with_baselines();
  s.result(loinc::platelets, "2024-03-01T08:00:00Z", 250);
  EXPECT_TRUE(with_code(s.evaluate("2024-04-08T08:00:00Z"), "monitoring-overdue-cbc").empty());
}

TEST(MonitoringOverdueCbc, ThirtyEightDaysAndOneHourAfterTheLastPlateletCountIsOverdue) {
  auto s = patient_with_baselines();
  s.result(loinc::platelets, "2024-03-01T08:00:00Z", 250, "plt-last");
  const auto o = with_code(s.evaluate("2024-04-08T09:00:00Z"), "monitoring-overdue-cbc");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-cbc/2024-04-08");
  EXPECT_EQ(severity(o[0]), "moderate");
  EXPECT_EQ(identified(o[0]), "2024-04-08");
  EXPECT_TRUE(has_category(o[0], "COMPLY"));
  EXPECT_EQ(evidence_references(o[0]), (std::vector<std::string>{"Observation/plt-last"}));
  EXPECT_EQ(implicated(o[0]).size(), 5u);
  EXPECT_EQ(detail(o[0]).rfind("No platelet count since 2024-03-01: overdue since 2024-04-08.", 0), 0u) << detail(o[0]);
}

TEST(MonitoringOverdueCbc, TheOverdueDateIsTheCalendarDateOfTheResultPlusThirtyEightDays) {
  auto s = patient_with_baselines();
  s.result(loinc::platelets, "2024-03-01T23:30:00Z", 250);
  const auto o = with_code(s.evaluate("2024-04-09T00:00:00Z"), "monitoring-overdue-cbc");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-cbc/2024-04-08");
}

TEST(MonitoringOverdueCbc, WithoutAPlateletCountSinceTheFirstInfusionItCountsFromTheInfusion) {
  auto s = patient_with_baselines();  // the 2023-12-20 baseline does not count
  EXPECT_TRUE(with_code(s.evaluate("2024-02-15T09:00:00Z"), "monitoring-overdue-cbc").empty());
  const auto o = with_code(s.evaluate("2024-02-15T10:00:00Z"), "monitoring-overdue-cbc");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-cbc/2024-02-15");
  EXPECT_TRUE(evidence_references(o[0]).empty());
  EXPECT_EQ(detail(o[0]).rfind("No platelet count since the first alemtuzumab infusion on 2024-01-08: overdue since "
                               "2024-02-15.",
                               0),
            0u)
      << detail(o[0]);
}

TEST(MonitoringOverdueCbc, APlateletCountAtTheFirstInfusionsInstantCounts) {
  auto s = patient_with_baselines();
  s.result(loinc::platelets, "2024-01-08T09:00:00Z", 250, "plt-at-infusion");
  const auto o = with_code(s.evaluate("2024-02-15T10:00:00Z"), "monitoring-overdue-cbc");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(evidence_references(o[0]), (std::vector<std::string>{"Observation/plt-at-infusion"}));
}

TEST(MonitoringOverdueCbc, OnlyTheCurrentLapseIsRaised) {
  auto s = patient_with_baselines();
  // A past lapse (no count from 2024-01-08 to 2024-06-01) is not reconstructed.
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 250).result(loinc::platelets, "2024-07-01T08:00:00Z", 250);
  const auto o = with_code(s.evaluate("2024-09-01T00:00:00Z"), "monitoring-overdue-cbc");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-cbc/2024-08-08");
}

TEST(MonitoringOverdueCbc, AResultAfterTheEvaluationTimeDoesNotCount) {
  auto s = patient_with_baselines();
  s.result(loinc::platelets, "2024-03-01T08:00:00Z", 250).result(loinc::platelets, "2024-05-01T08:00:00Z", 250);
  const auto o = with_code(s.evaluate("2024-04-20T00:00:00Z"), "monitoring-overdue-cbc");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-cbc/2024-04-08");
}

TEST(MonitoringOverdueCbc, ImplicatesTheLastCourse) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 12, "completed", "c1")
      .infusion("2025-01-13T09:00:00Z", 12, "completed", "c2-a")
      .infusion("2025-01-14T09:00:00Z", 12, "completed", "c2-b");
  const auto o = with_code(s.evaluate("2025-03-01T00:00:00Z"), "monitoring-overdue-cbc");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-cbc/2024-02-15");
  EXPECT_EQ(implicated(o[0]),
            (std::vector<std::string>{"MedicationAdministration/c2-a", "MedicationAdministration/c2-b"}));
}

// --- monitoring-overdue-renal: creatinine and urinalysis, each on its own ---

TEST(MonitoringOverdueRenal, AnOverdueCreatinineAloneIsOverdue) {
  auto s = patient_with_baselines();
  s.result(loinc::creatinine, "2024-03-01T08:00:00Z", 0.8, "cr")
      .lab({.loinc = loinc::urine_protein, .time = "2024-03-10T08:00:00Z", .value_string = "Negative", .id = "ua"});
  const auto o = with_code(s.evaluate("2024-04-10T00:00:00Z"), "monitoring-overdue-renal");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-renal/2024-04-08");
  EXPECT_EQ(severity(o[0]), "moderate");
  EXPECT_EQ(evidence_references(o[0]), (std::vector<std::string>{"Observation/cr"}));
  EXPECT_EQ(detail(o[0]).rfind("No creatinine since 2024-03-01: overdue since 2024-04-08.", 0), 0u) << detail(o[0]);
}

TEST(MonitoringOverdueRenal, AnOverdueUrinalysisAloneIsOverdue) {
  auto s = patient_with_baselines();
  s.lab({.loinc = loinc::urine_protein, .time = "2024-03-01T08:00:00Z", .value_string = "Negative", .id = "ua"})
      .result(loinc::creatinine, "2024-03-10T08:00:00Z", 0.8, "cr");
  const auto o = with_code(s.evaluate("2024-04-10T00:00:00Z"), "monitoring-overdue-renal");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-renal/2024-04-08");
  EXPECT_EQ(evidence_references(o[0]), (std::vector<std::string>{"Observation/ua"}));
  EXPECT_EQ(detail(o[0]).rfind("No urinalysis since 2024-03-01: overdue since 2024-04-08.", 0), 0u) << detail(o[0]);
}

TEST(MonitoringOverdueRenal, BothOverdueTheEarlierOverdueDateWins) {
  auto s = patient_with_baselines();
  s.result(loinc::creatinine, "2024-03-10T08:00:00Z", 0.8, "cr")
      .result(loinc::urine_rbc, "2024-03-01T08:00:00Z", 1, "ua");
  const auto o = with_code(s.evaluate("2024-05-01T00:00:00Z"), "monitoring-overdue-renal");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-renal/2024-04-08");
  EXPECT_EQ(identified(o[0]), "2024-04-08");
  // One evidence entry per overdue test, in analytes.json order: creatinine, then urine red cells.
  EXPECT_EQ(evidence_references(o[0]), (std::vector<std::string>{"Observation/cr", "Observation/ua"}));
  EXPECT_EQ(detail(o[0]).rfind("No creatinine since 2024-03-10; no urinalysis since 2024-03-01: overdue since 2024-04-08.",
                               0),
            0u)
      << detail(o[0]);
}

TEST(MonitoringOverdueRenal, AnyUrinalysisResultKeepsUrinalysisCurrent) {
  for (const char* code : {loinc::urine_protein_ratio, loinc::urine_rbc, loinc::urine_protein_strip}) {
    auto s = patient_with_baselines();
    s.result(loinc::creatinine, "2024-03-10T08:00:00Z", 0.8).result(code, "2024-03-10T08:00:00Z", 1);
    EXPECT_TRUE(with_code(s.evaluate("2024-04-10T00:00:00Z"), "monitoring-overdue-renal").empty()) << code;
  }
}

TEST(MonitoringOverdueRenal, NeitherOverdueAtThirtyEightDays) {
  auto s = patient_with_baselines();
  s.result(loinc::creatinine, "2024-03-01T08:00:00Z", 0.8)
      .lab({.loinc = loinc::urine_blood, .time = "2024-03-01T08:00:00Z", .value_string = "Negative"});
  EXPECT_TRUE(with_code(s.evaluate("2024-04-08T08:00:00Z"), "monitoring-overdue-renal").empty());
}

// --- monitoring-overdue-thyroid: 106 days ---

TEST(MonitoringOverdueThyroid, ExactlyOneHundredSixDaysAfterTheLastTshIsNotOverdue) {
  auto s = patient_with_baselines();
  s.result(loinc::tsh, "2024-03-01T08:00:00Z", 2.0);
  EXPECT_TRUE(with_code(s.evaluate("2024-06-15T08:00:00Z"), "monitoring-overdue-thyroid").empty());
}

TEST(MonitoringOverdueThyroid, OneHundredSixDaysAndOneHourAfterTheLastTshIsOverdueLow) {
  auto s = patient_with_baselines();
  s.result(loinc::tsh, "2024-03-01T08:00:00Z", 2.0, "tsh");
  const auto o = with_code(s.evaluate("2024-06-15T09:00:00Z"), "monitoring-overdue-thyroid");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-thyroid/2024-06-15");
  EXPECT_EQ(severity(o[0]), "low");
  EXPECT_EQ(identified(o[0]), "2024-06-15");
  EXPECT_EQ(evidence_references(o[0]), (std::vector<std::string>{"Observation/tsh"}));
}

TEST(MonitoringOverdueThyroid, WithoutATshSinceTheFirstInfusionItCountsFromTheInfusion) {
  auto s = patient_with_baselines();
  const auto o = with_code(s.evaluate("2024-04-23T10:00:00Z"), "monitoring-overdue-thyroid");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(identifier(o[0]), "p1/monitoring-overdue-thyroid/2024-04-23");
  EXPECT_TRUE(with_code(s.evaluate("2024-04-23T09:00:00Z"), "monitoring-overdue-thyroid").empty());
}

// --- the monitoring window bounds the overdue rules ---

TEST(MonitoringOverdue, EvaluatedExactlyAtTheEndOfTheMonitoringWindowIsStillOverdue) {
  auto s = patient_with_baselines();
  const auto issues = s.evaluate("2028-01-12T09:00:00Z");
  EXPECT_EQ(with_code(issues, "monitoring-overdue-cbc").size(), 1u);
  EXPECT_EQ(with_code(issues, "monitoring-overdue-renal").size(), 1u);
  EXPECT_EQ(with_code(issues, "monitoring-overdue-thyroid").size(), 1u);
}

TEST(MonitoringOverdue, EvaluatedAfterTheMonitoringWindowNothingIsOverdue) {
  auto s = patient_with_baselines();
  const auto issues = s.evaluate("2028-01-12T10:00:00Z");
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-cbc").empty());
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-renal").empty());
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-thyroid").empty());
}

TEST(MonitoringOverdue, EvaluatedBeforeTheFirstInfusionNothingIsOverdue) {
  auto s = patient_with_baselines();
  const auto issues = s.evaluate("2024-01-08T08:00:00Z");
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-cbc").empty());
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-renal").empty());
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-thyroid").empty());
}

TEST(MonitoringOverdue, RoutineMonitoringKeepsEverythingCurrent) {
  auto s = patient_with_baselines();
  s.routine_monitoring("2024-02-10", "2026-10-20");
  const auto issues = s.evaluate("2026-10-25T00:00:00Z");
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-cbc").empty());
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-renal").empty());
  EXPECT_TRUE(with_code(issues, "monitoring-overdue-thyroid").empty());
}

// --- baseline-missing: platelet count, creatinine, urinalysis and TSH in the 30 days before ---

TEST(BaselineMissing, AllFourBaselinesPresentRaisesNothing) {
  auto s = patient_with_baselines();
  EXPECT_TRUE(with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing").empty());
}

TEST(BaselineMissing, NamesEveryMissingTestInOneIssue) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250).course("2024-01-08", 5);
  const auto b = with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(identifier(b[0]), "p1/baseline-missing/course-2024-01-08");
  EXPECT_EQ(severity(b[0]), "low");
  EXPECT_EQ(identified(b[0]), "2024-01-08T09:00:00Z");
  EXPECT_TRUE(has_category(b[0], "COMPLY"));
  EXPECT_TRUE(evidence_references(b[0]).empty());
  EXPECT_EQ(implicated(b[0]).size(), 5u);
  EXPECT_EQ(detail(b[0]).rfind("Course 1 started on 2024-01-08 without creatinine, urinalysis and TSH in the 30 days "
                               "before its first infusion.",
                               0),
            0u)
      << detail(b[0]);
}

TEST(BaselineMissing, NoResultsAtAllNamesAllFourTestsInOrder) {
  Scenario s;
  s.course("2024-01-08", 5);
  const auto b = with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(detail(b[0]).rfind("Course 1 started on 2024-01-08 without platelet count, creatinine, urinalysis and TSH in "
                               "the 30 days before its first infusion.",
                               0),
            0u)
      << detail(b[0]);
}

// The four baseline tests all at `time`.
Scenario baselines_at(const std::string& time) {
  Scenario s;
  s.result(loinc::platelets, time, 250)
      .result(loinc::creatinine, time, 0.8)
      .lab({.loinc = loinc::urine_protein, .time = time, .value_string = "Negative"})
      .result(loinc::tsh, time, 2.0)
      .course("2024-01-08", 5);
  return s;
}

TEST(BaselineMissing, ABaselineExactlyThirtyDaysBeforeTheFirstInfusionCounts) {
  auto s = baselines_at("2023-12-09T09:00:00Z");
  EXPECT_TRUE(with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing").empty());
}

TEST(BaselineMissing, ABaselineThirtyDaysAndOneHourBeforeTheFirstInfusionDoesNotCount) {
  auto s = baselines_at("2023-12-09T08:00:00Z");
  const auto b = with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(detail(b[0]).find("without platelet count, creatinine, urinalysis and TSH"), std::string::npos) << detail(b[0]);
}

TEST(BaselineMissing, AResultAtTheFirstInfusionsInstantIsNotABaseline) {
  auto s = baselines_at("2024-01-08T09:00:00Z");
  EXPECT_EQ(with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing").size(), 1u);
}

TEST(BaselineMissing, AResultOneSecondBeforeTheFirstInfusionIsABaseline) {
  auto s = baselines_at("2024-01-08T08:59:59Z");
  EXPECT_TRUE(with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing").empty());
}

TEST(BaselineMissing, OneIssuePerCourse) {
  Scenario s;
  s.course("2024-01-08", 5);
  // Course 2 has all its baselines; course 1 none.
  for (const char* t : {"2024-12-20T08:00:00Z"}) {
    s.result(loinc::platelets, t, 250).result(loinc::creatinine, t, 0.8).result(loinc::tsh, t, 2.0);
    s.lab({.loinc = loinc::urine_blood, .time = t, .value_string = "Negative"});
  }
  s.course("2025-01-13", 3).course("2026-01-12", 3);
  const auto b = with_code(s.evaluate("2026-02-01T00:00:00Z"), "baseline-missing");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(identifier(b[0]), "p1/baseline-missing/course-2024-01-08");
  EXPECT_EQ(identifier(b[1]), "p1/baseline-missing/course-2026-01-12");
  EXPECT_EQ(detail(b[1]).rfind("Course 3 started on 2026-01-12 without platelet count, creatinine, urinalysis and TSH", 0),
            0u)
      << detail(b[1]);
  EXPECT_EQ(implicated(b[1]).size(), 3u);
}

TEST(BaselineMissing, AnExcludedStatusResultIsNoBaseline) {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250)
      .result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8)
      .lab({.loinc = loinc::urine_protein, .time = "2023-12-20T08:00:00Z", .value_string = "Negative"})
      .lab({.loinc = loinc::tsh, .time = "2023-12-20T08:00:00Z", .value = 2.0, .unit = "m[IU]/L", .status = "cancelled"})
      .course("2024-01-08", 5);
  const auto b = with_code(s.evaluate("2024-01-20T00:00:00Z"), "baseline-missing");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(detail(b[0]).find("without TSH in the 30 days"), std::string::npos) << detail(b[0]);
}

}  // namespace
}  // namespace alemwatch::testing
