// Shared by the bulk export sources: FhirErrors out of HTTP outcomes, and URL helpers. Internal.
#pragma once

#include <string>
#include <string_view>

#include "alemwatch/fhir/fhir_client.hpp"
#include "alemwatch/fhir/http_client.hpp"

namespace alemwatch::fhir::bulk {

// The OperationOutcome text of a response body, or empty when it holds none.
std::string outcome_text(const std::string& body);

// A status error for `response`, quoting its OperationOutcome. `url` is shown redacted.
FhirError status_error(std::string method, std::string_view url, const HttpResponse& response, std::string context = {});

// A transport error; the token source's reason when no token could be had. `url` is shown redacted.
FhirError transport_error(std::string method, std::string_view url, boost::system::error_code ec, const HttpClient& http,
                          std::string detail = {});

// `reference` resolved against `base` (absolute references are kept as they are).
std::string resolve_url(std::string_view base, std::string_view reference);

// Whether two absolute URLs share scheme, host and port (default ports filled in).
bool same_origin(std::string_view a, std::string_view b);

}  // namespace alemwatch::fhir::bulk
