// neutropenia, anaemia and pure-red-cell-aplasia at their edges (signals.md section 3).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

// Course 1: 2024-01-08 to 2024-01-12 at 09:00Z; acute window to 2024-01-26T09:00Z.
constexpr const char* at = "2025-06-01T00:00:00Z";
constexpr const char* when = "2024-06-01T08:00:00Z";

bool has_snomed(const boost::json::object& issue, const std::string& code) {
  for (const auto& c : issue.at("code").at("coding").as_array())
    if (c.at("system").as_string() == "http://snomed.info/sct" && c.at("code").as_string() == code) return true;
  return false;
}

Scenario patient() {
  Scenario s;
  s.course("2024-01-08", 5);
  return s;
}

// --- neutropenia ---

struct TierCase {
  const char* name;
  double value;
  const char* severity;  // empty: no issue
};

class NeutropeniaTiers : public ::testing::TestWithParam<TierCase> {};

TEST_P(NeutropeniaTiers, NeutrophilCountAgainstTheTiers) {
  const auto& c = GetParam();
  auto s = patient();
  s.result(loinc::neutrophils, when, c.value, "neut");
  const auto n = with_code(s.evaluate(at), "neutropenia");
  if (std::string(c.severity).empty()) {
    EXPECT_TRUE(n.empty());
    return;
  }
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(identifier(n[0]), "p1/neutropenia/2024-06-01");
  EXPECT_EQ(severity(n[0]), c.severity);
  EXPECT_EQ(evidence_references(n[0]), (std::vector<std::string>{"Observation/neut"}));
  EXPECT_TRUE(has_snomed(n[0], "234425008"));
}

INSTANTIATE_TEST_SUITE_P(Edges, NeutropeniaTiers,
                         ::testing::Values(TierCase{"AtOnePointFive", 1.5, ""}, TierCase{"OnePointFourNine", 1.49, "low"},
                                           TierCase{"AtOne", 1.0, "low"}, TierCase{"PointNineNine", 0.99, "moderate"},
                                           TierCase{"AtPointFive", 0.5, "moderate"}, TierCase{"PointFourNine", 0.49, "high"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Neutropenia, ARawCountPerMicrolitreIsConverted) {
  auto s = patient();
  s.lab({.loinc = loinc::neutrophils, .time = when, .value = 900, .unit = "cells/uL"});
  const auto n = with_code(s.evaluate(at), "neutropenia");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(severity(n[0]), "moderate");
}

TEST(Neutropenia, InsideTheAcuteWindowDoesNotFire) {
  auto s = patient();
  s.result(loinc::neutrophils, "2024-01-26T09:00:00Z", 0.3);
  EXPECT_TRUE(with_code(s.evaluate(at), "neutropenia").empty());
}

TEST(Neutropenia, OneHourAfterTheAcuteWindowFires) {
  auto s = patient();
  s.result(loinc::neutrophils, "2024-01-26T10:00:00Z", 0.3);
  EXPECT_EQ(with_code(s.evaluate(at), "neutropenia").size(), 1u);
}

// --- anaemia ---

class AnaemiaTiers : public ::testing::TestWithParam<TierCase> {};

TEST_P(AnaemiaTiers, HaemoglobinAgainstTheTiers) {
  const auto& c = GetParam();
  auto s = patient();
  s.result(loinc::haemoglobin, when, c.value, "hb");
  const auto a = with_code(s.evaluate(at), "anaemia");
  if (std::string(c.severity).empty()) {
    EXPECT_TRUE(a.empty());
    return;
  }
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(identifier(a[0]), "p1/anaemia/2024-06-01");
  EXPECT_EQ(severity(a[0]), c.severity);
  EXPECT_EQ(identified(a[0]), "2024-06-01T08:00:00Z");
  EXPECT_EQ(evidence_references(a[0]), (std::vector<std::string>{"Observation/hb"}));
}

INSTANTIATE_TEST_SUITE_P(Edges, AnaemiaTiers,
                         ::testing::Values(TierCase{"AtTen", 10, ""}, TierCase{"NinePointNine", 9.9, "moderate"},
                                           TierCase{"AtEight", 8, "moderate"}, TierCase{"SevenPointNine", 7.9, "high"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Anaemia, HaemoglobinInMillimolesPerLitreIsConverted) {
  auto s = patient();
  s.lab({.loinc = loinc::haemoglobin, .time = when, .value = 6, .unit = "mmol/L"});  // 9.666 g/dL
  const auto a = with_code(s.evaluate(at), "anaemia");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(severity(a[0]), "moderate");  // 6 read as g/dL would be high
  EXPECT_EQ(detail(a[0]).rfind("Haemoglobin 9.67 g/dL on 2024-06-01", 0), 0u) << detail(a[0]);
}

TEST(Anaemia, HaemoglobinOfSixPointThreeMillimolesPerLitreIsNotAnaemia) {
  auto s = patient();
  s.lab({.loinc = "59260-0", .time = when, .value = 6.3, .unit = "mmol/L"});  // 10.15 g/dL
  EXPECT_TRUE(with_code(s.evaluate(at), "anaemia").empty());
}

TEST(Anaemia, HaemoglobinInGramsPerLitreIsConverted) {
  auto s = patient();
  s.lab({.loinc = loinc::haemoglobin, .time = when, .value = 79, .unit = "g/L"});
  const auto a = with_code(s.evaluate(at), "anaemia");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(severity(a[0]), "high");
}

TEST(Anaemia, InsideTheAcuteWindowDoesNotFire) {
  auto s = patient();
  s.result(loinc::haemoglobin, "2024-01-26T09:00:00Z", 7);
  EXPECT_TRUE(with_code(s.evaluate(at), "anaemia").empty());
}

// --- pure red cell aplasia ---

// Haemoglobin 9 on 2024-06-01T08:00Z and a reticulocyte result at `retic_time`.
Scenario aplasia(const std::string& retic_time, const char* loinc_code, double retic, const std::string& unit) {
  auto s = patient();
  s.result(loinc::haemoglobin, when, 9, "hb");
  s.lab({.loinc = loinc_code, .time = retic_time, .value = retic, .unit = unit, .id = "retic"});
  return s;
}

TEST(PureRedCellAplasia, ReticulocytesJustUnderHalfAPercentExactlySevenDaysLaterFire) {
  auto s = aplasia("2024-06-08T08:00:00Z", loinc::reticulocytes_percent, 0.49, "%");
  const auto issues = s.evaluate(at);
  const auto p = with_code(issues, "pure-red-cell-aplasia");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(identifier(p[0]), "p1/pure-red-cell-aplasia/2024-06-01");
  EXPECT_EQ(severity(p[0]), "high");
  EXPECT_EQ(identified(p[0]), "2024-06-01T08:00:00Z");
  EXPECT_EQ(evidence_references(p[0]), (std::vector<std::string>{"Observation/hb", "Observation/retic"}));
  // rules.md section 5: the lab-rule sentence with " with RESULT(retic)" before its first ".".
  EXPECT_EQ(detail(p[0]).rfind("Haemoglobin 9 g/dL on 2024-06-01, 4 months after the last alemtuzumab infusion "
                               "(course 1, 2024-01-12) with Reticulocytes 0.49 % on 2024-06-08. Possible pure red cell "
                               "aplasia.",
                               0),
            0u)
      << detail(p[0]);
  // Raised beside anaemia, not instead of it.
  EXPECT_EQ(with_code(issues, "anaemia").size(), 1u);
}

TEST(PureRedCellAplasia, ReticulocytesExactlySevenDaysEarlierFire) {
  auto s = aplasia("2024-05-25T08:00:00Z", loinc::reticulocytes_percent, 0.49, "%");
  EXPECT_EQ(with_code(s.evaluate(at), "pure-red-cell-aplasia").size(), 1u);
}

TEST(PureRedCellAplasia, ReticulocytesSevenDaysAndOneHourLaterDoNotFire) {
  auto s = aplasia("2024-06-08T09:00:00Z", loinc::reticulocytes_percent, 0.49, "%");
  const auto issues = s.evaluate(at);
  EXPECT_TRUE(with_code(issues, "pure-red-cell-aplasia").empty());
  EXPECT_EQ(with_code(issues, "anaemia").size(), 1u);
}

TEST(PureRedCellAplasia, ReticulocytesSevenDaysAndOneHourEarlierDoNotFire) {
  auto s = aplasia("2024-05-25T07:00:00Z", loinc::reticulocytes_percent, 0.49, "%");
  EXPECT_TRUE(with_code(s.evaluate(at), "pure-red-cell-aplasia").empty());
}

TEST(PureRedCellAplasia, ReticulocytesAtHalfAPercentDoNotFire) {
  auto s = aplasia("2024-06-02T08:00:00Z", loinc::reticulocytes_percent, 0.5, "%");
  EXPECT_TRUE(with_code(s.evaluate(at), "pure-red-cell-aplasia").empty());
}

TEST(PureRedCellAplasia, AnAbsoluteReticulocyteCountJustUnderTwentyFires) {
  auto s = aplasia("2024-06-02T08:00:00Z", loinc::reticulocytes_absolute, 19.9, "10*9/L");
  const auto p = with_code(s.evaluate(at), "pure-red-cell-aplasia");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(evidence_references(p[0]), (std::vector<std::string>{"Observation/hb", "Observation/retic"}));
}

TEST(PureRedCellAplasia, AnAbsoluteReticulocyteCountOfTwentyDoesNotFire) {
  auto s = aplasia("2024-06-02T08:00:00Z", loinc::reticulocytes_absolute, 20, "10*9/L");
  EXPECT_TRUE(with_code(s.evaluate(at), "pure-red-cell-aplasia").empty());
}

TEST(PureRedCellAplasia, AnAbsoluteReticulocyteCountInMillionsPerMicrolitreIsConverted) {
  auto s = aplasia("2024-06-02T08:00:00Z", loinc::reticulocytes_absolute, 0.0199, "10*6/uL");  // 19.9 x10^9/L
  EXPECT_EQ(with_code(s.evaluate(at), "pure-red-cell-aplasia").size(), 1u);
}

TEST(PureRedCellAplasia, HaemoglobinOfTenWithLowReticulocytesDoesNotFire) {
  auto s = patient();
  s.result(loinc::haemoglobin, when, 10).result(loinc::reticulocytes_percent, "2024-06-02T08:00:00Z", 0.2);
  EXPECT_TRUE(with_code(s.evaluate(at), "pure-red-cell-aplasia").empty());
}

TEST(PureRedCellAplasia, HaemoglobinInsideTheAcuteWindowDoesNotFire) {
  auto s = patient();
  s.result(loinc::haemoglobin, "2024-01-20T08:00:00Z", 8).result(loinc::reticulocytes_percent, "2024-01-21T08:00:00Z", 0.2);
  EXPECT_TRUE(with_code(s.evaluate(at), "pure-red-cell-aplasia").empty());
}

TEST(PureRedCellAplasia, EveryPairedReticulocyteIsEvidence) {
  auto s = patient();
  s.result(loinc::haemoglobin, when, 9, "hb")
      .result(loinc::reticulocytes_percent, "2024-05-30T08:00:00Z", 0.3, "retic-1")
      .result(loinc::reticulocytes_percent, "2024-06-03T08:00:00Z", 0.4, "retic-2")
      .result(loinc::reticulocytes_percent, "2024-06-04T08:00:00Z", 1.0, "retic-normal");
  const auto p = with_code(s.evaluate(at), "pure-red-cell-aplasia");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(evidence_references(p[0]),
            (std::vector<std::string>{"Observation/hb", "Observation/retic-1", "Observation/retic-2"}));
}

}  // namespace
}  // namespace alemwatch::testing
