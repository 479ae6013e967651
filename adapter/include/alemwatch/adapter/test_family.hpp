// The monitored test families: which analytes count as "a platelet count", "a urinalysis".
#pragma once

#include <string>
#include <vector>

namespace alemwatch::adapter {

struct TestFamily {
  std::string name;                   // as written in detail text: "platelet count"
  std::vector<std::string> analytes;  // analyte names in analytes.json
};

const TestFamily& platelet_count_family();
const TestFamily& creatinine_family();
const TestFamily& urinalysis_family();
const TestFamily& tsh_family();

}  // namespace alemwatch::adapter
