#include "alemwatch/adapter/conformance_samples.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;
// Why a sample cannot be read. A type of its own: a plain string would also convert to the values.
struct Failure {
  Failure() = default;
  explicit Failure(std::string w) : why(std::move(w)) {}
  std::string why;
};
template <class T>
using Read = boost::system::result<T, Failure>;

Read<std::string> read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Failure{file.string() + ": cannot open"};
  std::ostringstream text;
  text << in.rdbuf();
  return Read<std::string>(boost::system::in_place_value, text.str());
}

// The Patients a Bundle holds: their ids, in entry order.
Read<std::vector<std::string>> patient_ids(const boost::json::object& bundle,
                                     const fs::path& file) {
  const auto* entries = bundle.if_contains("entry");
  if (!entries || !entries->is_array()) return Failure{file.string() + ": entry: missing or not an array"};
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < entries->get_array().size(); ++i) {
    const auto& e = entries->get_array()[i];
    const auto* resource = e.is_object() ? e.get_object().if_contains("resource") : nullptr;
    if (!resource || !resource->is_object()) continue;
    const auto& r = resource->get_object();
    const auto* type = r.if_contains("resourceType");
    if (!type || !type->is_string() || type->get_string() != "Patient") continue;
    const auto* id = r.if_contains("id");
    if (!id || !id->is_string() || id->get_string().empty())
      return Failure{file.string() + ": entry[" + std::to_string(i) + "].resource.id: a Patient needs an id (the kit syncs by id)"};
    ids.emplace_back(id->get_string());
  }
  if (ids.empty()) return Failure{file.string() + ": no Patient among the entries"};
  return ids;
}

Read<boost::json::object> read_bundle(const fs::path& file) {
  auto text = read_text(file);
  if (!text) return text.error();
  boost::system::error_code ec;
  auto value = boost::json::parse(*text, ec);
  if (ec) return Failure{file.string() + ": not valid JSON: " + ec.message()};
  if (!value.is_object()) return Failure{file.string() + ": not a JSON object"};
  const auto* type = value.get_object().if_contains("type");
  if (!type || !type->is_string() || (type->get_string() != "transaction" && type->get_string() != "batch"))
    return Failure{file.string() + ": type: must be a transaction (or batch) Bundle"};
  return std::move(value.get_object());
}

Read<std::vector<boost::json::object>> read_expected(const fs::path& file) {
  auto text = read_text(file);
  if (!text) return text.error();
  std::vector<boost::json::object> issues;
  std::istringstream lines(*text);
  std::string line;
  for (std::size_t n = 1; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = file.string() + " line " + std::to_string(n);
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (ec) return Failure{where + ": not valid JSON: " + ec.message()};
    if (!value.is_object() || !value.get_object().contains("resourceType") ||
        value.get_object().at("resourceType") != "DetectedIssue")
      return Failure{where + ": resourceType: not a DetectedIssue"};
    const auto* ids = value.get_object().if_contains("identifier");
    if (!ids || !ids->is_array() || ids->get_array().empty())
      return Failure{where + ": identifier: missing (the kit matches issues by identifier)"};
    issues.push_back(std::move(value.get_object()));
  }
  return issues;
}

Read<SampleScenario> read_scenario(const fs::path& dir) {
  SampleScenario s;
  s.name = dir.filename().string();
  s.bundle_file = dir / "bundle.json";
  auto bundle = read_bundle(s.bundle_file);
  if (!bundle) return bundle.error();
  s.bundle = std::move(*bundle);
  auto ids = patient_ids(s.bundle, s.bundle_file);
  if (!ids) return ids.error();
  s.patient_ids = std::move(*ids);
  auto expected = read_expected(dir / "expected.ndjson");
  if (!expected) return expected.error();
  s.expected = std::move(*expected);
  return s;
}

}  // namespace

boost::system::result<std::vector<SampleScenario>, std::string> read_sample_scenarios(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return dir.string() + ": not a directory of samples";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && fs::exists(e.path() / "bundle.json")) dirs.push_back(e.path());
  if (ec) return dir.string() + ": cannot list: " + ec.message();
  if (dirs.empty()) return dir.string() + ": no sample scenarios (NN-name/bundle.json) in it";
  std::sort(dirs.begin(), dirs.end());
  std::vector<SampleScenario> scenarios;
  for (const auto& d : dirs) {
    auto s = read_scenario(d);
    if (!s) return s.error().why;
    scenarios.push_back(std::move(*s));
  }
  return scenarios;
}

fs::path default_samples_dir() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "alemwatch" / "samples";
    if (fs::is_directory(installed, ec)) return installed;
  }
  return ALEMWATCH_SOURCE_SAMPLES;
}

}  // namespace alemwatch::adapter
