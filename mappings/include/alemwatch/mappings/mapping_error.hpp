// What is wrong with a mapping data file: which file, which element, why.
#pragma once

#include <string>

namespace alemwatch::mappings {

struct MappingError {
  std::string file;
  std::string path;  // JSON path inside the file, e.g. "analytes[3].loinc"
  std::string reason;

  std::string describe() const { return file + (path.empty() ? "" : ": " + path) + ": " + reason; }
};

}  // namespace alemwatch::mappings
