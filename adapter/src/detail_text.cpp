#include "alemwatch/adapter/detail_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace alemwatch::adapter {

std::string format_number(double v) {
  std::string s = fmt::format("{:.2f}", v);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string describe_value(const mappings::LabResult& r, const mappings::Analyte& a) {
  std::vector<std::string> parts;
  if (r.value) {
    parts.push_back(format_number(*r.value));
    const std::string unit = a.units && !a.units->assay_specific ? a.units->display : r.unit_as_reported;
    if (!unit.empty()) parts.push_back(unit);
  } else if (!r.value_text.empty()) {
    parts.push_back(r.value_text);
  }
  if (r.positive_only_by_interpretation) parts.push_back("(interpretation " + r.positive_interpretation + ")");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::string describe_result(const mappings::LabResult& r, const mappings::Analyte& a) {
  const std::string value = describe_value(r, a);
  return a.label + (value.empty() ? "" : " " + value) + " on " + fhir::format_utc_date(r.time);
}

namespace {
std::string count(long n, const char* unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); }
}  // namespace

std::string relative_to_infusion(fhir::Instant t, const Exposure& exposure) {
  auto last = exposure.last_infusion_at(t);
  if (!last) return "before the first alemtuzumab infusion";
  using namespace std::chrono;
  const auto d = t - last->first->time;
  std::string amount;
  if (d < days(1)) {
    amount = count(static_cast<long>(floor<hours>(d).count()), "hour");
  } else if (d < days(60)) {
    amount = count(static_cast<long>(floor<days>(d).count()), "day");
  } else {
    const double whole_days = duration<double, days::period>(d).count();
    amount = count(static_cast<long>(std::floor(whole_days / 30.4375)), "month");
  }
  return amount + " after the last alemtuzumab infusion (course " + std::to_string(last->second->number) + ", " +
         fhir::format_utc_date(last->first->time) + ")";
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

}  // namespace alemwatch::adapter
