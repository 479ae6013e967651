// The itp rule at its edges (signals.md section 3).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace alemwatch::testing
