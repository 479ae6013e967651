// Reads a population's FHIR files into an Evaluation with memory bounded by the exposed
// patients' facts rather than by the size of the input, on all cores.
//
// A bulk export holds every Observation of every patient; only a few are of patients given
// alemtuzumab, and fewer still of an analyte the rules read. So the reading goes in two passes:
//   1. everything except NDJSON Observations (Bundles, JSON files, and the other lines of NDJSON
//      files), which tells who was given alemtuzumab;
//   2. the NDJSON Observations, each first skimmed (simdjson): one of a patient with no
//      alemtuzumab infusion, or without a LOINC code the rules read, is counted and not parsed;
//      the others are parsed and mapped in full, on worker threads, and added in file order.
// NDJSON Observations are thus read after everything else; within them, file order is kept, so
// the latest version of an id still wins.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/run_summary.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/mappings/mappings.hpp"

namespace alemwatch::adapter {

struct PopulationReadOptions {
  unsigned threads = 0;                // worker threads; 0: one per core
  std::size_t block_size = 2u << 20;   // bytes of NDJSON handed to a worker at a time
  // Called on the calling thread as input is read; the bytes add up to the inputs' size (an
  // NDJSON file counts half in each pass).
  std::function<void(std::uintmax_t bytes)> on_progress;
  // Called on the calling thread, in file order, with the text of each NDJSON Observation that
  // was parsed in full and names a patient (sync keeps these for later runs).
  std::function<void(const std::string& patient_id, const std::string& id, std::string_view json)> on_observation;
};

// Outcomes of skimmed Observations that were not parsed, as the run summary counts them.
inline constexpr const char* outcome_not_exposed = "not examined (patient has no alemtuzumab infusion)";

// Reads `paths` (files or directories, as ResourceReader does) into `evaluation`. Problems go to
// `summary`; returns what was read, all passes and threads together.
fhir::ReadStats read_population(const std::vector<std::filesystem::path>& paths, Evaluation& evaluation,
                                RunSummary& summary, const mappings::Mappings& m,
                                const PopulationReadOptions& options = {});

}  // namespace alemwatch::adapter
