#include "alemwatch/fhir/http_error.hpp"

#include <string>

namespace alemwatch::fhir {
namespace {

class HttpCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "alemwatch.http"; }
  std::string message(int ev) const override {
    switch (static_cast<HttpError>(ev)) {
      case HttpError::bad_url: return "not an http or https URL";
      case HttpError::connect_failed: return "could not connect";
      case HttpError::tls_failed: return "TLS handshake failed";
      case HttpError::timeout: return "timed out";
      case HttpError::connection_reset: return "connection closed or reset by the server";
      case HttpError::response_too_large: return "response larger than the configured limit";
      case HttpError::bad_response: return "malformed HTTP response";
      case HttpError::redirect_refused: return "redirect not followed";
      case HttpError::authorization_failed: return "could not obtain an access token";
    }
    return "HTTP error";
  }
};

}  // namespace

const boost::system::error_category& http_category() {
  static const HttpCategory category;
  return category;
}

boost::system::error_code make_error_code(HttpError e) { return {static_cast<int>(e), http_category()}; }

}  // namespace alemwatch::fhir
