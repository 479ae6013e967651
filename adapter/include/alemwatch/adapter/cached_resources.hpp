// Feeding back to an evaluation what a sync stored of a patient (StateStore::patient_resources),
// as sync does for patients it did not fetch this run and report does for a state file.
#pragma once

#include <string>

#include "alemwatch/adapter/evaluation.hpp"
#include "alemwatch/adapter/state_store.hpp"

namespace alemwatch::adapter {

// Each resource is placed at "<server>/<Type>/<id>" in problems.
void add_cached_resources(const StateStore& state, const std::string& server, const std::string& patient_id,
                          Evaluation& evaluation);

}  // namespace alemwatch::adapter
