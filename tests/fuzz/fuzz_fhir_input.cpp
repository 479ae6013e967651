// libFuzzer target: arbitrary bytes as a FHIR JSON document and as NDJSON lines, through the
// reader, the resource views, the mappings and the rules, and each line through the simdjson skims
// that decide which NDJSON Observations and MedicationAdministrations are parsed and the simdjson
// line readers of both. It must never crash, leak or hang, and the shortcuts must agree with the
// full way.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/rules.hpp"
#include "alemwatch/fhir/administration_line_reader.hpp"
#include "alemwatch/fhir/administration_skim.hpp"
#include "alemwatch/fhir/observation_line_reader.hpp"
#include "alemwatch/fhir/observation_skim.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/fhir/resources.hpp"


namespace {
const alemwatch::mappings::Mappings& shipped() {
  static const auto m = alemwatch::mappings::load_mappings(ALEMWATCH_SOURCE_MAPPINGS, alemwatch::adapter::rule_requirements());
  if (!m) __builtin_trap();
  return **m;
}

// A line reader's view of `line`, if it gave one, must be what `read_full` gives over the
// Boost.JSON reading of the line, with no problem reported.
template <class View, class ReadFull>
void agrees_with_full_reading(const std::optional<View>& fast, std::string_view line, const std::string& type,
                              ReadFull read_full) {
  using namespace alemwatch;
  if (!fast) return;
  adapter::RunSummary problems;
  fhir::ResourceReader full(problems);
  std::optional<View> slow;
  full.read_ndjson_line(line, {"fuzz.ndjson", 1, {}, {}}, [&](const fhir::ResourceInput& in) {
    fhir::ResourceScope scope(problems, in.where, type, "");
    if (in.resource_type == type) slow = read_full(in.resource, scope);
  });
  if (!slow || !(*slow == *fast) || !problems.problems().empty()) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace alemwatch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  adapter::RunSummary summary;
  adapter::Evaluation evaluation(shipped(), summary);
  fhir::ResourceReader reader(summary);
  const auto add = [&](const fhir::ResourceInput& input) { evaluation.add(input); };
  reader.read_json_text(text, {"fuzz.json"}, add);
  std::size_t line = 0;
  static alemwatch::fhir::ObservationSkimmer skimmer;
  static alemwatch::fhir::AdministrationSkimmer administration_skimmer;
  std::string padded;
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = text.find('\n', start);
    const auto piece = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    reader.read_ndjson_line(piece, {"fuzz.ndjson", ++line, {}, {}}, add);
    // The skim reads a little past its input: give it padding, as the block reader does.
    padded.assign(piece);
    padded.append(64, '\0');
    if (auto skim = skimmer.skim(std::string_view(padded).substr(0, piece.size()), padded.size()))
      (void)skim->codings.size();
    if (auto skim = administration_skimmer.skim(std::string_view(padded).substr(0, piece.size()), padded.size()))
      (void)skim->medication_reference;
    // The line readers give only what the full reading gives, without a problem.
    static alemwatch::fhir::ObservationLineReader observation_reader;
    static alemwatch::fhir::AdministrationLineReader administration_reader;
    const auto padded_piece = std::string_view(padded).substr(0, piece.size());
    agrees_with_full_reading(observation_reader.read(padded_piece, padded.size(), 64), piece, "Observation",
                             fhir::read_observation);
    agrees_with_full_reading(administration_reader.read(padded_piece, padded.size(), 64), piece,
                             "MedicationAdministration", fhir::read_medication_administration);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  evaluation.finish(*fhir::parse_fhir_datetime("2026-11-01T00:00:00Z"), {});
  (void)summary.text();
  return 0;
}
