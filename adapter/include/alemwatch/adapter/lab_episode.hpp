// The shared shape of the laboratory rules: results that qualify, grouped into episodes.
//
// A lab rule says which results qualify and how severe each is; this file groups them into
// episodes (a qualifying result more than the episode gap after the previous one starts a new
// one) and writes one Signal per episode, with its evidence and detail text.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "alemwatch/adapter/rule_context.hpp"

namespace alemwatch::adapter {

// One result that met a criterion of a rule.
struct Qualifier {
  const LabResult* result = nullptr;
  Severity severity = Severity::low;
  const LabResult* baseline = nullptr;            // set when a relative criterion was met
  std::vector<const LabResult*> also_qualifying;  // results of other analytes that completed it
  std::string clause;                             // added after the result in the detail text
  std::string tag;                                // rule-specific marker ("tsh_high", "anti_gbm", "urinalysis")
};

using Episode = std::vector<Qualifier>;

struct LabRuleHooks {
  // Episode-level severity (nephropathy: two positive urinalyses make it moderate).
  std::function<Severity(const Episode&, Severity)> adjust_severity;
  // Which SNOMED coding of the signal definition applies, or empty for none.
  std::function<std::string(const Episode&)> snomed;
};

// Groups qualifiers (any order) into episodes and appends a Signal for each.
void emit_lab_episodes(const RuleContext& ctx, std::string_view code, std::vector<Qualifier> qualifiers,
                       Signals& out, const LabRuleHooks& hooks = {});

}  // namespace alemwatch::adapter
