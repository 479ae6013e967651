// Builds one synthetic patient as real FHIR JSON, runs the whole evaluation over it (reader
// views, mappings, rules, DetectedIssue writer) and returns the DetectedIssues as JSON.
//
// Every DetectedIssue a test produces is also appended to the file named by the environment
// variable ALEMWATCH_ISSUE_DUMP, when set, so that CTest can run an independent FHIR validator
// over all of them.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "alemwatch/adapter/run_summary.hpp"
#include "alemwatch/fhir/detected_issue.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::testing {

// LOINC codes used by tests.
namespace loinc {
inline constexpr const char* platelets = "777-3";
inline constexpr const char* haemoglobin = "718-7";
inline constexpr const char* neutrophils = "751-8";
inline constexpr const char* reticulocytes_percent = "4679-7";
inline constexpr const char* reticulocytes_absolute = "14196-0";
inline constexpr const char* creatinine = "2160-0";
inline constexpr const char* urine_protein = "20454-5";
inline constexpr const char* urine_protein_strip = "5804-0";
inline constexpr const char* urine_protein_ratio = "2890-2";
inline constexpr const char* urine_blood = "5794-3";
inline constexpr const char* urine_rbc = "13945-1";
inline constexpr const char* tsh = "3016-3";
inline constexpr const char* trab = "5385-0";
inline constexpr const char* ldh = "2532-0";
inline constexpr const char* haptoglobin = "4542-7";
inline constexpr const char* aptt = "14979-9";
inline constexpr const char* inr = "6301-6";
inline constexpr const char* factor_viii = "3209-4";
inline constexpr const char* ferritin = "2276-4";
inline constexpr const char* hiv = "56888-1";
inline constexpr const char* anti_gbm = "59394-7";
}  // namespace loinc

struct Lab {
  std::string loinc;
  std::string time;
  std::optional<double> value;
  std::string unit;                       // UCUM code (and unit text)
  std::string status = "final";
  std::optional<std::string> value_string;
  std::optional<double> range_low, range_high;
  std::string range_unit;                 // defaults to `unit`
  std::string interpretation;             // v3 code, e.g. "POS"
  std::string id;                         // generated when empty
};

class Scenario {
 public:
  explicit Scenario(std::string patient_id = "p1") : patient_(std::move(patient_id)) {}

  // An alemtuzumab infusion (Lemtrada, RxNorm 1594659) of `dose_mg` mg.
  Scenario& infusion(const std::string& time, double dose_mg = 12, const std::string& status = "completed",
                     const std::string& id = "");
  // A course: `count` daily infusions from `first_day` (YYYY-MM-DD) at 09:00Z.
  Scenario& course(const std::string& first_day, int count);
  Scenario& lab(Lab lab);
  // A quantitative result in the analyte's usual UCUM unit.
  Scenario& result(const char* loinc, const std::string& time, double value, const std::string& id = "");
  // Monthly platelets, creatinine, urine protein (negative) and 3-monthly TSH, all normal,
  // from `from` to `to` (YYYY-MM-DD), and baselines: the quiet background of a monitored patient.
  Scenario& routine_monitoring(const std::string& from, const std::string& to);
  Scenario& resource(boost::json::object resource);

  // Runs the evaluation at `at` and returns the DetectedIssues, ordered by identifier.
  std::vector<boost::json::object> evaluate(const std::string& at);
  const adapter::RunSummary& summary() const { return summary_; }
  // The FHIR resources built so far, in the order added.
  const std::vector<boost::json::object>& resources() const { return resources_; }

 private:
  std::string next_id(const std::string& kind);

  std::string patient_;
  std::vector<boost::json::object> resources_;
  adapter::RunSummary summary_;
  int counter_ = 0;
};

// The mapping data shipped in mappings/data, loaded once.
const mappings::Mappings& shipped_mappings();

// Appends DetectedIssues to the file named by ALEMWATCH_ISSUE_DUMP, when set, for the validator.
void record_produced(const std::vector<boost::json::object>& issues);
void record_produced(const std::vector<fhir::DetectedIssue>& issues);

// Helpers over the JSON of DetectedIssues.
std::vector<boost::json::object> with_code(const std::vector<boost::json::object>& issues, const std::string& code);
std::string identifier(const boost::json::object& issue);
std::string severity(const boost::json::object& issue);
std::vector<std::string> identifiers(const std::vector<boost::json::object>& issues);
// identifiedDateTime, or empty.
std::string identified(const boost::json::object& issue);
std::string detail(const boost::json::object& issue);
// Every reference in evidence[].detail, in order.
std::vector<std::string> evidence_references(const boost::json::object& issue);
// The usual UCUM unit of a test LOINC code.
std::string usual_unit(const std::string& loinc);

}  // namespace alemwatch::testing
