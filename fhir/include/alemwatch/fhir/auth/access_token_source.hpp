// Where the Authorization header of each request comes from: a static bearer token, or an OAuth
// 2.0 client_credentials grant (SMART Backend Services with a private_key_jwt assertion, or
// client_secret_basic), cached and refreshed before it expires.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "alemwatch/fhir/auth/signing_key.hpp"

namespace alemwatch::fhir {
class HttpClient;
}

namespace alemwatch::fhir::auth {

class AccessTokenSource {
 public:
  virtual ~AccessTokenSource() = default;
  // The Authorization header value, obtaining or refreshing a token when needed. Thread-safe.
  // An error says why no token could be had, without any secret in it.
  virtual boost::system::result<std::string, std::string> authorization() = 0;
  // A request carrying `header` was answered 401: that token is no longer good. The next
  // authorization() gets a new one (once, however many requests report the same token).
  virtual void refused(const std::string& header) = 0;
};

class StaticBearerToken : public AccessTokenSource {
 public:
  explicit StaticBearerToken(std::string token) : header_("Bearer " + std::move(token)) {}
  boost::system::result<std::string, std::string> authorization() override {
    return {boost::system::in_place_value, header_};
  }
  void refused(const std::string&) override {}

 private:
  std::string header_;
};

struct ClientCredentialsSettings {
  enum class Method { private_key_jwt, client_secret_basic };
  Method method = Method::private_key_jwt;
  std::string token_url;
  std::string client_id;
  std::string scope;                   // space-separated
  const SigningKey* key = nullptr;     // private_key_jwt
  std::string client_secret;           // client_secret_basic
  std::chrono::seconds refresh_ahead{60};       // refresh this long before expiry
  std::chrono::seconds assertion_lifetime{300}; // SMART: at most five minutes
  // Seams for tests that make the token endpoint refuse: a fixed jti, a shifted clock.
  std::function<std::string()> make_jti;        // default: 128 random bits
  std::chrono::seconds clock_shift{0};
};

// client_credentials against a token endpoint. One refresh at a time: requests that need a token
// while one is being fetched wait for it and share it.
class ClientCredentialsGrant : public AccessTokenSource {
 public:
  // `token_http` carries the token requests (no Authorization of its own).
  ClientCredentialsGrant(HttpClient& token_http, ClientCredentialsSettings settings);

  boost::system::result<std::string, std::string> authorization() override;
  void refused(const std::string& header) override;

  std::size_t tokens_obtained() const;

 private:
  boost::system::result<void, std::string> fetch();  // called with mutex_ held
  std::string form_body() const;

  HttpClient& http_;
  ClientCredentialsSettings settings_;
  mutable std::mutex mutex_;
  std::string header_;  // "Bearer ..."; empty when there is none
  std::chrono::steady_clock::time_point refresh_at_;
  std::size_t tokens_ = 0;
};

// The token endpoint of a FHIR server, from <base>/.well-known/smart-configuration.
boost::system::result<std::string, std::string> discover_token_endpoint(HttpClient& http, const std::string& fhir_base);

}  // namespace alemwatch::fhir::auth
