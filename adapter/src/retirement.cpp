#include "alemwatch/adapter/retirement.hpp"

#include "alemwatch/adapter/test_family.hpp"

namespace alemwatch::adapter {
namespace {

std::vector<const TestFamily*> families_of(const std::string& code) {
  if (code == "monitoring-overdue-cbc") return {&platelet_count_family()};
  if (code == "monitoring-overdue-renal") return {&creatinine_family(), &urinalysis_family()};
  if (code == "monitoring-overdue-thyroid") return {&tsh_family()};
  return {};
}

}  // namespace

Retirement decide_retirement(const WrittenIssue& issue, const Evaluation& evaluation, const mappings::Mappings& m,
                             fhir::Instant at) {
  const auto first = issue.identifier.find('/');
  const auto second = issue.identifier.find('/', first + 1);
  if (first == std::string::npos || second == std::string::npos)
    return {Retirement::Kind::keep, {}, "not an identifier alemwatch makes"};
  const std::string patient = issue.identifier.substr(0, first);
  const std::string code = issue.identifier.substr(first + 1, second - first - 1);
  const std::string anchor = issue.identifier.substr(second + 1);
  const PatientRecord* record = evaluation.record(patient);
  if (!record)
    return {Retirement::Kind::withdraw, {}, "the patient's alemtuzumab administrations are no longer in the record."};
  const auto families = families_of(code);
  if (families.empty())
    return {Retirement::Kind::withdraw, {},
            "the evidence behind it is no longer present (a result or an infusion was entered in error or removed, "
            "or later data merged or moved the episode)."};
  // The lapse began on the date of the last result before it: overdue date - allowed days.
  const auto overdue = fhir::parse_fhir_datetime(anchor);
  if (!overdue) return {Retirement::Kind::keep, {}, "unreadable overdue date"};
  const fhir::Days allowed{static_cast<long>(m.signals.get(code).threshold("overdue_after_days"))};
  const auto lapse_day = std::chrono::sys_days(overdue->utc_date()) - allowed;
  std::optional<fhir::Instant> resulted;
  for (const auto* family : families)
    for (const auto& name : family->analytes)
      for (const auto& r : record->results(m.analytes.by_name(name)->id))
        if (std::chrono::sys_days(r.time.utc_date()) > lapse_day && r.time <= at && (!resulted || r.time < *resulted))
          resulted = r.time;
  if (resulted) return {Retirement::Kind::mitigate, fhir::format_utc_datetime(*resulted), {}};
  // Not resulted, yet no longer overdue: the monitoring window has closed. The lapse was real.
  return {Retirement::Kind::keep, {}, "the monitoring window has closed"};
}

}  // namespace alemwatch::adapter
