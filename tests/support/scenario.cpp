#include "scenario.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/resource_reader.hpp"

namespace alemwatch::testing {

const mappings::Mappings& shipped_mappings() {
  static const auto loaded = mappings::load_mappings(ALEMWATCH_SOURCE_MAPPINGS, adapter::rule_requirements());
  if (!loaded) throw std::runtime_error(loaded.error().describe());
  return **loaded;
}

void record_produced(const std::vector<boost::json::object>& issues) {
  const char* file = std::getenv("ALEMWATCH_ISSUE_DUMP");
  if (!file || issues.empty()) return;
  std::ofstream out(file, std::ios::app);
  for (const auto& i : issues) out << boost::json::serialize(i) << "\n";
}

void record_produced(const std::vector<fhir::DetectedIssue>& issues) {
  std::vector<boost::json::object> json;
  for (const auto& i : issues) json.push_back(fhir::to_json(i));
  record_produced(json);
}

std::string usual_unit(const std::string& code) {
  static const std::map<std::string, std::string> units{
      {"777-3", "10*3/uL"}, {"718-7", "g/dL"},    {"751-8", "10*3/uL"}, {"4679-7", "%"},     {"14196-0", "10*3/uL"},
      {"2160-0", "mg/dL"},  {"5804-0", "mg/dL"},  {"2890-2", "mg/g"},   {"13945-1", "/[HPF]"}, {"3016-3", "m[IU]/L"},
      {"5385-0", "[IU]/L"}, {"2532-0", "U/L"},    {"4542-7", "mg/dL"},  {"14979-9", "s"},    {"6301-6", "{INR}"},
      {"3209-4", "%"},      {"2276-4", "ug/L"},   {"59394-7", "U/mL"}};
  auto it = units.find(code);
  return it == units.end() ? std::string() : it->second;
}

std::string Scenario::next_id(const std::string& kind) { return patient_ + "-" + kind + "-" + std::to_string(++counter_); }

Scenario& Scenario::infusion(const std::string& time, double dose_mg, const std::string& status, const std::string& id) {
  boost::json::object ma{
      {"resourceType", "MedicationAdministration"},
      {"id", id.empty() ? next_id("ma") : id},
      {"status", status},
      {"medicationCodeableConcept",
       {{"coding", boost::json::array{{{"system", "http://www.nlm.nih.gov/research/umls/rxnorm"}, {"code", "1594659"}, {"display", "Lemtrada"}}}}}},
      {"subject", {{"reference", "Patient/" + patient_}}},
      {"effectiveDateTime", time},
      {"dosage", {{"dose", {{"value", dose_mg}, {"unit", "mg"}, {"system", "http://unitsofmeasure.org"}, {"code", "mg"}}}}}};
  resources_.push_back(std::move(ma));
  return *this;
}

Scenario& Scenario::course(const std::string& first_day, int count) {
  auto t = fhir::parse_fhir_datetime(first_day);
  if (!t) throw std::invalid_argument("bad date " + first_day);
  for (int i = 0; i < count; ++i) infusion(fhir::format_utc_date(*t + fhir::Days(i)) + "T09:00:00Z");
  return *this;
}

Scenario& Scenario::lab(Lab lab) {
  boost::json::object obs{{"resourceType", "Observation"},
                          {"id", lab.id.empty() ? next_id("obs") : lab.id},
                          {"status", lab.status},
                          {"code", {{"coding", boost::json::array{{{"system", "http://loinc.org"}, {"code", lab.loinc}}}}}},
                          {"subject", {{"reference", "Patient/" + patient_}}},
                          {"effectiveDateTime", lab.time}};
  if (lab.value) {
    boost::json::object q{{"value", *lab.value}};
    if (!lab.unit.empty()) {
      q["unit"] = lab.unit;
      q["system"] = "http://unitsofmeasure.org";
      q["code"] = lab.unit;
    }
    obs["valueQuantity"] = std::move(q);
  }
  if (lab.value_string) obs["valueString"] = *lab.value_string;
  if (!lab.interpretation.empty())
    obs["interpretation"] = boost::json::array{
        {{"coding", boost::json::array{{{"system", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"},
                                        {"code", lab.interpretation}}}}}};
  if (lab.range_low || lab.range_high) {
    const std::string unit = lab.range_unit.empty() ? lab.unit : lab.range_unit;
    boost::json::object range;
    const auto bound = [&](double v) {
      return boost::json::object{{"value", v}, {"unit", unit}, {"system", "http://unitsofmeasure.org"}, {"code", unit}};
    };
    if (lab.range_low) range["low"] = bound(*lab.range_low);
    if (lab.range_high) range["high"] = bound(*lab.range_high);
    obs["referenceRange"] = boost::json::array{std::move(range)};
  }
  resources_.push_back(std::move(obs));
  return *this;
}

Scenario& Scenario::result(const char* loinc, const std::string& time, double value, const std::string& id) {
  return lab({.loinc = loinc, .time = time, .value = value, .unit = usual_unit(loinc), .id = id});
}

Scenario& Scenario::routine_monitoring(const std::string& from, const std::string& to) {
  auto t = fhir::parse_fhir_datetime(from);
  const auto end = fhir::parse_fhir_datetime(to);
  if (!t || !end) throw std::invalid_argument("bad monitoring dates");
  for (int month = 0; *t <= *end; ++month, *t = *t + fhir::Days(30)) {
    const std::string time = fhir::format_utc_date(*t) + "T08:00:00Z";
    result(loinc::platelets, time, 250);
    result(loinc::creatinine, time, 0.8);
    lab({.loinc = loinc::urine_protein, .time = time, .value_string = "Negative"});
    if (month % 3 == 0) result(loinc::tsh, time, 2.0);
  }
  return *this;
}

Scenario& Scenario::resource(boost::json::object r) {
  resources_.push_back(std::move(r));
  return *this;
}

std::vector<boost::json::object> Scenario::evaluate(const std::string& at) {
  const auto when = fhir::parse_fhir_datetime(at);
  if (!when) throw std::invalid_argument("bad evaluation time " + at);
  summary_ = adapter::RunSummary{};
  adapter::Evaluation evaluation(shipped_mappings(), summary_);
  for (std::size_t i = 0; i < resources_.size(); ++i) {
    const auto& r = resources_[i];
    const std::string type(r.at("resourceType").as_string());
    const fhir::SourcePosition where{"scenario", i + 1, {}, {}};
    evaluation.add({r, type, where, nullptr});
  }
  std::vector<boost::json::object> out;
  for (const auto& issue : evaluation.finish(*when, {})) out.push_back(fhir::to_json(issue));
  record_produced(out);
  return out;
}

std::vector<boost::json::object> with_code(const std::vector<boost::json::object>& issues, const std::string& code) {
  std::vector<boost::json::object> out;
  for (const auto& i : issues)
    for (const auto& c : i.at("code").at("coding").as_array())
      if (c.at("system").as_string() == "urn:alemwatch:safety-signal" && c.at("code").as_string() == code) out.push_back(i);
  return out;
}

std::string identifier(const boost::json::object& issue) {
  return std::string(issue.at("identifier").as_array().at(0).at("value").as_string());
}

std::string severity(const boost::json::object& issue) { return std::string(issue.at("severity").as_string()); }

std::vector<std::string> identifiers(const std::vector<boost::json::object>& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(identifier(i));
  return out;
}

std::string identified(const boost::json::object& issue) {
  const auto* t = issue.if_contains("identifiedDateTime");
  return t ? std::string(t->as_string()) : std::string();
}

std::string detail(const boost::json::object& issue) { return std::string(issue.at("detail").as_string()); }

std::vector<std::string> evidence_references(const boost::json::object& issue) {
  std::vector<std::string> out;
  if (const auto* e = issue.if_contains("evidence"))
    for (const auto& entry : e->as_array())
      if (const auto* d = entry.as_object().if_contains("detail"))
        for (const auto& ref : d->as_array()) out.emplace_back(ref.at("reference").as_string());
  return out;
}

}  // namespace alemwatch::testing
