// Setting up how sync authenticates, from its options: a static bearer token, SMART Backend
// Services (private_key_jwt), or client_secret_basic. See docs/auth.md.
#pragma once

#include <memory>
#include <string>

#include "alemwatch/adapter/sync_options.hpp"
#include "alemwatch/fhir/auth/access_token_source.hpp"
#include "alemwatch/fhir/auth/signing_key.hpp"
#include "alemwatch/fhir/http_client.hpp"

namespace alemwatch::adapter {

struct SyncAuthorization {
  std::unique_ptr<fhir::HttpClient> token_http;  // for the token endpoint
  std::unique_ptr<fhir::auth::SigningKey> key;
  std::unique_ptr<fhir::auth::AccessTokenSource> source;  // null: no Authorization header
};

struct AuthorizationError {
  std::string message;
  bool unreachable = false;  // discovery failed: exit 4, not a configuration error
};

// Reads keys and secrets (warning on stderr when others can read them), discovers the token
// endpoint when needed. `http_options` carries TLS settings for the token endpoint too.
boost::system::result<SyncAuthorization, AuthorizationError> set_up_authorization(
    const SyncOptions& o, const fhir::HttpClientOptions& http_options);

}  // namespace alemwatch::adapter
