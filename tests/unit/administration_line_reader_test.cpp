// The administration line reader: like the Observation line reader, a shortcut that must give
// exactly what read_medication_administration() gives over a Boost.JSON tree, and nothing for a
// line it is not sure of. Each line is read both ways.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/administration_line_reader.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/fhir/resources.hpp"

namespace alemwatch::fhir {
namespace {

struct Problems : ProblemSink {
  std::size_t reported = 0;
  void report(DataProblem) override { ++reported; }
};

struct FullRead {
  std::optional<MedicationAdministration> administration;
  std::size_t problems = 0;
};

FullRead read_in_full(std::string_view line) {
  Problems problems;
  ResourceReader reader(problems);
  FullRead out;
  reader.read_ndjson_line(line, {"test.ndjson", 1, {}, {}}, [&](const ResourceInput& in) {
    if (in.resource_type != "MedicationAdministration") return;
    ResourceScope scope(problems, in.where, "MedicationAdministration", "");
    out.administration = read_medication_administration(in.resource, scope);
  });
  out.problems = problems.reported;
  return out;
}

class AdministrationReader : public ::testing::Test {
 protected:
  // Reads `line` from a padded buffer with more data after it; whatever it gives must be what
  // the full way gives, without problems.
  std::optional<MedicationAdministration> read(std::string_view line) {
    buffer_.assign(line);
    buffer_ += "\n{\"resourceType\":\"MedicationAdministration\",\"status\":\"completed\"}\n";
    buffer_.append(64, ' ');
    auto fast = reader_.read(std::string_view(buffer_).substr(0, line.size()), buffer_.size(), 64);
    if (fast) {
      const auto full = read_in_full(line);
      EXPECT_EQ(full.problems, 0u) << line;
      EXPECT_TRUE(full.administration && *full.administration == *fast) << line;
    }
    return fast;
  }

  AdministrationLineReader reader_;
  std::string buffer_;
};

// An infusion as an EHR's bulk export writes it, with `medication` and `extra` members.
std::string administration(std::string_view medication, std::string_view extra = "") {
  std::string s =
      R"({"resourceType":"MedicationAdministration","id":"ma-1","meta":{"versionId":"1"},)"
      R"("identifier":[{"use":"official","system":"urn:oid:1.2.3","value":"160461197786"}],"status":"completed",)"
      R"("category":{"coding":[{"code":"outpatient"}]},)";
  s += medication;
  s += R"(,"subject":{"reference":"Patient/p1","display":"Scott, Emily"},"context":{"reference":"Encounter/e1"},)"
       R"("effectivePeriod":{"start":"2026-06-19T09:19:00Z","end":"2026-06-19T13:19:00Z"},)"
       R"("performer":[{"actor":{"reference":"Practitioner/6"}}],)"
       R"("dosage":{"text":"12 mg IV infusion","route":{"coding":[{"code":"47625008"}]},)"
       R"("dose":{"value":12,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}})";
  s += extra;
  s += "}";
  return s;
}

constexpr std::string_view by_reference = R"("medicationReference":{"reference":"Medication/lemtrada","display":"Lemtrada"})";
constexpr std::string_view by_code =
    R"("medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1594659"}],"text":"Lemtrada"})";

TEST_F(AdministrationReader, ReadsAnInfusionAsTheFullWayDoes) {
  const auto ma = read(administration(by_reference));
  ASSERT_TRUE(ma);
  EXPECT_EQ(ma->id, "ma-1");
  EXPECT_EQ(ma->status, "completed");
  ASSERT_TRUE(ma->medication_reference);
  EXPECT_EQ(ma->medication_reference->reference, "Medication/lemtrada");
  EXPECT_FALSE(ma->medication_concept);
  ASSERT_TRUE(ma->subject);
  EXPECT_EQ(ma->time, parse_fhir_datetime("2026-06-19T09:19:00Z"));
  ASSERT_TRUE(ma->dose && ma->dose->value);
  EXPECT_EQ(*ma->dose->value, 12.0);

  const auto coded = read(administration(by_code, R"(,"effectiveDateTime":"2026-06-20T10:00:00Z")"));
  ASSERT_TRUE(coded && coded->medication_concept);
  EXPECT_EQ(coded->medication_concept->codings.at(0).code, "1594659");
  EXPECT_EQ(coded->time, parse_fhir_datetime("2026-06-20T10:00:00Z"));  // effectiveDateTime comes first
}

TEST_F(AdministrationReader, ReadsAnAdministrationWithoutTimeOrDose) {
  const auto ma = read(R"({"resourceType":"MedicationAdministration","status":"not-done",)" + std::string(by_code) + "}");
  ASSERT_TRUE(ma);
  EXPECT_FALSE(ma->time);
  EXPECT_FALSE(ma->dose);
  EXPECT_FALSE(ma->subject);
}

// Each of these is invalid JSON, an administration the full way reports a problem with, or one
// with contained resources, which the full way reads.
TEST_F(AdministrationReader, GivesNothingForWhatItLeavesToTheFullWay) {
  const std::vector<std::string> lines = {
      administration(by_reference, R"(,"x":"a":1)"),
      administration(by_reference, R"(,"x":[1 2])"),
      administration(by_reference, R"(,"x":0e9999999999)"),
      administration(by_reference, R"(,"status":"completed")"),
      administration(by_reference, R"(,"\u0069d":"x")"),
      administration(by_reference, R"(,"contained":[{"resourceType":"Medication","id":"m"}])"),
      administration(by_reference, R"(,"effectiveDateTime":"2026-13-01")"),
      administration(R"("medicationReference":"Medication/lemtrada")"),
      administration(R"("medicationCodeableConcept":{"coding":{"code":"1"}})"),
      administration(by_reference) + "x",
      R"({"resourceType":"MedicationAdministration","status":"completed"})",
      R"({"resourceType":"MedicationAdministration",)" + std::string(by_code) + "}",
      R"({"resourceType":"MedicationAdministration","status":"given",)" + std::string(by_code) + "}",
      R"({"resourceType":"MedicationAdministration","id":"bad id","status":"completed",)" + std::string(by_code) + "}",
      R"({"resourceType":"MedicationAdministration","status":"completed","dosage":[],)" + std::string(by_code) + "}",
      R"({"resourceType":"MedicationAdministration","status":"completed","dosage":{"dose":{"value":1e1}},)" +
          std::string(by_code) + "}",
      R"({"resourceType":"Observation","status":"completed",)" + std::string(by_code) + "}",
  };
  for (const auto& line : lines) EXPECT_FALSE(read(line)) << line;
}

}  // namespace
}  // namespace alemwatch::fhir
