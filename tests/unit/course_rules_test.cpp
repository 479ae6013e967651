// Course grouping and the rules about infusions themselves (signals.md sections 2 and 3):
// dose-out-of-range, course-too-long, course-interval-short, contraindication-hiv.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario.hpp"

namespace alemwatch::testing {
namespace {

constexpr const char* rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
constexpr const char* at = "2026-06-01T00:00:00Z";

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

// A MedicationAdministration of `rxnorm_code` with a dose in `unit`.
boost::json::object administration(const std::string& id, const std::string& time, const std::string& rxnorm_code,
                                   double dose, const std::string& unit, const std::string& status = "completed") {
  return {{"resourceType", "MedicationAdministration"},
          {"id", id},
          {"status", status},
          {"medicationCodeableConcept", {{"coding", boost::json::array{{{"system", rxnorm}, {"code", rxnorm_code}}}}}},
          {"subject", {{"reference", "Patient/p1"}}},
          {"effectiveDateTime", time},
          {"dosage", {{"dose", {{"value", dose}, {"unit", unit}, {"system", "http://unitsofmeasure.org"}, {"code", unit}}}}}};
}

// `count` daily infusions of Campath (RxNorm 284679), 30 mg each, from `first_day` at 09:00Z.
void campath_course(Scenario& s, const std::string& first_day, int count, const std::string& prefix) {
  const int day = std::stoi(first_day.substr(8, 2));
  for (int i = 0; i < count; ++i) {
    const std::string dd = (day + i < 10 ? "0" : "") + std::to_string(day + i);
    s.resource(administration(prefix + std::to_string(i + 1), first_day.substr(0, 8) + dd + "T09:00:00Z", "284679", 30, "mg"));
  }
}

// --- course grouping: a gap of more than 30 days starts a new course ---

TEST(CourseGrouping, InfusionsExactlyThirtyDaysApartAreOneCourse) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 12, "completed", "ma-1").infusion("2024-02-07T09:00:00Z", 12, "completed", "ma-2");
  const auto issues = s.evaluate(at);
  const auto b = with_code(issues, "baseline-missing");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(identifier(b[0]), "p1/baseline-missing/course-2024-01-08");
  EXPECT_EQ(implicated(b[0]),
            (std::vector<std::string>{"MedicationAdministration/ma-1", "MedicationAdministration/ma-2"}));
  EXPECT_TRUE(with_code(issues, "course-interval-short").empty());
}

TEST(CourseGrouping, InfusionsThirtyDaysAndOneHourApartAreTwoCourses) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 12, "completed", "ma-1").infusion("2024-02-07T10:00:00Z", 12, "completed", "ma-2");
  const auto issues = s.evaluate(at);
  const auto b = with_code(issues, "baseline-missing");
  EXPECT_EQ(identifiers(b), (std::vector<std::string>{"p1/baseline-missing/course-2024-01-08",
                                                      "p1/baseline-missing/course-2024-02-07"}));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(implicated(b[1]), (std::vector<std::string>{"MedicationAdministration/ma-2"}));
  EXPECT_NE(detail(b[1]).find("Course 2 started on 2024-02-07"), std::string::npos) << detail(b[1]);
  const auto short_interval = with_code(issues, "course-interval-short");
  ASSERT_EQ(short_interval.size(), 1u);
  EXPECT_EQ(identifier(short_interval[0]), "p1/course-interval-short/course-2024-02-07");
}

TEST(CourseGrouping, TheGapIsMeasuredFromThePreviousInfusionNotTheCourseStart) {
  Scenario s;
  // Each gap is 20 days: one course of 60 days.
  s.infusion("2024-01-01T09:00:00Z").infusion("2024-01-21T09:00:00Z").infusion("2024-02-10T09:00:00Z").infusion(
      "2024-03-01T09:00:00Z");
  EXPECT_EQ(with_code(s.evaluate(at), "baseline-missing").size(), 1u);
}

// --- course-too-long: course 1 at most 5 infusions, later courses at most 3 ---

TEST(CourseTooLong, FiveInfusionsInCourseOneAreFine) {
  Scenario s;
  s.course("2024-01-08", 5);
  EXPECT_TRUE(with_code(s.evaluate(at), "course-too-long").empty());
}

TEST(CourseTooLong, SixInfusionsInCourseOneFire) {
  Scenario s;
  s.course("2024-01-08", 6);
  const auto c = with_code(s.evaluate(at), "course-too-long");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(identifier(c[0]), "p1/course-too-long/course-2024-01-08");
  EXPECT_EQ(severity(c[0]), "moderate");
  EXPECT_EQ(identified(c[0]), "2024-01-08T09:00:00Z");
  EXPECT_TRUE(has_category(c[0], "MDOSE"));
  EXPECT_EQ(implicated(c[0]).size(), 6u);
  EXPECT_TRUE(evidence_references(c[0]).empty());
  EXPECT_EQ(detail(c[0]).rfind("Course 1 from 2024-01-08 to 2024-01-13 has 6 infusions; at most 5 are expected.", 0), 0u)
      << detail(c[0]);
}

TEST(CourseTooLong, ThreeInfusionsInCourseTwoAreFine) {
  Scenario s;
  s.course("2024-01-08", 5).course("2025-01-13", 3);
  EXPECT_TRUE(with_code(s.evaluate(at), "course-too-long").empty());
}

TEST(CourseTooLong, FourInfusionsInCourseTwoFire) {
  Scenario s;
  s.course("2024-01-08", 5).course("2025-01-13", 4);
  const auto c = with_code(s.evaluate(at), "course-too-long");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(identifier(c[0]), "p1/course-too-long/course-2025-01-13");
  EXPECT_NE(detail(c[0]).find("has 4 infusions; at most 3 are expected."), std::string::npos) << detail(c[0]);
}

TEST(CourseTooLong, StoppedAndInProgressInfusionsAreExposuresAndCount) {
  Scenario s;
  s.course("2024-01-08", 4).infusion("2024-01-12T09:00:00Z", 6, "stopped").infusion("2024-01-13T09:00:00Z", 6, "in-progress");
  EXPECT_EQ(with_code(s.evaluate(at), "course-too-long").size(), 1u);
}

TEST(CourseTooLong, NotDoneAndEnteredInErrorAdministrationsAreNotExposures) {
  Scenario s;
  s.course("2024-01-08", 5)
      .infusion("2024-01-13T09:00:00Z", 12, "not-done")
      .infusion("2024-01-14T09:00:00Z", 12, "entered-in-error")
      .infusion("2024-01-15T09:00:00Z", 12, "unknown");
  const auto issues = s.evaluate(at);
  EXPECT_TRUE(with_code(issues, "course-too-long").empty());
  const auto b = with_code(issues, "baseline-missing");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(implicated(b[0]).size(), 5u);
}

TEST(CourseTooLong, APatientWithOnlyNotDoneAdministrationsIsNotExposed) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 12, "not-done").infusion("2024-01-09T09:00:00Z", 12, "entered-in-error");
  s.result(loinc::platelets, "2024-06-01T08:00:00Z", 20);
  EXPECT_TRUE(s.evaluate(at).empty());
  EXPECT_EQ(s.summary().exposed_patients, 0u);
}

TEST(CourseTooLong, SixCampathInfusionsAreSkipped) {
  Scenario s;
  campath_course(s, "2024-01-08", 6, "cam-");
  const auto issues = s.evaluate(at);
  EXPECT_TRUE(with_code(issues, "course-too-long").empty());
  EXPECT_TRUE(with_code(issues, "dose-out-of-range").empty());  // 30 mg, but oncology
  EXPECT_EQ(with_code(issues, "baseline-missing").size(), 1u);  // still an exposure
}

TEST(CourseTooLong, AMixedCourseIsJudged) {
  Scenario s;
  campath_course(s, "2024-01-08", 3, "cam-");
  s.infusion("2024-01-11T09:00:00Z").infusion("2024-01-12T09:00:00Z").infusion("2024-01-13T09:00:00Z");
  EXPECT_EQ(with_code(s.evaluate(at), "course-too-long").size(), 1u);
}

// --- course-interval-short: less than 330 days after the previous course's last infusion ---

TEST(CourseIntervalShort, ExactlyThreeHundredThirtyDaysIsFine) {
  Scenario s;
  s.course("2024-01-08", 5).infusion("2024-12-07T09:00:00Z");  // last of course 1: 2024-01-12T09:00Z
  EXPECT_TRUE(with_code(s.evaluate(at), "course-interval-short").empty());
}

TEST(CourseIntervalShort, ThreeHundredTwentyNineDaysAndTwentyThreeHoursFires) {
  Scenario s;
  s.course("2024-01-08", 5).infusion("2024-12-07T08:00:00Z").infusion("2024-12-08T08:00:00Z");
  const auto c = with_code(s.evaluate(at), "course-interval-short");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(identifier(c[0]), "p1/course-interval-short/course-2024-12-07");
  EXPECT_EQ(severity(c[0]), "moderate");
  EXPECT_EQ(identified(c[0]), "2024-12-07T08:00:00Z");
  EXPECT_TRUE(has_category(c[0], "MINFREQ"));
  EXPECT_EQ(implicated(c[0]).size(), 2u);
  EXPECT_EQ(detail(c[0]).rfind("Course 2 started on 2024-12-07, 329 days after the last infusion of course 1 on "
                               "2024-01-12.",
                               0),
            0u)
      << detail(c[0]);
}

TEST(CourseIntervalShort, ACampathOnlyLaterCourseIsSkipped) {
  Scenario s;
  campath_course(s, "2024-01-08", 3, "cam1-");
  campath_course(s, "2024-05-06", 3, "cam2-");
  EXPECT_TRUE(with_code(s.evaluate(at), "course-interval-short").empty());
}

// --- dose-out-of-range: a completed MS infusion outside 12 mg +/- 10 % ---

struct DoseCase {
  const char* name;
  double dose;
  const char* category;  // empty: no issue
};

class DoseOutOfRange : public ::testing::TestWithParam<DoseCase> {};

TEST_P(DoseOutOfRange, DoseAgainstTwelveMilligramsPlusOrMinusTenPercent) {
  const auto& c = GetParam();
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 12).infusion("2024-01-09T09:00:00Z", c.dose, "completed", "ma-dose");
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  if (std::string(c.category).empty()) {
    EXPECT_TRUE(d.empty());
    return;
  }
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(identifier(d[0]), "p1/dose-out-of-range/ma-dose");
  EXPECT_EQ(severity(d[0]), "moderate");
  EXPECT_EQ(identified(d[0]), "2024-01-09T09:00:00Z");
  EXPECT_TRUE(has_category(d[0], c.category));
  EXPECT_EQ(implicated(d[0]).size(), 2u);  // its course
  EXPECT_TRUE(evidence_references(d[0]).empty());
}

INSTANTIATE_TEST_SUITE_P(Edges, DoseOutOfRange,
                         ::testing::Values(DoseCase{"Twelve", 12, ""}, DoseCase{"ThirteenPointTwo", 13.2, ""},
                                           DoseCase{"ThirteenPointTwoOne", 13.21, "DOSEH"},
                                           DoseCase{"TenPointEight", 10.8, ""},
                                           DoseCase{"TenPointSevenNine", 10.79, "DOSEL"},
                                           DoseCase{"Thirty", 30, "DOSEH"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DoseOutOfRange, DetailNamesTheDoseAndTheCourse) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 13.21, "completed", "ma-1");
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(detail(d[0]).rfind("Infusion on 2024-01-08 (course 1) recorded 13.21 mg, outside 12 mg +/- 10 %.", 0), 0u)
      << detail(d[0]);
}

TEST(DoseOutOfRange, StoppedOnHoldAndInProgressInfusionsAreNotJudged) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 4, "stopped")
      .infusion("2024-01-09T09:00:00Z", 6, "in-progress")
      .infusion("2024-01-10T09:00:00Z", 2, "on-hold");
  EXPECT_TRUE(with_code(s.evaluate(at), "dose-out-of-range").empty());
}

TEST(DoseOutOfRange, OnePointTwoMillilitresOfLemtradaIsTwelveMilligrams) {
  Scenario s;
  s.resource(administration("ma-ml", "2024-01-08T09:00:00Z", "1594659", 1.2, "mL"));
  EXPECT_TRUE(with_code(s.evaluate(at), "dose-out-of-range").empty());
  EXPECT_EQ(s.summary().unknown_doses, 0u);
}

TEST(DoseOutOfRange, OnePointFiveMillilitresOfLemtradaIsFifteenMilligrams) {
  Scenario s;
  s.resource(administration("ma-ml", "2024-01-08T09:00:00Z", "1594659", 1.5, "mL"));
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(has_category(d[0], "DOSEH"));
  EXPECT_NE(detail(d[0]).find("recorded 15 mg (1.5 mL at 10 mg/mL)"), std::string::npos) << detail(d[0]);
}

TEST(DoseOutOfRange, MillilitresOfAnUnknownProductAreAnUnknownDoseNotJudged) {
  Scenario s;
  s.resource(administration("ma-ml", "2024-01-08T09:00:00Z", "117055", 5, "mL"));  // the ingredient: no strength
  const auto issues = s.evaluate(at);
  EXPECT_TRUE(with_code(issues, "dose-out-of-range").empty());
  EXPECT_EQ(with_code(issues, "baseline-missing").size(), 1u);  // still an exposure
  EXPECT_EQ(s.summary().unknown_doses, 1u);
}

TEST(DoseOutOfRange, GramsAndMicrogramsAreConverted) {
  Scenario s;
  s.resource(administration("ma-g", "2024-01-08T09:00:00Z", "1594659", 0.012, "g"))
      .resource(administration("ma-ug", "2024-01-09T09:00:00Z", "1594659", 20000, "ug"));
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  EXPECT_EQ(identifiers(d), (std::vector<std::string>{"p1/dose-out-of-range/ma-ug"}));
}

TEST(DoseOutOfRange, CampathInfusionsAreSkipped) {
  Scenario s;
  s.resource(administration("cam-1", "2024-01-08T09:00:00Z", "284679", 30, "mg"));
  s.resource(administration("cam-2", "2024-01-09T09:00:00Z", "284679", 1, "mL"));  // 30 mg/mL
  EXPECT_TRUE(with_code(s.evaluate(at), "dose-out-of-range").empty());
}

TEST(DoseOutOfRange, OneIssuePerInfusion) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z", 20, "completed", "ma-a").infusion("2024-01-09T09:00:00Z", 5, "completed", "ma-b");
  const auto d = with_code(s.evaluate(at), "dose-out-of-range");
  EXPECT_EQ(identifiers(d), (std::vector<std::string>{"p1/dose-out-of-range/ma-a", "p1/dose-out-of-range/ma-b"}));
}

// --- contraindication-hiv: a course with an infusion after a positive HIV screen ---

TEST(ContraindicationHiv, AReactiveScreenBeforeCourseTwoRaisesACourseTwoIssue) {
  Scenario s;
  s.course("2024-01-08", 5)
      .lab({.loinc = loinc::hiv, .time = "2024-06-01T08:00:00Z", .value_string = "Reactive", .id = "hiv"})
      .course("2025-01-13", 3);
  const auto h = with_code(s.evaluate(at), "contraindication-hiv");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(identifier(h[0]), "p1/contraindication-hiv/course-2025-01-13");
  EXPECT_EQ(severity(h[0]), "high");
  EXPECT_EQ(identified(h[0]), "2025-01-13T09:00:00Z");
  EXPECT_TRUE(has_category(h[0], "COND"));
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/hiv"}));
  EXPECT_EQ(implicated(h[0]).size(), 3u);
  EXPECT_EQ(detail(h[0]).rfind("Alemtuzumab infused on 2025-01-13 (course 2) after a positive HIV screen on 2024-06-01.",
                               0),
            0u)
      << detail(h[0]);
}

TEST(ContraindicationHiv, ANonReactiveScreenDoesNotFire) {
  Scenario s;
  s.lab({.loinc = loinc::hiv, .time = "2023-12-20T08:00:00Z", .value_string = "Non-reactive"}).course("2024-01-08", 5);
  EXPECT_TRUE(with_code(s.evaluate(at), "contraindication-hiv").empty());
}

TEST(ContraindicationHiv, APositiveScreenBeforeTreatmentCounts) {
  Scenario s;
  s.lab({.loinc = loinc::hiv, .time = "2022-01-01T08:00:00Z", .value_string = "Reactive"}).course("2024-01-08", 5);
  const auto h = with_code(s.evaluate(at), "contraindication-hiv");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(identifier(h[0]), "p1/contraindication-hiv/course-2024-01-08");
  EXPECT_EQ(identified(h[0]), "2024-01-08T09:00:00Z");
}

TEST(ContraindicationHiv, APositiveScreenDuringACourseNamesTheNextInfusion) {
  Scenario s;
  s.course("2024-01-08", 5).lab({.loinc = loinc::hiv, .time = "2024-01-09T12:00:00Z", .value_string = "Positive"});
  const auto h = with_code(s.evaluate(at), "contraindication-hiv");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(identifier(h[0]), "p1/contraindication-hiv/course-2024-01-08");
  EXPECT_EQ(identified(h[0]), "2024-01-10T09:00:00Z");
}

TEST(ContraindicationHiv, APositiveScreenAfterTheLastInfusionDoesNotFire) {
  Scenario s;
  s.course("2024-01-08", 5).lab({.loinc = loinc::hiv, .time = "2024-06-01T08:00:00Z", .value_string = "Reactive"});
  EXPECT_TRUE(with_code(s.evaluate(at), "contraindication-hiv").empty());
}

TEST(ContraindicationHiv, AScreenAtTheInfusionsInstantIsNotBeforeIt) {
  Scenario s;
  s.infusion("2024-01-08T09:00:00Z").lab({.loinc = loinc::hiv, .time = "2024-01-08T09:00:00Z", .value_string = "Reactive"});
  EXPECT_TRUE(with_code(s.evaluate(at), "contraindication-hiv").empty());
}

TEST(ContraindicationHiv, APositiveInterpretationCounts) {
  Scenario s;
  s.lab({.loinc = loinc::hiv, .time = "2023-12-20T08:00:00Z", .interpretation = "POS"}).course("2024-01-08", 5);
  EXPECT_EQ(with_code(s.evaluate(at), "contraindication-hiv").size(), 1u);
}

TEST(ContraindicationHiv, ACodedPositiveScreenCounts) {
  Scenario s;
  s.resource({{"resourceType", "Observation"},
              {"id", "hiv-coded"},
              {"status", "final"},
              {"code", {{"coding", boost::json::array{{{"system", "http://loinc.org"}, {"code", loinc::hiv}}}}}},
              {"subject", {{"reference", "Patient/p1"}}},
              {"effectiveDateTime", "2023-12-20T08:00:00Z"},
              {"valueCodeableConcept",
               {{"coding", boost::json::array{{{"system", "http://snomed.info/sct"}, {"code", "10828004"}}}}}}});
  s.course("2024-01-08", 5);
  const auto h = with_code(s.evaluate(at), "contraindication-hiv");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/hiv-coded"}));
}

TEST(ContraindicationHiv, ACodedNegativeScreenDoesNotFire) {
  Scenario s;
  s.resource({{"resourceType", "Observation"},
              {"id", "hiv-neg"},
              {"status", "final"},
              {"code", {{"coding", boost::json::array{{{"system", "http://loinc.org"}, {"code", loinc::hiv}}}}}},
              {"subject", {{"reference", "Patient/p1"}}},
              {"effectiveDateTime", "2023-12-20T08:00:00Z"},
              {"valueCodeableConcept",
               {{"coding", boost::json::array{{{"system", "http://snomed.info/sct"}, {"code", "260385009"}}}}}}});
  s.course("2024-01-08", 5);
  EXPECT_TRUE(with_code(s.evaluate(at), "contraindication-hiv").empty());
}

TEST(ContraindicationHiv, AnEnteredInErrorScreenDoesNotCount) {
  Scenario s;
  s.lab({.loinc = loinc::hiv, .time = "2023-12-20T08:00:00Z", .status = "entered-in-error", .value_string = "Reactive"})
      .course("2024-01-08", 5);
  EXPECT_TRUE(with_code(s.evaluate(at), "contraindication-hiv").empty());
}

TEST(ContraindicationHiv, EveryLaterCourseIsItsOwnEpisode) {
  Scenario s;
  s.lab({.loinc = loinc::hiv, .time = "2023-12-20T08:00:00Z", .value_string = "Reactive", .id = "hiv-1"})
      .course("2024-01-08", 5)
      .lab({.loinc = loinc::hiv, .time = "2024-12-01T08:00:00Z", .value_string = "Reactive", .id = "hiv-2"})
      .course("2025-01-13", 3);
  const auto h = with_code(s.evaluate(at), "contraindication-hiv");
  EXPECT_EQ(identifiers(h), (std::vector<std::string>{"p1/contraindication-hiv/course-2024-01-08",
                                                      "p1/contraindication-hiv/course-2025-01-13"}));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(evidence_references(h[0]), (std::vector<std::string>{"Observation/hiv-1"}));
  EXPECT_EQ(evidence_references(h[1]), (std::vector<std::string>{"Observation/hiv-1", "Observation/hiv-2"}));
  EXPECT_NE(detail(h[1]).find("after a positive HIV screen on 2024-12-01."), std::string::npos) << detail(h[1]);
}

}  // namespace
}  // namespace alemwatch::testing
