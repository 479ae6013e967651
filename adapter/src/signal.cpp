#include "alemwatch/adapter/signal.hpp"

#include <algorithm>

namespace alemwatch::adapter {

namespace {
void add_unique(std::vector<const mappings::LabResult*>& list, const mappings::LabResult* r) {
  if (r && std::find(list.begin(), list.end(), r) == list.end()) list.push_back(r);
}
}  // namespace

void AnalyteEvidence::add_qualifying(const mappings::LabResult* r) { add_unique(qualifying, r); }
void AnalyteEvidence::add_supporting(const mappings::LabResult* r) { add_unique(supporting, r); }

}  // namespace alemwatch::adapter
