#include "alemwatch/adapter/test_family.hpp"

namespace alemwatch::adapter {

const TestFamily& platelet_count_family() {
  static const TestFamily f{"platelet count", {"platelets"}};
  return f;
}
const TestFamily& creatinine_family() {
  static const TestFamily f{"creatinine", {"creatinine"}};
  return f;
}
const TestFamily& urinalysis_family() {
  static const TestFamily f{"urinalysis",
                            {"urine_protein", "urine_protein_strip", "urine_protein_ratio", "urine_blood", "urine_rbc"}};
  return f;
}
const TestFamily& tsh_family() {
  static const TestFamily f{"TSH", {"tsh"}};
  return f;
}

}  // namespace alemwatch::adapter
