// The words of DetectedIssue.detail: numbers, dates, results and times relative to infusions.
#pragma once

#include <string>
#include <vector>

#include "alemwatch/adapter/exposure.hpp"
#include "alemwatch/mappings/analyte_catalog.hpp"
#include "alemwatch/mappings/lab_result.hpp"

namespace alemwatch::adapter {

// Rounded to 2 decimals, trailing zeros removed: 42, 1.36, 0.05.
std::string format_number(double v);

// "Platelet count 42 x10^9/L on 2026-03-02"; ordinals "Urine blood 2+ on 2026-03-02".
std::string describe_result(const mappings::LabResult& r, const mappings::Analyte& a);
// "42 x10^9/L" or "2+".
std::string describe_value(const mappings::LabResult& r, const mappings::Analyte& a);

// "13 months after the last alemtuzumab infusion (course 2, 2025-01-29)".
std::string relative_to_infusion(fhir::Instant t, const Exposure& exposure);

// "a", "a and b", "a, b and c".
std::string join_list(const std::vector<std::string>& items);

}  // namespace alemwatch::adapter
