// The resource types of FHIR R4 (4.0.1).
#pragma once

#include <string_view>

namespace alemwatch::fhir {

bool is_r4_resource_type(std::string_view type);

}  // namespace alemwatch::fhir
