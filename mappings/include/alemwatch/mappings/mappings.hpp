// All mapping data, loaded once at start-up from a directory (the shipped mappings/data, or a
// hospital's own copy given with --mappings).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alemwatch/mappings/analyte_catalog.hpp"
#include "alemwatch/mappings/exposure_settings.hpp"
#include "alemwatch/mappings/json_file.hpp"
#include "alemwatch/mappings/medication_catalog.hpp"
#include "alemwatch/mappings/ordinal_table.hpp"
#include "alemwatch/mappings/signal_catalog.hpp"
#include "alemwatch/mappings/unit_table.hpp"

namespace alemwatch::mappings {

struct Mappings {
  UnitTable units;
  AnalyteCatalog analytes;  // points into `units`: Mappings is held by unique_ptr, never copied
  OrdinalTable ordinals;
  MedicationCatalog medications;
  ExposureSettings exposure;
  SignalCatalog signals;
};

// What the rules need from the data: thresholds per signal, analytes by name.
struct MappingRequirements {
  std::map<std::string, std::vector<std::string>> thresholds;
  std::vector<std::string> analytes;
};

Loaded<std::unique_ptr<const Mappings>> load_mappings(const std::filesystem::path& dir,
                                                      const MappingRequirements& requirements);

// The directory used when --mappings is not given: the installed copy beside the binary, else
// the source tree's (for a build that has not been installed).
std::filesystem::path default_mappings_dir();

}  // namespace alemwatch::mappings
