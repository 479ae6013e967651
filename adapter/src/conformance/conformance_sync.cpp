#include "alemwatch/adapter/conformance_sync.hpp"

#include <boost/json.hpp>

#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alemwatch/adapter/conformance_samples.hpp"
#include "alemwatch/adapter/sync_command.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

// A private scratch directory (mode 0700: the state file holds patient data), removed on exit.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "alemwatch-conformance-XXXXXX").string();
    if (::mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  bool ok() const { return !path_.empty(); }
  fs::path file(const char* name) const { return path_ / name; }

 private:
  fs::path path_;
};

boost::json::object read_summary(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(text.str(), ec);
  if (ec || !v.is_object()) return {};
  const auto* sync = v.get_object().if_contains("sync");
  return sync && sync->is_object() ? sync->get_object() : boost::json::object{};
}

std::string operation(const std::string& method, const std::string& url) {
  const bool query = url.find('?') != std::string::npos;
  if (method == "POST") return "create";
  if (method == "PUT") return query ? "conditional update" : "update";
  if (method == "GET") return query ? "search" : "read";
  if (method == "DELETE") return "delete";
  return method;
}

// The resource type a FHIR URL addresses: [base]/Type, [base]/Type?query or [base]/Type/id.
std::string resource_type(const std::string& url) {
  const auto path = url.substr(0, url.find('?'));
  const auto last = path.rfind('/');
  if (last == std::string::npos) return "resource";
  const auto is_type = [](const std::string& s) { return !s.empty() && std::isupper(static_cast<unsigned char>(s.front())); };
  if (auto segment = path.substr(last + 1); is_type(segment)) return segment;
  const auto before = path.rfind('/', last - 1);
  if (before == std::string::npos) return "resource";
  auto segment = path.substr(before + 1, last - before - 1);
  return is_type(segment) ? segment : "resource";
}

// "<subject>: <METHOD> <url>: HTTP <status>[: <detail>]" -> refusal in words; else nullopt.
std::optional<std::string> refusal(const std::string& subject, const std::string& rest) {
  const auto space = rest.find(' ');
  const auto colon = rest.find(": ", space == std::string::npos ? 0 : space);
  if (space == std::string::npos || colon == std::string::npos) return std::nullopt;
  const auto method = rest.substr(0, space);
  const auto url = rest.substr(space + 1, colon - space - 1);
  auto answer = rest.substr(colon + 2);
  if (!answer.starts_with("HTTP ")) return "could not " + operation(method, url) + " (" + subject + "): " + answer;
  answer = answer.substr(5);
  if (const auto sep = answer.find(": "); sep != std::string::npos) answer.replace(sep, 2, " ");
  const auto type = resource_type(url);
  return "server refused " + type + " " + operation(method, url) + " of " + subject + ": " + answer;
}

std::string patient_of_identifier(const std::string& identifier) { return identifier.substr(0, identifier.find('/')); }

void attribute(const std::string& patient, std::string line, const std::vector<std::string>& patients,
               ConformanceSyncOutcome& out, bool failure) {
  for (const auto& p : patients)
    if (p == patient) {
      if (failure) out.failed_patients.insert(p);
      return out.by_patient[p].push_back(std::move(line));
    }
  if (failure) out.unattributed_failure = true;
  out.general.push_back(std::move(line));
}

}  // namespace

std::string describe_sync_line(const std::string& line) {
  const auto split = [&](std::size_t from) -> std::pair<std::string, std::string> {
    const auto colon = line.find(": ", from);
    if (colon == std::string::npos) return {line.substr(from), ""};
    return {line.substr(from, colon - from), line.substr(colon + 2)};
  };
  if (line.starts_with("failed: ")) {
    auto [identifier, rest] = split(8);
    if (auto words = refusal(identifier, rest)) return *words;
    return "could not write " + identifier + ": " + rest;
  }
  if (line.starts_with("left alone: ")) {
    auto [identifier, rest] = split(12);
    return "sync left " + identifier + " alone: " + rest;
  }
  if (line.starts_with("Patient/")) {
    auto [patient, rest] = split(0);
    if (auto words = refusal(patient, rest)) return *words;
    return "could not pull " + patient + ": " + rest;
  }
  return line;
}

ConformanceSyncOutcome run_conformance_sync(SyncOptions options, const std::vector<std::string>& patients) {
  ConformanceSyncOutcome out;
  TemporaryDirectory scratch;
  if (!scratch.ok()) {
    out.exit_code = sync_usage;
    out.general.push_back("cannot create a temporary directory for the sync's state file");
    return out;
  }
  options.state_file = scratch.file("state.db").string();
  options.summary_json = scratch.file("summary.json").string();
  options.at = samples_evaluation_time;
  options.patients = patients;
  options.group.clear();
  options.dry_run = false;
  options.full = true;
  options.bulk = false;  // the kit syncs the sample patients by name
  // The samples are synthetic: the server's own words about refused writes are what a vendor
  // needs to see.
  options.log_phi = true;
  out.exit_code = run_sync(options);
  out.summary = read_summary(scratch.file("summary.json"));
  const auto lines = [&](const char* key) {
    const auto* a = out.summary.if_contains(key);
    return a && a->is_array() ? a->get_array() : boost::json::array{};
  };
  for (const auto& f : lines("failures")) {
    if (!f.is_string()) continue;
    const std::string line(f.get_string());
    const std::string patient = line.starts_with("Patient/") ? line.substr(8, line.find(": ") - 8) : "";
    attribute(patient, describe_sync_line(line), patients, out, true);
  }
  for (const auto& n : lines("notes")) {
    if (!n.is_string()) continue;
    const std::string line(n.get_string());
    const auto after = line.find(": ");
    const std::string identifier = after == std::string::npos ? "" : line.substr(after + 2, line.find(": ", after + 2) - after - 2);
    attribute(patient_of_identifier(identifier), describe_sync_line(line), patients, out, line.starts_with("failed: "));
  }
  return out;
}

}  // namespace alemwatch::adapter
