// What to do with a DetectedIssue we wrote that the evaluation no longer produces
// (signals.md section 4): an overdue issue whose test has since resulted gets a mitigation;
// anything else whose evidence is gone is set to entered-in-error.
#pragma once

#include "alemwatch/adapter/detected_issue_push.hpp"
#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

Retirement decide_retirement(const WrittenIssue& issue, const Evaluation& evaluation, const mappings::Mappings& m,
                             fhir::Instant at);

}  // namespace alemwatch::adapter
