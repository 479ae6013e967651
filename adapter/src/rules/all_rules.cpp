// The list of rules, and what they need from the mapping data.
#include <map>

#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/adapter/test_family.hpp"

namespace alemwatch::adapter {

Signals evaluate_patient(const RuleContext& ctx) {
  Signals out;
  for (auto rule : {itp_rule, post_infusion_tma_rule, acute_kidney_injury_rule, nephropathy_rule,
                    thyroid_dysfunction_rule, neutropenia_rule, anaemia_rule, pure_red_cell_aplasia_rule,
                    acquired_haemophilia_rule, hlh_rule, monitoring_overdue_rules, baseline_missing_rule,
                    dose_out_of_range_rule, course_too_long_rule, course_interval_short_rule,
                    contraindication_hiv_rule})
    rule(ctx, out);
  return out;
}

const mappings::MappingRequirements& rule_requirements() {
  static const mappings::MappingRequirements requirements{
      {
          {"itp", {"platelets_below", "platelets_high_below", "relative_drop_at_least"}},
          {"post-infusion-tma", {"platelets_below", "platelets_relative_drop_at_least", "haemoglobin_drop_at_least",
                                 "haemoglobin_below", "creatinine_ratio_at_least", "creatinine_rise_at_least",
                                 "creatinine_rise_hours"}},
          {"acute-kidney-injury", {"creatinine_ratio_at_least", "creatinine_rise_at_least", "creatinine_rise_hours",
                                   "high_ratio_at_least", "high_creatinine_at_least"}},
          {"nephropathy", {"creatinine_ratio_at_least", "high_creatinine_ratio_at_least", "protein_strip_at_least",
                           "protein_creatinine_ratio_above", "urine_rbc_above", "moderate_urinalysis_count_at_least"}},
          {"thyroid-dysfunction", {"moderate_tsh_below", "moderate_tsh_above"}},
          {"neutropenia", {"neutrophils_below", "moderate_below", "high_below"}},
          {"anaemia", {"haemoglobin_below", "high_below"}},
          {"pure-red-cell-aplasia", {"haemoglobin_below", "reticulocytes_percent_below", "reticulocytes_absolute_below",
                                     "pairing_days"}},
          {"acquired-haemophilia", {"aptt_above_upper_limit_factor", "inr_explains_at_least", "inr_days", "factor_viii_below"}},
          {"hlh", {"ferritin_at_least", "high_at_least"}},
          {"monitoring-overdue-cbc", {"overdue_after_days"}},
          {"monitoring-overdue-renal", {"overdue_after_days"}},
          {"monitoring-overdue-thyroid", {"overdue_after_days"}},
          {"baseline-missing", {"lookback_days"}},
          {"dose-out-of-range", {"dose_mg", "tolerance_fraction"}},
          {"course-too-long", {"first_course_max_infusions", "later_course_max_infusions"}},
          {"course-interval-short", {"minimum_interval_days"}},
          {"contraindication-hiv", {}},
      },
      {"platelets", "haemoglobin", "neutrophils", "reticulocytes_percent", "reticulocytes_absolute", "creatinine",
       "urine_protein", "urine_protein_strip", "urine_protein_ratio", "urine_blood", "urine_rbc", "tsh", "trab",
       "ldh", "haptoglobin", "aptt", "inr", "factor_viii", "ferritin", "hiv_screen", "anti_gbm"}};
  return requirements;
}

}  // namespace alemwatch::adapter
