#include "alemwatch/adapter/lab_episode.hpp"

#include <algorithm>

#include "alemwatch/adapter/detail_text.hpp"

namespace alemwatch::adapter {
namespace {

std::vector<Episode> group_episodes(std::vector<Qualifier> qualifiers, fhir::Days gap) {
  std::sort(qualifiers.begin(), qualifiers.end(),
            [](const Qualifier& a, const Qualifier& b) { return earlier(a.result, b.result); });
  std::vector<Episode> episodes;
  for (auto& q : qualifiers) {
    if (episodes.empty() || q.result->time - episodes.back().back().result->time > gap) episodes.emplace_back();
    episodes.back().push_back(std::move(q));
  }
  return episodes;
}

std::string first_sentence(const RuleContext& ctx, const Qualifier& first) {
  const auto& analyte = ctx.mappings.analytes.all()[first.result->analyte];
  std::string s = describe_result(*first.result, analyte) + ", " + relative_to_infusion(first.result->time, ctx.exposure);
  if (first.baseline) s += "; baseline " + describe_value(*first.baseline, analyte) + " on " +
                           fhir::format_utc_date(first.baseline->time);
  return s + first.clause + ".";
}

Signal episode_signal(const RuleContext& ctx, std::string_view code, const Episode& episode,
                      const LabRuleHooks& hooks) {
  const auto& first = episode.front();
  Signal s = ctx.make_signal(code, ctx.exposure.course_at(first.result->time));
  s.anchor = fhir::format_utc_date(first.result->time);
  s.identified = fhir::format_utc_datetime(first.result->time);
  for (const auto& q : episode) {
    s.severity = std::max(s.severity, q.severity);
    s.evidence[q.result->analyte].add_qualifying(q.result);
    for (const auto* other : q.also_qualifying) s.evidence[other->analyte].add_qualifying(other);
  }
  for (const auto& q : episode)
    if (q.baseline) s.evidence[q.baseline->analyte].add_supporting(q.baseline);
  for (auto& [analyte, e] : s.evidence) std::sort(e.qualifying.begin(), e.qualifying.end(), earlier);
  if (hooks.adjust_severity) s.severity = hooks.adjust_severity(episode, s.severity);
  if (hooks.snomed)
    s.snomed = hooks.snomed(episode);
  else if (ctx.signal(code).snomed_coding())
    s.snomed = "default";
  const auto& def = ctx.signal(code);
  s.detail = first_sentence(ctx, first);
  if (episode.size() > 1)
    s.detail += " " + std::to_string(episode.size()) + " qualifying results up to " +
                fhir::format_utc_date(episode.back().result->time) + ".";
  s.detail += " Possible " + def.condition + ". " + def.rule_text;
  return s;
}

}  // namespace

void emit_lab_episodes(const RuleContext& ctx, std::string_view code, std::vector<Qualifier> qualifiers,
                       Signals& out, const LabRuleHooks& hooks) {
  for (const auto& episode : group_episodes(std::move(qualifiers), ctx.mappings.exposure.episode_gap))
    out.push_back(episode_signal(ctx, code, episode, hooks));
}

}  // namespace alemwatch::adapter
