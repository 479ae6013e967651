// A fingerprint of a resource's content, to tell whether what a server holds is what we wrote.
#pragma once

#include <boost/json/object.hpp>

#include <string>

namespace alemwatch::fhir {

// SHA-256 (hex) of the resource serialised with object keys sorted, leaving out what servers
// set themselves: `id`, `meta` (versionId, lastUpdated, source; tags are ours but servers may
// add their own) and `text` (generated narrative).
std::string content_hash(const boost::json::object& resource);

}  // namespace alemwatch::fhir
