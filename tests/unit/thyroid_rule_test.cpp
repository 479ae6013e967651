// The thyroid-dysfunction rule at its edges (signals.md section 3): TSH against its range and the
// moderate cut-offs, the SNOMED disorder by direction, and the TSH-receptor antibody.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

constexpr const char* at = "2026-11-01T00:00:00Z";
constexpr const char* when = "2025-03-05T08:00:00Z";  // no routine result that day

std::vector<std::string> snomed_codes(const boost::json::object& issue) {
  std::vector<std::string> out;
  for (const auto& c : issue.at("code").at("coding").as_array())
    if (c.at("system").as_string() == "http://snomed.info/sct") out.emplace_back(c.at("code").as_string());
  return out;
}

bool reported(const Scenario& s, const std::string& id, const std::string& path) {
  for (const auto& p : s.summary().problems())
    if (p.resource_id == id && (path.empty() || p.path == path)) return true;
  return false;
}

// Course 1 in January 2024 with baselines, then routine monitoring (TSH 2.0 every 3rd month).
Scenario monitored_patient() {
  Scenario s;
  s.result(loinc::platelets, "2023-12-20T08:00:00Z", 250)
      .result(loinc::creatinine, "2023-12-20T08:00:00Z", 0.8)
      .lab({.loinc = loinc::urine_protein, .time = "2023-12-20T08:00:00Z", .value_string = "Negative"})
      .result(loinc::tsh, "2023-12-20T08:00:00Z", 2.0)
      .course("2024-01-08", 5)
      .routine_monitoring("2024-02-10", "2026-10-20");
  return s;
}

std::vector<boost::json::object> thyroid(Scenario& s) { return with_code(s.evaluate(at), "thyroid-dysfunction"); }

struct TshCase {
  const char* name;
  double value;
  const char* severity;  // empty: no issue
  const char* snomed;
};

class ThyroidTsh : public ::testing::TestWithParam<TshCase> {};

TEST_P(ThyroidTsh, TshAgainstTheDefaultRangeAndTheModerateCutOffs) {
  const auto& c = GetParam();
  auto s = monitored_patient();
  s.result(loinc::tsh, when, c.value, "tsh");
  const auto t = thyroid(s);
  if (std::string(c.severity).empty()) {
    EXPECT_TRUE(t.empty());
    return;
  }
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(identifier(t[0]), "p1/thyroid-dysfunction/2025-03-05");
  EXPECT_EQ(severity(t[0]), c.severity);
  EXPECT_EQ(identified(t[0]), "2025-03-05T08:00:00Z");
  EXPECT_EQ(snomed_codes(t[0]), (std::vector<std::string>{c.snomed}));
  EXPECT_EQ(evidence_references(t[0]), (std::vector<std::string>{"Observation/tsh"}));
}

INSTANTIATE_TEST_SUITE_P(Edges, ThyroidTsh,
                         ::testing::Values(TshCase{"AtUpperLimit", 4.0, "", ""},
                                           TshCase{"JustAboveUpperLimit", 4.01, "low", "40930008"},
                                           TshCase{"AtTen", 10, "low", "40930008"},
                                           TshCase{"JustAboveTen", 10.01, "moderate", "40930008"},
                                           TshCase{"AtLowerLimit", 0.4, "", ""},
                                           TshCase{"JustBelowLowerLimit", 0.39, "low", "34486009"},
                                           TshCase{"AtPointOne", 0.1, "low", "34486009"},
                                           TshCase{"JustBelowPointOne", 0.09, "moderate", "34486009"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ThyroidRule, HighTshIsCodedAsHypothyroidism) {
  auto s = monitored_patient();
  s.result(loinc::tsh, when, 25);
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  bool found = false;
  for (const auto& c : t[0].at("code").at("coding").as_array())
    if (c.at("system").as_string() == "http://snomed.info/sct" && c.at("code").as_string() == "40930008")
      found = c.at("display").as_string() == "Hypothyroidism";
  EXPECT_TRUE(found);
}

TEST(ThyroidRule, LowTshIsCodedAsHyperthyroidism) {
  auto s = monitored_patient();
  s.result(loinc::tsh, when, 0.01);
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  bool found = false;
  for (const auto& c : t[0].at("code").at("coding").as_array())
    if (c.at("system").as_string() == "http://snomed.info/sct" && c.at("code").as_string() == "34486009")
      found = c.at("display").as_string() == "Hyperthyroidism";
  EXPECT_TRUE(found);
}

TEST(ThyroidRule, TheObservationsReferenceRangeReplacesTheDefault) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::tsh, .time = when, .value = 4.5, .unit = "m[IU]/L", .range_low = 0.5, .range_high = 5.0});
  EXPECT_TRUE(thyroid(s).empty());
  auto s2 = monitored_patient();
  s2.lab({.loinc = loinc::tsh, .time = when, .value = 0.45, .unit = "m[IU]/L", .range_low = 0.5, .range_high = 5.0});
  const auto t = thyroid(s2);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(severity(t[0]), "low");
  EXPECT_EQ(snomed_codes(t[0]), (std::vector<std::string>{"34486009"}));
}

TEST(ThyroidRule, MicroUnitsPerMillilitreAreAccepted) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::tsh, .time = when, .value = 12, .unit = "uIU/mL", .id = "tsh"});
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(severity(t[0]), "moderate");
  EXPECT_EQ(detail(t[0]).rfind("TSH 12 mIU/L on 2025-03-05", 0), 0u) << detail(t[0]);
}

TEST(ThyroidRule, UcumMicroInternationalUnitsPerMillilitreAreAccepted) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::tsh, .time = when, .value = 0.05, .unit = "u[IU]/mL"});
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(severity(t[0]), "moderate");
}

TEST(ThyroidRule, TheSecondTshLoincCodeCountsToo) {
  auto s = monitored_patient();
  s.lab({.loinc = "11580-8", .time = when, .value = 6, .unit = "mIU/L"});
  EXPECT_EQ(thyroid(s).size(), 1u);
}

TEST(ThyroidRule, TshInsideAnAcuteWindowStillCounts) {
  Scenario s;
  s.course("2024-01-08", 5).result(loinc::tsh, "2024-01-10T08:00:00Z", 5, "tsh");
  const auto t = with_code(s.evaluate("2024-02-01T00:00:00Z"), "thyroid-dysfunction");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(identifier(t[0]), "p1/thyroid-dysfunction/2024-01-10");
  EXPECT_EQ(severity(t[0]), "low");
}

TEST(ThyroidRule, TshBeforeTheFirstInfusionIsOnlyABaseline) {
  Scenario s;
  s.result(loinc::tsh, "2024-01-01T08:00:00Z", 20).course("2024-01-08", 5);
  EXPECT_TRUE(with_code(s.evaluate("2024-02-01T00:00:00Z"), "thyroid-dysfunction").empty());
}

TEST(ThyroidRule, TshAfterTheMonitoringWindowDoesNotFire) {
  Scenario s;
  s.course("2024-01-08", 5).result(loinc::tsh, "2028-01-12T10:00:00Z", 20);
  EXPECT_TRUE(with_code(s.evaluate("2028-02-01T00:00:00Z"), "thyroid-dysfunction").empty());
}

TEST(ThyroidRule, AbnormalTshMoreThanNinetyDaysApartAreTwoEpisodes) {
  auto s = monitored_patient();
  s.result(loinc::tsh, when, 5).result(loinc::tsh, "2025-06-03T09:00:00Z", 0.05);
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(identifier(t[1]), "p1/thyroid-dysfunction/2025-06-03");
  EXPECT_EQ(snomed_codes(t[0]), (std::vector<std::string>{"40930008"}));
  EXPECT_EQ(snomed_codes(t[1]), (std::vector<std::string>{"34486009"}));
}

// --- TSH-receptor antibody ---

TEST(ThyroidRule, TrabAboveTheReferenceRangeHighInTheSameUnitIsModerate) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::trab, .time = when, .value = 2.5, .unit = "[IU]/L", .range_high = 1.75, .id = "trab"});
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(severity(t[0]), "moderate");
  EXPECT_EQ(evidence_references(t[0]), (std::vector<std::string>{"Observation/trab"}));
  EXPECT_TRUE(snomed_codes(t[0]).empty());  // no TSH: no direction
}

TEST(ThyroidRule, TrabAtTheReferenceRangeHighIsNegative) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::trab, .time = when, .value = 1.75, .unit = "[IU]/L", .range_high = 1.75});
  EXPECT_TRUE(thyroid(s).empty());
}

TEST(ThyroidRule, TrabWithARangeInAnotherUnitIsNotUsedAndIsReported) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::trab, .time = when, .value = 2.5, .unit = "[IU]/L", .range_high = 1.75, .range_unit = "U/mL",
         .id = "trab-other-unit"});
  EXPECT_TRUE(thyroid(s).empty());
  EXPECT_TRUE(reported(s, "trab-other-unit", "Observation.referenceRange"));
}

TEST(ThyroidRule, TrabWithoutRangeAndWithoutInterpretationIsNotUsedAndIsReported) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::trab, .time = when, .value = 40, .unit = "[IU]/L", .id = "trab-bare"});
  EXPECT_TRUE(thyroid(s).empty());
  EXPECT_TRUE(reported(s, "trab-bare", "Observation.referenceRange"));
  const auto& counts = s.summary().resources().at("Observation").outcomes;
  ASSERT_TRUE(counts.contains("unusable (reported)"));
  EXPECT_EQ(counts.at("unusable (reported)"), 1u);
}

TEST(ThyroidRule, TrabWithAPositiveInterpretationAndNoRangeIsModerate) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::trab, .time = when, .value = 3, .unit = "[IU]/L", .interpretation = "H"});
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(severity(t[0]), "moderate");
}

TEST(ThyroidRule, TrabReportedAsPositiveTextIsModerate) {
  auto s = monitored_patient();
  s.lab({.loinc = loinc::trab, .time = when, .value_string = "Positive"});
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(severity(t[0]), "moderate");
}

TEST(ThyroidRule, PositiveTrabMakesALowTshEpisodeModerateAndKeepsTheTshDirection) {
  auto s = monitored_patient();
  s.result(loinc::tsh, when, 0.3, "tsh");
  s.lab({.loinc = loinc::trab, .time = "2025-03-12T08:00:00Z", .value = 5, .unit = "[IU]/L", .range_high = 1.75, .id = "trab"});
  const auto t = thyroid(s);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(severity(t[0]), "moderate");
  EXPECT_EQ(snomed_codes(t[0]), (std::vector<std::string>{"34486009"}));
  EXPECT_EQ(evidence_references(t[0]), (std::vector<std::string>{"Observation/tsh", "Observation/trab"}));
}

}  // namespace
}  // namespace alemwatch::testing
