// The Observation skim: what it reads from a line, and every surprise that makes it give nothing
// (so that the caller parses the line in full): wrong types, keys given twice, keys written with
// an escape, content after the object, invalid JSON.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/observation_skim.hpp"

namespace alemwatch::fhir {
namespace {

// Skims `line` from a buffer padded as simdjson wants, with data (not zeros) after the line, as
// in a memory-mapped block.
class Skim : public ::testing::Test {
 protected:
  std::optional<ObservationSkim> skim(std::string_view line) {
    buffer_.assign(line);
    buffer_ += "\n{\"resourceType\":\"Observation\",\"subject\":{\"reference\":\"Patient/next\"}}\n";
    buffer_.append(64, ' ');
    return skimmer_.skim(std::string_view(buffer_).substr(0, line.size()), buffer_.size());
  }

  std::string buffer_;
  ObservationSkimmer skimmer_;
};

std::vector<std::pair<std::string, std::string>> codings_of(const ObservationSkim& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : s.codings) out.emplace_back(c.system, c.code);
  return out;
}

using Codings = std::vector<std::pair<std::string, std::string>>;

TEST_F(Skim, ReadsTheFourFields) {
  const auto s = skim(
      R"({"resourceType":"Observation","id":"obs1","meta":{"versionId":"1"},"status":"final",)"
      R"("category":[{"coding":[{"system":"cat","code":"laboratory"}]}],)"
      R"("code":{"coding":[{"system":"http://loinc.org","code":"718-7","display":"Hb"},{"code":"x"}],"text":"Hb"},)"
      R"("subject":{"reference":"Patient/p1","display":"A"},"valueQuantity":{"value":12.5}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->resource_type, "Observation");
  EXPECT_EQ(s->id, "obs1");
  ASSERT_TRUE(s->subject_reference);
  EXPECT_EQ(*s->subject_reference, "Patient/p1");
  EXPECT_EQ(codings_of(*s), (Codings{{"http://loinc.org", "718-7"}, {"", "x"}}));
}

TEST_F(Skim, ReadsWhitespaceAndMissingFields) {
  const auto s = skim(R"(  { "resourceType" : "Observation" , "code" : { "text" : "t" } }  )");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->resource_type, "Observation");
  EXPECT_EQ(s->id, "");
  EXPECT_FALSE(s->subject_reference);
  EXPECT_TRUE(s->codings.empty());
}

TEST_F(Skim, UnescapesStrings) {
  const auto s = skim(
      R"({"resourceType":"Obs\u0065rvation","id":"a\"b","subject":{"reference":"Patient\/p1"},)"
      R"("code":{"coding":[{"system":"http:\/\/loinc.org","code":"\\"}]}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->resource_type, "Observation");
  EXPECT_EQ(s->id, "a\"b");
  EXPECT_EQ(*s->subject_reference, "Patient/p1");
  EXPECT_EQ(codings_of(*s), (Codings{{"http://loinc.org", "\\"}}));
}

TEST_F(Skim, ReadsLongStringsAndKeys) {
  const std::string long_id(100, 'a');
  const std::string long_key(70, 'k');
  const auto s = skim(R"({"resourceType":"Observation",")" + long_key + R"(":1,"id":")" + long_id + R"("})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, long_id);
  const auto escaped = skim(R"({"resourceType":"Observation","id":")" + long_id + R"(\"x"})");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->id, long_id + "\"x");
}

TEST_F(Skim, ReadsOtherResourceTypes) {
  const auto s = skim(R"({"resourceType":"Patient","id":"p1"})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->resource_type, "Patient");
}

TEST_F(Skim, IgnoresTheFourKeysInsideOtherFields) {
  const auto s = skim(R"({"resourceType":"Observation","meta":{"id":1,"subject":[],"code":{}},"id":"a"})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "a");
}

TEST_F(Skim, TheSkimmerIsReused) {
  ASSERT_TRUE(skim(R"({"resourceType":"Observation","code":{"coding":[{"code":"1"},{"code":"2"}]}})"));
  const auto s = skim(R"({"resourceType":"Observation","code":{"coding":[{"code":"3"}]}})");
  ASSERT_TRUE(s);
  EXPECT_EQ(codings_of(*s), (Codings{{"", "3"}}));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[{"code":4}]}})"));
  const auto after = skim(R"({"resourceType":"Observation","id":"b"})");
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->codings.empty());
  EXPECT_FALSE(after->subject_reference);
}

TEST_F(Skim, RefusesAKeyWrittenWithAnEscape) {
  // An escaped spelling of one of the keys it reads must never be missed: any escaped key refuses.
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a","s\u0075bject":{"reference":"Patient/p1"}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a","subject":{"reference":"Patient/p1"},"s\u0075bject":{}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a","co\u0064e":{"coding":[]}})"));
  EXPECT_FALSE(skim(R"({"resource\u0054ype":"Observation","id":"a"})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","\u0069d":"a"})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","x\"y":1})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation",")" + std::string(40, 'k') + R"(\n":1})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","subject":{"r\u0065ference":"Patient/p1"}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"c\u006fding":[]}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[{"syst\u0065m":"s"}]}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[{"c\u006fde":"c"}]}})"));
}

TEST_F(Skim, RefusesAKeyGivenTwice) {
  const std::string four =
      R"({"resourceType":"Observation","id":"a","subject":{"reference":"Patient/p1"},"code":{"coding":[]})";
  ASSERT_TRUE(skim(four + "}"));
  // After all four are found, later in the line.
  EXPECT_FALSE(skim(four + R"(,"status":"final","subject":{"reference":"Patient/p2"}})"));
  EXPECT_FALSE(skim(four + R"(,"code":{}})"));
  EXPECT_FALSE(skim(four + R"(,"id":"b"})"));
  EXPECT_FALSE(skim(four + R"(,"resourceType":"Observation"})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","subject":{"reference":"P/1","reference":"P/2"}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[],"coding":[]}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[{"system":"a","system":"b"}]}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[{"code":"a","code":"b"}]}})"));
}

TEST_F(Skim, RefusesAFieldOfTheWrongType) {
  EXPECT_FALSE(skim(R"({"resourceType":["Observation"]})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":1})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":null})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","subject":"Patient/p1"})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","subject":{"reference":5}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":[]})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":{}}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[1]}})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","code":{"coding":[{"code":true}]}})"));
}

TEST_F(Skim, RefusesWhatIsNotOneObject) {
  EXPECT_FALSE(skim(R"(["resourceType","Observation"])"));
  EXPECT_FALSE(skim(R"("Observation")"));
  EXPECT_FALSE(skim(R"({"id":"a"})"));  // no resourceType
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a"} {})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a"}x)"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a"}{"resourceType":"Observation","id":"b"})"));
}

TEST_F(Skim, RefusesInvalidJsonItReads) {
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a")"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a",})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a\x"})"));
  EXPECT_FALSE(skim(R"({"resourceType":"Observation","id":"a)"));
  EXPECT_FALSE(skim("{\"resourceType\":\"Observation\",\"id\":\"a\xff\"}"));
}

TEST_F(Skim, RefusesWithoutPadding) {
  const std::string line = R"({"resourceType":"Observation"})";
  EXPECT_FALSE(skimmer_.skim(line, line.size() + 10));
}

}  // namespace
}  // namespace alemwatch::fhir
