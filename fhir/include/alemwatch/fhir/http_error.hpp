// Failures of an HTTP exchange, as error codes (the Beast way: an enum and a category).
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace alemwatch::fhir {

enum class HttpError {
  bad_url = 1,          // not an http(s) URL we can send to
  connect_failed,       // name resolution or TCP connect failed
  tls_failed,           // TLS handshake failed: certificate, host name or protocol
  timeout,              // connect or read took longer than allowed
  connection_reset,     // the peer closed or reset the connection mid-exchange
  response_too_large,   // the body exceeded the configured limit
  bad_response,         // not valid HTTP
  redirect_refused,     // a redirect we do not follow
  authorization_failed, // no access token could be obtained
};

const boost::system::error_category& http_category();
boost::system::error_code make_error_code(HttpError e);

}  // namespace alemwatch::fhir

template <>
struct boost::system::is_error_code_enum<alemwatch::fhir::HttpError> : std::true_type {};
