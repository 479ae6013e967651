// Reading back from a server the DetectedIssues alemwatch wrote about some patients.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "alemwatch/fhir/fhir_client.hpp"

namespace alemwatch::adapter {

// Every DetectedIssue on `server` that carries an identifier in `identifier_system` whose value
// names one of `patient_ids` ("<patient>/<signal>/<anchor>"). Searches by the identifier system
// (`identifier=<system>|`); a server that refuses that search (400) is asked per patient
// (`patient=<reference>`, each of `patient_references`) instead.
fhir::FhirResult<std::vector<boost::json::object>> read_back_issues(fhir::FhirClient& server,
                                                                   const std::string& identifier_system,
                                                                   const std::vector<std::string>& patient_ids,
                                                                   const std::vector<std::string>& patient_references);

}  // namespace alemwatch::adapter
