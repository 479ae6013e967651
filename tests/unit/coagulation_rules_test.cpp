// acquired-haemophilia and hlh at their edges (signals.md section 3).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

// Course 1: 2024-01-08 to 2024-01-12 at 09:00Z; acute window to 2024-01-26T09:00Z.
constexpr const char* at = "2025-06-01T00:00:00Z";
constexpr const char* when = "2024-06-01T08:00:00Z";

Scenario patient() {
  Scenario s;
  s.course("2024-01-08", 5);
  return s;
}

std::vector<boost::json::object> haemophilia(Scenario& s) { return with_code(s.evaluate(at), "acquired-haemophilia"); }
std::vector<boost::json::object> hlh(Scenario& s) { return with_code(s.evaluate(at), "hlh"); }

// --- aPTT > 1.2 x the upper reference limit (default 36 s: 43.2 s) ---

TEST(AcquiredHaemophilia, AnApttOfExactlyOnePointTwoTimesTheUpperLimitDoesNotFire) {
  auto s = patient();
  s.result(loinc::aptt, when, 43.2);  // 36 x 1.2 is 43.199999999999996 in binary
  EXPECT_TRUE(haemophilia(s).empty());
}

TEST(AcquiredHaemophilia, AnApttJustAboveOnePointTwoTimesTheUpperLimitIsModerate) {
  auto s = patient();
  s.result(loinc::aptt, when, 43.3, "aptt");
  const auto h = haemophilia(s);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(identifier(h[0]), "p1/acquired-haemophilia/2024-06-01");
  EXPECT_EQ(severity(h[0]), "moderate");
  EXPECT_EQ(identified(h[0]), "2024-06-01T08:00:00Z");
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/aptt"}));
  EXPECT_EQ(detail(h[0]).rfind("aPTT 43.3 s on 2024-06-01", 0), 0u) << detail(h[0]);
}

TEST(AcquiredHaemophilia, TheObservationsUpperReferenceLimitIsUsed) {
  // Upper limit 40 s: the cut-off is 48 s.
  auto at_cutoff = patient();
  at_cutoff.lab({.loinc = loinc::aptt, .time = when, .value = 48, .unit = "s", .range_low = 25, .range_high = 40});
  EXPECT_TRUE(haemophilia(at_cutoff).empty());
  auto past_cutoff = patient();
  past_cutoff.lab({.loinc = loinc::aptt, .time = when, .value = 48.1, .unit = "s", .range_low = 25, .range_high = 40});
  EXPECT_EQ(haemophilia(past_cutoff).size(), 1u);
}

TEST(AcquiredHaemophilia, ALowerObservationUpperLimitLowersTheCutOff) {
  // Upper limit 30 s: 36.1 s exceeds 36 s, while the default limit would need 43.3 s.
  auto s = patient();
  s.lab({.loinc = loinc::aptt, .time = when, .value = 36.1, .unit = "s", .range_high = 30});
  EXPECT_EQ(haemophilia(s).size(), 1u);
}

TEST(AcquiredHaemophilia, ApttInSecondsSpelledOutIsAccepted) {
  auto s = patient();
  s.lab({.loinc = "3173-2", .time = when, .value = 60, .unit = "sec"});
  EXPECT_EQ(haemophilia(s).size(), 1u);
}

// --- an INR >= 1.5 within 7 days explains the aPTT ---

TEST(AcquiredHaemophilia, AnInrOfOnePointFiveTheSameDaySuppressesTheAptt) {
  auto s = patient();
  s.result(loinc::aptt, when, 60).result(loinc::inr, when, 1.5);
  EXPECT_TRUE(haemophilia(s).empty());
}

TEST(AcquiredHaemophilia, AnInrOfOnePointFourNineDoesNotSuppressTheAptt) {
  auto s = patient();
  s.result(loinc::aptt, when, 60, "aptt").result(loinc::inr, when, 1.49, "inr");
  const auto h = haemophilia(s);
  ASSERT_EQ(h.size(), 1u);
  // The INR that was checked is not evidence (rules.md section 4).
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/aptt"}));
}

TEST(AcquiredHaemophilia, AnInrExactlySevenDaysBeforeSuppressesTheAptt) {
  auto s = patient();
  s.result(loinc::aptt, when, 60).result(loinc::inr, "2024-05-25T08:00:00Z", 2.0);
  EXPECT_TRUE(haemophilia(s).empty());
}

TEST(AcquiredHaemophilia, AnInrExactlySevenDaysAfterSuppressesTheAptt) {
  auto s = patient();
  s.result(loinc::aptt, when, 60).result(loinc::inr, "2024-06-08T08:00:00Z", 2.0);
  EXPECT_TRUE(haemophilia(s).empty());
}

TEST(AcquiredHaemophilia, AnInrSevenDaysAndOneHourAwayDoesNotSuppressTheAptt) {
  auto s = patient();
  s.result(loinc::aptt, when, 60)
      .result(loinc::inr, "2024-05-25T07:00:00Z", 2.0)
      .result(loinc::inr, "2024-06-08T09:00:00Z", 2.0);
  EXPECT_EQ(haemophilia(s).size(), 1u);
}

TEST(AcquiredHaemophilia, AnInrWithoutUnitIsReadAsARatio) {
  auto s = patient();
  s.result(loinc::aptt, when, 60);
  s.lab({.loinc = loinc::inr, .time = when, .value = 2.5});
  EXPECT_TRUE(haemophilia(s).empty());
}

// --- factor VIII < 50 % ---

TEST(AcquiredHaemophilia, FactorEightAtFiftyPercentDoesNotFire) {
  auto s = patient();
  s.result(loinc::factor_viii, when, 50);
  EXPECT_TRUE(haemophilia(s).empty());
}

TEST(AcquiredHaemophilia, FactorEightJustBelowFiftyPercentIsHigh) {
  auto s = patient();
  s.result(loinc::factor_viii, when, 49.9, "f8");
  const auto h = haemophilia(s);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(severity(h[0]), "high");
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/f8"}));
}

TEST(AcquiredHaemophilia, FactorEightInInternationalUnitsPerDecilitreIsAccepted) {
  auto s = patient();
  s.lab({.loinc = loinc::factor_viii, .time = when, .value = 20, .unit = "IU/dL"});
  const auto h = haemophilia(s);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(severity(h[0]), "high");
}

TEST(AcquiredHaemophilia, FactorEightIsNotExplainedAwayByAnInr) {
  auto s = patient();
  s.result(loinc::factor_viii, when, 20).result(loinc::inr, when, 3.0);
  EXPECT_EQ(haemophilia(s).size(), 1u);
}

TEST(AcquiredHaemophilia, ApttAndFactorEightInOneEpisodeAreHighWithBothAsEvidence) {
  auto s = patient();
  s.result(loinc::aptt, when, 70, "aptt").result(loinc::factor_viii, "2024-06-03T08:00:00Z", 5, "f8");
  const auto h = haemophilia(s);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(identifier(h[0]), "p1/acquired-haemophilia/2024-06-01");
  EXPECT_EQ(severity(h[0]), "high");
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/aptt", "Observation/f8"}));
}

TEST(AcquiredHaemophilia, AppliesInsideTheAcuteWindowToo) {
  auto s = patient();
  s.result(loinc::aptt, "2024-01-10T08:00:00Z", 60);
  EXPECT_EQ(haemophilia(s).size(), 1u);
}

TEST(AcquiredHaemophilia, DoesNotFireAfterTheMonitoringWindow) {
  auto s = patient();
  s.result(loinc::factor_viii, "2028-01-12T10:00:00Z", 5);
  EXPECT_TRUE(with_code(s.evaluate("2028-02-01T00:00:00Z"), "acquired-haemophilia").empty());
}

// --- hlh: ferritin >= 3000, high from 10000 ---

struct FerritinCase {
  const char* name;
  double value;
  const char* unit;
  const char* severity;  // empty: no issue
};

class HlhFerritin : public ::testing::TestWithParam<FerritinCase> {};

TEST_P(HlhFerritin, FerritinAgainstTheTiers) {
  const auto& c = GetParam();
  auto s = patient();
  s.lab({.loinc = loinc::ferritin, .time = when, .value = c.value, .unit = c.unit, .id = "ferritin"});
  const auto h = hlh(s);
  if (std::string(c.severity).empty()) {
    EXPECT_TRUE(h.empty());
    return;
  }
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(identifier(h[0]), "p1/hlh/2024-06-01");
  EXPECT_EQ(severity(h[0]), c.severity);
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/ferritin"}));
}

INSTANTIATE_TEST_SUITE_P(Edges, HlhFerritin,
                         ::testing::Values(FerritinCase{"TwoThousandNineHundredNinetyNine", 2999, "ug/L", ""},
                                           FerritinCase{"ThreeThousand", 3000, "ug/L", "moderate"},
                                           FerritinCase{"NineThousandNineHundredNinetyNine", 9999, "ug/L", "moderate"},
                                           FerritinCase{"TenThousand", 10000, "ug/L", "high"},
                                           FerritinCase{"ThreeThousandNanogramsPerMillilitre", 3000, "ng/mL", "moderate"},
                                           FerritinCase{"TwoThousandNineHundredNinetyNineNanogramsPerMillilitre", 2999,
                                                        "ng/mL", ""}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Hlh, AppliesInsideTheAcuteWindowToo) {
  auto s = patient();
  s.result(loinc::ferritin, "2024-01-15T08:00:00Z", 12000);
  const auto h = hlh(s);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(severity(h[0]), "high");
}

TEST(Hlh, FerritinBeforeTheFirstInfusionDoesNotFire) {
  auto s = patient();
  s.result(loinc::ferritin, "2024-01-01T08:00:00Z", 12000);
  EXPECT_TRUE(hlh(s).empty());
}

TEST(Hlh, FerritinInAnUnknownUnitIsNotUsed) {
  auto s = patient();
  s.lab({.loinc = loinc::ferritin, .time = when, .value = 12000, .unit = "pmol/L"});
  EXPECT_TRUE(hlh(s).empty());
  EXPECT_EQ(s.summary().unit_problems, 1u);
}

}  // namespace
}  // namespace alemwatch::testing
