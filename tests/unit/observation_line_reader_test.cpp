// The Observation line reader: a shortcut that must give exactly what read_observation() gives
// over a Boost.JSON tree, and nothing at all for a line it is not sure of (which the full way then
// reads, reporting what is wrong). Each line is read both ways.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/observation_line_reader.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/fhir/resources.hpp"

namespace alemwatch::fhir {
namespace {

struct Problems : ProblemSink {
  std::vector<DataProblem> reported;
  void report(DataProblem p) override { reported.push_back(std::move(p)); }
};

// What the full way makes of a line: the Observation, and whether anything was reported.
struct FullRead {
  std::optional<Observation> observation;
  std::size_t problems = 0;
};

FullRead read_in_full(std::string_view line) {
  Problems problems;
  ResourceReader reader(problems);
  FullRead out;
  reader.read_ndjson_line(line, {"test.ndjson", 1, {}, {}}, [&](const ResourceInput& in) {
    if (in.resource_type != "Observation") return;
    ResourceScope scope(problems, in.where, "Observation", "");
    out.observation = read_observation(in.resource, scope);
  });
  out.problems = problems.reported.size();
  return out;
}

class LineReader : public ::testing::Test {
 protected:
  // Reads `line` from a buffer padded as simdjson wants, with more data after the line, as in a
  // block of NDJSON. Checks that whatever it gives is what the full way gives, without problems.
  std::optional<Observation> read(std::string_view line, std::size_t max_depth = 64) {
    buffer_.assign(line);
    buffer_ += "\n{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{}}\n";
    buffer_.append(64, ' ');
    auto fast = reader_.read(std::string_view(buffer_).substr(0, line.size()), buffer_.size(), max_depth);
    if (fast) {
      const auto full = read_in_full(line);
      EXPECT_EQ(full.problems, 0u) << line;
      EXPECT_TRUE(full.observation && *full.observation == *fast) << line;
    }
    return fast;
  }

  ObservationLineReader reader_;
  std::string buffer_;
};

// A plain laboratory Observation, with `extra` members after its own.
std::string observation(std::string_view extra = "") {
  std::string s =
      R"({"resourceType":"Observation","id":"obs-1","meta":{"versionId":"2","tag":[{"code":"x"}]},"status":"final",)"
      R"("category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],)"
      R"("code":{"coding":[{"system":"http://loinc.org","code":"777-3","display":"Platelets"}],"text":"PLT"},)"
      R"("subject":{"reference":"Patient/p1","display":"Doe, Jane"},"effectiveDateTime":"2025-03-01T08:00:00Z",)"
      R"("issued":"2025-03-01T10:00:00+01:00","performer":[{"reference":"Practitioner/1"}],)"
      R"("valueQuantity":{"value":212.5,"unit":"10*3/uL","system":"http://unitsofmeasure.org","code":"10*3/uL"},)"
      R"("interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"N"}]}],)"
      R"("referenceRange":[{"low":{"value":150,"unit":"10*3/uL"},"high":{"value":400,"unit":"10*3/uL"},"text":"150-400"}],)"
      R"("note":[{"text":"ok"}],"flag":true,"nothing":null,"count":-3)";
  s += extra;
  s += "}";
  return s;
}

TEST_F(LineReader, ReadsAPlainObservationAsTheFullWayDoes) {
  const auto obs = read(observation());
  ASSERT_TRUE(obs);
  EXPECT_EQ(obs->id, "obs-1");
  EXPECT_EQ(obs->status, "final");
  ASSERT_EQ(obs->code.codings.size(), 1u);
  EXPECT_EQ(obs->code.codings[0].code, "777-3");
  EXPECT_EQ(obs->code.text, "PLT");
  ASSERT_TRUE(obs->subject);
  EXPECT_EQ(obs->subject->reference, "Patient/p1");
  EXPECT_EQ(obs->time_source, ObservationTimeSource::effective_date_time);
  EXPECT_EQ(obs->time, parse_fhir_datetime("2025-03-01T08:00:00Z"));
  ASSERT_TRUE(obs->value_quantity && obs->value_quantity->value);
  EXPECT_EQ(*obs->value_quantity->value, 212.5);
  ASSERT_EQ(obs->reference_ranges.size(), 1u);
  EXPECT_EQ(obs->reference_ranges[0].high->value, 400.0);
  ASSERT_EQ(obs->interpretation.size(), 1u);
}

TEST_F(LineReader, TakesTheTimeFromWhereTheFullWayTakesIt) {
  const auto instant = read(
      R"({"resourceType":"Observation","status":"final","code":{},"issued":"2025-01-02T00:00:00Z","effectiveInstant":"2025-01-01T00:00:00Z"})");
  ASSERT_TRUE(instant);
  EXPECT_EQ(instant->time_source, ObservationTimeSource::effective_instant);
  const auto period = read(
      R"({"resourceType":"Observation","status":"final","code":{},"effectivePeriod":{"start":"2025-01-01","end":"2025-01-03"},"issued":"2025-01-02T00:00:00Z"})");
  ASSERT_TRUE(period);
  EXPECT_EQ(period->time_source, ObservationTimeSource::effective_period_start);
  const auto issued = read(
      R"({"resourceType":"Observation","status":"final","code":{},"effectivePeriod":{"end":"2025-01-03"},"issued":"2025-01-02T00:00:00Z"})");
  ASSERT_TRUE(issued);
  EXPECT_EQ(issued->time_source, ObservationTimeSource::issued);
  const auto none = read(R"({"resourceType":"Observation","status":"final","code":{}})");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->time);
}

TEST_F(LineReader, ReadsOtherValuesAndEscapedStrings) {
  const auto string = read(
      R"({"resourceType":"Observation","status":"final","code":{"text":"caf\u00e9 \"x\""},"valueString":"neg\native"})");
  ASSERT_TRUE(string);
  EXPECT_EQ(string->code.text, "caf\xc3\xa9 \"x\"");
  EXPECT_EQ(string->value_string, "neg\native");
  const auto coded = read(
      R"({"resourceType":"Observation","status":"final","code":{},"valueCodeableConcept":{"coding":[{"code":"260385009"}]},"dataAbsentReason":{"text":"x"}})");
  ASSERT_TRUE(coded && coded->value_codeable_concept && coded->data_absent_reason);
  const auto other = read(
      R"({"resourceType":"Observation","status":"final","code":{},"valueBoolean":true,"valueInteger":3})");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->other_value_type, "valueInteger");  // of several, the last in the list
}

// Whatever it makes of these (and it gives up on some), it is what the full way makes of them.
TEST_F(LineReader, ObservationsOfEveryShapeReadAsTheFullWayReadsThem) {
  const std::string head = R"({"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},"status":"final","category":[{"text":"lab"}],"code":{"coding":[{"system":"http://loinc.org","code":"777-3","display":"Plt"}],"text":"Platelets"},"subject":{"reference":"Patient/p1","display":"A"},"encounter":{"reference":"Encounter/e"},)";
  std::size_t read_here = 0;
  for (const char* tail : {
           R"("issued":"2026-01-02T03:04:05Z","valueQuantity":{"value":150,"unit":"10*3/uL","system":"http://unitsofmeasure.org","code":"10*3/uL"}})",
           R"("effectiveInstant":"2026-01-02T03:04:05.123Z","valueQuantity":{"value":1.5e2,"comparator":"<"}})",
           R"("effectivePeriod":{"start":"2026-01-02","end":"2026-01-03"},"valueString":"<5"})",
           R"("effectiveDateTime":"2026-13-01","issued":"2026-01-02T03:04:05Z","valueBoolean":true})",
           R"("effectiveDateTime":"2026-01-01","valueInteger":3,"valueRange":{"low":{"value":1}},"valuePeriod":{}})",
           R"("effectiveDateTime":"2026-01-01","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"10828004"}]},"interpretation":[{"coding":[{"code":"POS"}]},{"text":"x"}]})",
           R"("effectiveDateTime":"2026-01-01","dataAbsentReason":{"text":"error"},"referenceRange":[{"low":{"value":150},"high":{"value":400}},7,{"text":"adult"}]})",
           R"("effectiveDateTime":2026,"valueQuantity":{"value":"150"},"performer":[{"reference":"Practitioner/x"}],"note":[{"text":"n"}]})",
           R"("contained":[{"resourceType":"Observation","subject":{"reference":"Patient/other"},"status":"bad"}],"effectiveDateTime":"2026-01-01","valueSampledData":{}})",
           R"("effectiveDateTime":"2026-01-01","valueQuantity":{"value":1e999}})",
       })
    read_here += read(head + tail).has_value();
  EXPECT_GE(read_here, 4u);
}

TEST_F(LineReader, ReadsDecimalsBothReadersTurnIntoTheSameDouble) {
  for (const char* value : {"0.1", "0.3", "-2.75", "123456789012345", "0.00000000000001", "7", "-0.5", "0"}) {
    const auto alone = read(std::string(R"({"resourceType":"Observation","status":"final","code":{},"valueQuantity":{"value":)") +
                            value + "}}");
    ASSERT_TRUE(alone) << value;
    EXPECT_EQ(alone->value_quantity->value, boost::json::parse(value).to_number<double>()) << value;
  }
}

TEST_F(LineReader, LeavesNumbersThatMightBeReadDifferentlyToTheFullWay) {
  for (const char* value : {"1e3", "1.5E-2", "1234567890123456", "0.1234567890123456", "-0", "-0.0"}) {
    const auto line = std::string(R"({"resourceType":"Observation","status":"final","code":{},"valueQuantity":{"value":)") +
                      value + "}}";
    EXPECT_FALSE(read(line)) << value;
    EXPECT_TRUE(read_in_full(line).observation) << value;  // valid all the same
  }
}

// Each of these is either invalid JSON or an Observation the full way reports a problem with.
TEST_F(LineReader, GivesNothingForWhatTheFullWayWouldReport) {
  const std::vector<std::string> lines = {
      observation(R"(,"performer2":[{"reference":tru}])"),        // a bad literal in an element not read
      observation(R"(,"x":nul)"),                                 // likewise
      observation(R"(,"x":[1,2,])"),                              // a trailing comma
      observation(R"(,"x":"bad \q escape")"),                     // a bad escape in a string not read
      observation(R"(,"x":"\ud800")"),                            // a lone surrogate
      observation(",\"x\":\"tab\tinside\""),                  // a control character in a string
      observation(R"(,"x":01)"),                                  // a leading zero
      observation(R"(,"x":1e-9999999999)"),                       // an exponent past INT_MAX
      observation(R"(,"x":0e9999999999)"),                        // likewise, of zero
      observation(R"(,"x":"value":200)"),                         // a colon for a comma, after a string
      observation(R"(,"x":["a" "b"])"),                           // no comma between strings
      R"({"resourceType":"Observation","status":"final":"x","code":{}})",  // likewise, after one read
      observation(R"(,"code":{})"),                               // a key given twice
      observation(R"(,"\u0063ode":{})"),                          // a key written with an escape
      observation() + R"( {"resourceType":"Observation"})",       // something after the object
      R"({"resourceType":"Observation","id":"not valid!","status":"final","code":{}})",
      R"({"resourceType":"Observation","status":"done","code":{}})",
      R"({"resourceType":"Observation","code":{}})",
      R"({"resourceType":"Observation","status":"final"})",
      R"({"resourceType":"Observation","status":"final","code":{"coding":{"code":"x"}}})",
      R"({"resourceType":"Observation","status":"final","code":{"coding":["x"]}})",
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"code":1}]}})",
      R"({"resourceType":"Observation","status":"final","code":{},"subject":"Patient/1"})",
      R"({"resourceType":"Observation","status":"final","code":{},"effectiveDateTime":"2025-02-30"})",
      R"({"resourceType":"Observation","status":"final","code":{},"effectivePeriod":{"start":""}})",
      R"({"resourceType":"Observation","status":"final","code":{},"valueQuantity":{"value":"1"}})",
      R"({"resourceType":"Observation","status":"final","code":{},"valueString":null})",
      R"({"resourceType":"Observation","status":"final","code":{},"referenceRange":[1]})",
      R"({"resourceType":"Observation","status":"final","code":{},"interpretation":{"text":"x"}})",
      R"({"resourceType":"Patient","status":"final","code":{}})",
      R"(["resourceType","Observation"])",
  };
  for (const auto& line : lines) {
    EXPECT_FALSE(read(line)) << line;
    const auto full = read_in_full(line);
    EXPECT_TRUE(!full.observation || full.problems > 0 || line.find("Patient") != std::string::npos) << line;
  }
}

TEST_F(LineReader, ChecksNumbersItDoesNotReadAsTheFullWayDoes) {
  EXPECT_TRUE(read(observation(R"(,"x":[1.5e-3,-2E+10,0,-0,1e0001])")));
  EXPECT_FALSE(read(observation(R"(,"x":1e00001)")));  // more exponent digits than any FHIR value needs
  EXPECT_FALSE(read(observation(R"(,"x":1e400)")));    // out of range for simdjson, infinity for Boost.JSON
}

TEST_F(LineReader, LeavesDeepNestingToTheFullWay) {
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += "[";
  for (int i = 0; i < 70; ++i) deep += "]";
  EXPECT_FALSE(read(observation(R"(,"x":)" + deep)));
  EXPECT_FALSE(read(observation(R"(,"x":[[[[1]]]])"), 4));
  EXPECT_TRUE(read(observation(R"(,"x":[[[[1]]]])"), 64));
}

}  // namespace
}  // namespace alemwatch::fhir
