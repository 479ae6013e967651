// The report's threshold lines come from signals.json: a hospital's tuned value is what it draws.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "alemwatch/adapter/report_thresholds.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "scenario.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

std::vector<double> values(const std::vector<DrawnThreshold>& t) {
  std::vector<double> out;
  for (const auto& x : t) out.push_back(x.value);
  return out;
}

TEST(ReportThresholds, ShippedPlateletLimitsAreTheItpAndTmaThresholds) {
  const auto t = thresholds_for(testing::shipped_mappings(), "platelets");
  EXPECT_EQ(values(t), (std::vector<double>{30, 100, 150}));
  EXPECT_EQ(t[1].label, "itp < 100");
  EXPECT_EQ(t[0].description, "Immune thrombocytopenia < 30 (high)");
}

TEST(ReportThresholds, SignalsSharingALimitShareOneLine) {
  const auto t = thresholds_for(testing::shipped_mappings(), "haemoglobin");
  ASSERT_EQ(values(t), (std::vector<double>{8, 10}));
  EXPECT_EQ(t[1].label, "post-infusion-tma +2 < 10");
  EXPECT_EQ(t[1].description,
            "Thrombotic microangiopathy after infusion < 10; Anaemia < 10; Pure red cell aplasia < 10");
}

TEST(ReportThresholds, AnAnalyteNoRuleLimitsHasNoLine) {
  EXPECT_TRUE(thresholds_for(testing::shipped_mappings(), "lymphocytes").empty());
}

TEST(ReportThresholds, ATunedThresholdIsTheOneDrawn) {
  const fs::path dir = fs::temp_directory_path() / ("alemwatch-report-thresholds-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(ALEMWATCH_SOURCE_MAPPINGS, dir, fs::copy_options::recursive);
  std::stringstream text;
  text << std::ifstream(dir / "signals.json").rdbuf();
  auto json = boost::json::parse(text.str());
  json.at("signals").at("itp").at("thresholds").as_object()["platelets_below"] = 90;
  std::ofstream(dir / "signals.json", std::ios::trunc) << boost::json::serialize(json);
  auto m = mappings::load_mappings(dir, rule_requirements());
  fs::remove_all(dir);
  ASSERT_TRUE(m) << m.error().describe();
  EXPECT_EQ(values(thresholds_for(**m, "platelets")), (std::vector<double>{30, 90, 150}));
}

}  // namespace
}  // namespace alemwatch::adapter
