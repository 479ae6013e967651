// The signal rules of the clinical specification, one function each, and what they need from
// the mapping data.
#pragma once

#include "alemwatch/adapter/rule_context.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

// Blood count rules (rules/cytopenia_rules.cpp).
void itp_rule(const RuleContext& ctx, Signals& out);
void neutropenia_rule(const RuleContext& ctx, Signals& out);
void anaemia_rule(const RuleContext& ctx, Signals& out);
void pure_red_cell_aplasia_rule(const RuleContext& ctx, Signals& out);
// rules/post_infusion_rules.cpp
void post_infusion_tma_rule(const RuleContext& ctx, Signals& out);
void acute_kidney_injury_rule(const RuleContext& ctx, Signals& out);
// rules/nephropathy_rule.cpp
void nephropathy_rule(const RuleContext& ctx, Signals& out);
// rules/thyroid_rule.cpp
void thyroid_dysfunction_rule(const RuleContext& ctx, Signals& out);
// rules/coagulation_rules.cpp
void acquired_haemophilia_rule(const RuleContext& ctx, Signals& out);
void hlh_rule(const RuleContext& ctx, Signals& out);
// rules/monitoring_rules.cpp
void monitoring_overdue_rules(const RuleContext& ctx, Signals& out);
void baseline_missing_rule(const RuleContext& ctx, Signals& out);
// rules/course_rules.cpp
void dose_out_of_range_rule(const RuleContext& ctx, Signals& out);
void course_too_long_rule(const RuleContext& ctx, Signals& out);
void course_interval_short_rule(const RuleContext& ctx, Signals& out);
void contraindication_hiv_rule(const RuleContext& ctx, Signals& out);

// Runs every rule for one exposed patient.
Signals evaluate_patient(const RuleContext& ctx);

// The thresholds and analytes the rules read: load_mappings() refuses data without them.
const mappings::MappingRequirements& rule_requirements();

}  // namespace alemwatch::adapter
