#include "alemwatch/adapter/rule_context.hpp"

#include <stdexcept>

namespace alemwatch::adapter {

const mappings::Analyte& RuleContext::analyte(std::string_view name) const {
  const auto* a = mappings.analytes.by_name(name);
  // load_mappings() has checked every analyte the rules name; reaching this is a programmer error.
  if (!a) throw std::logic_error("analyte not in the catalogue: " + std::string(name));
  return *a;
}

const LabSeries& RuleContext::series(std::string_view name) const { return patient.results(analyte(name).id); }

const mappings::SignalDefinition& RuleContext::signal(std::string_view code) const {
  return mappings.signals.get(code);
}

Signal RuleContext::make_signal(std::string_view code, const Course* course) const {
  Signal s;
  s.patient_id = patient.id;
  s.code = std::string(code);
  if (course)
    for (const auto* i : course->infusions) s.implicated.push_back(i->id);
  return s;
}

}  // namespace alemwatch::adapter
