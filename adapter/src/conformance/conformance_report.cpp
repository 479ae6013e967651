#include "alemwatch/adapter/conformance_report.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace alemwatch::adapter {
namespace {

boost::json::array strings(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& i : items) out.emplace_back(i);
  return out;
}

boost::json::object difference_json(const IssueDifference& d) {
  boost::json::object o{{"kind", d.kind}, {"identifier", d.identifier}, {"text", d.text}};
  if (!d.expected.empty()) o["expected"] = d.expected;
  if (!d.server.empty()) o["server"] = d.server;
  return o;
}

boost::json::object scenario_json(const ScenarioResult& s) {
  boost::json::array differences;
  for (const auto& d : s.differences) differences.push_back(difference_json(d));
  boost::json::object o{{"name", s.name},
                        {"result", s.passed() ? "PASS" : "FAIL"},
                        {"patients", strings(s.patients)},
                        {"expected", s.expected},
                        {"on_server", s.on_server},
                        {"differences", std::move(differences)},
                        {"sync_notes", strings(s.sync_lines)},
                        {"sync_failed", s.sync_failed}};
  if (!s.load_refusal.empty()) o["load_refused"] = s.load_refusal;
  return o;
}

}  // namespace

std::size_t ConformanceReport::passed() const {
  return static_cast<std::size_t>(std::count_if(scenarios.begin(), scenarios.end(), [](const auto& s) { return s.passed(); }));
}

std::string ConformanceReport::text() const {
  std::string out;
  for (const auto& s : scenarios) {
    out += (s.passed() ? "PASS " : "FAIL ") + s.name + "\n";
    if (!s.load_refusal.empty()) out += "  server refused the sample Bundle: " + s.load_refusal + "\n";
    for (const auto& d : s.differences) out += "  " + d.text + "\n";
    for (const auto& l : s.sync_lines) out += "  " + l + "\n";
    if (s.sync_failed && s.differences.empty() && s.load_refusal.empty())
      out += "  the sync could not read or write this scenario's data (above, or under server:)\n";
  }
  for (const auto& l : server_lines) out += "server: " + l + "\n";
  out += fmt::format("{} of {} scenarios passed, {} failed\n", passed(), scenarios.size(), failed());
  return out;
}

boost::json::object ConformanceReport::json() const {
  boost::json::array results;
  for (const auto& s : scenarios) results.push_back(scenario_json(s));
  boost::json::object server{{"lines", strings(server_lines)}};
  server["conditional_update"] = conditional_update ? boost::json::value(*conditional_update) : boost::json::value(nullptr);
  return {{"base_url", base_url},
          {"push_base_url", push_base_url},
          {"samples", samples_dir},
          {"evaluated_at", evaluated_at},
          {"loaded", loaded},
          {"server", std::move(server)},
          {"sync", {{"exit_code", sync_exit_code}, {"summary", sync_summary}}},
          {"scenarios", std::move(results)},
          {"tally", {{"scenarios", scenarios.size()}, {"passed", passed()}, {"failed", failed()}}},
          {"exit_code", exit_code()}};
}

}  // namespace alemwatch::adapter
