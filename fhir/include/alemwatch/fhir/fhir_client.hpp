// FHIR REST interactions over HttpClient: read, search with paging, create, update, conditional
// update, transaction. Errors are values that say what was asked, what the server answered and
// what its OperationOutcome said.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <functional>
#include <string>
#include <vector>

#include "alemwatch/fhir/http_client.hpp"

namespace alemwatch::fhir {

struct FhirError {
  enum class Kind { transport, status, invalid_response, paging_loop };
  Kind kind = Kind::transport;
  std::string method;
  std::string url;
  unsigned status = 0;                  // for Kind::status
  boost::system::error_code transport;  // for Kind::transport
  std::string detail;                   // OperationOutcome diagnostics, or what was wrong

  bool unauthorized() const { return kind == Kind::status && (status == 401 || status == 403); }
  // Could not reach the server at all (or it refused us): the run cannot go on.
  bool unreachable() const { return kind == Kind::transport || unauthorized(); }
  std::string describe() const;
};

template <class T>
using FhirResult = boost::system::result<T, FhirError>;

struct FhirResponse {
  unsigned status = 0;
  boost::json::object resource;  // the parsed body, when there is one
  std::string etag;              // W/"3"
  std::string location;
  std::string date;              // the server's Date header

  // The version in the ETag, or meta.versionId.
  std::string version_id() const;
};

// Text of an OperationOutcome's issues: "error: <diagnostics or details.text>; ...".
std::string describe_operation_outcome(const boost::json::object& outcome);

class FhirClient {
 public:
  // `base` is the FHIR base URL, without a trailing slash.
  FhirClient(std::string base, HttpClient& http);

  const std::string& base() const { return base_; }
  HttpClient& http() { return http_; }

  FhirResult<FhirResponse> read(const std::string& type, const std::string& id);
  FhirResult<FhirResponse> create(const std::string& type, const boost::json::object& resource);
  // PUT Type/id, with If-Match when `if_match_version` is given.
  FhirResult<FhirResponse> update(const std::string& type, const std::string& id, const boost::json::object& resource,
                                  const std::string& if_match_version = {});
  // PUT Type?query (conditional update).
  FhirResult<FhirResponse> conditional_update(const std::string& type, const std::string& query,
                                              const boost::json::object& resource);
  FhirResult<FhirResponse> transaction(const boost::json::object& bundle);

  // Called for every resource of every page (search.mode "match" or "include"). Return false to stop.
  using EntryCallback = std::function<bool(const boost::json::object& resource)>;
  // Called for each OperationOutcome a searchset carries (search.mode "outcome"): warnings.
  using OutcomeCallback = std::function<void(const std::string& text)>;

  // GET Type?query, following `next` links exactly as given (absolute, relative or opaque) until
  // the last page; a link seen before stops with a paging_loop error. Returns the pages read.
  FhirResult<std::size_t> search(const std::string& type, const std::string& query, const EntryCallback& on_entry,
                                 const OutcomeCallback& on_outcome = {});

  // Percent-encodes a search parameter value.
  static std::string encode(std::string_view value);

 private:
  FhirResult<FhirResponse> exchange(boost::beast::http::verb method, const std::string& url, const std::string& body,
                                    std::vector<HttpHeader> headers = {});
  FhirResult<std::size_t> follow_pages(std::string url, const EntryCallback& on_entry, const OutcomeCallback& on_outcome);

  std::string base_;
  HttpClient& http_;
};

}  // namespace alemwatch::fhir
