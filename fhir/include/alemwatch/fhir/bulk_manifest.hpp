// The manifest a FHIR Bulk Data export answers with once it is complete (Bulk Data Access IG,
// "Response - Complete Status"): when the data were taken, and where each NDJSON file lies.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alemwatch::fhir {

struct BulkFile {
  std::string type;                  // resource type of every line ("OperationOutcome" for errors)
  std::string url;                   // absolute http(s) URL
  std::optional<std::size_t> count;  // resources in the file, when the server says
};

struct BulkManifest {
  std::string transaction_time;       // a FHIR instant: the data are as of then
  std::string request;                // the kick-off URL, when the server echoes it
  bool requires_access_token = false; // whether the files want the bearer token
  std::vector<BulkFile> output;
  std::vector<BulkFile> error;        // OperationOutcomes about what could not be exported
  std::vector<BulkFile> deleted;      // with _since: Bundles naming resources deleted since
};

// Parses and checks a manifest: transactionTime an instant; requiresAccessToken, when present, a
// boolean; output (and error, deleted when present) arrays of objects whose type is a resource
// type name and whose url is an absolute http(s) URL; count a non-negative integer. An error
// names the field ("output[2].url") and says what is wrong with it, never quoting a file URL's
// query (it may hold a signature).
boost::system::result<BulkManifest, std::string> parse_bulk_manifest(std::string_view body);

// The URL without its query, fragment and user information: what may be shown of a file URL
// (presigned URLs carry their credentials in the query).
std::string redacted_url(std::string_view url);

}  // namespace alemwatch::fhir
