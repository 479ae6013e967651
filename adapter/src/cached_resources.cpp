#include "alemwatch/adapter/cached_resources.hpp"

#include <boost/json.hpp>

namespace alemwatch::adapter {

void add_cached_resources(const StateStore& state, const std::string& server, const std::string& patient_id,
                          Evaluation& evaluation) {
  for (const auto& c : state.patient_resources(server, patient_id)) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(c.json, ec);
    if (ec || !v.is_object()) continue;  // sync stored what it had parsed: not reached in practice
    const fhir::SourcePosition where{server + "/" + c.type + "/" + (c.id.empty() ? std::string("?") : c.id)};
    evaluation.add({v.get_object(), c.type, where, nullptr});
  }
}

}  // namespace alemwatch::adapter
