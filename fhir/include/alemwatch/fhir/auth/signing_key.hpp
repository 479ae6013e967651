// Private keys for SMART Backend Services (private_key_jwt): loading, generating, signing JWTs,
// and publishing the public half as a JWK Set. OpenSSL 3 underneath.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace alemwatch::fhir::auth {

enum class SigningAlgorithm { rs384, es384 };

const char* to_string(SigningAlgorithm a);  // "RS384", "ES384"

class SigningKey {
 public:
  // Loads a PEM private key (PKCS#8 or traditional; RSA of at least 2048 bits, or EC P-384).
  // The algorithm follows from the key type. `kid` defaults to the RFC 7638 JWK thumbprint.
  static boost::system::result<std::unique_ptr<SigningKey>, std::string> load(const std::filesystem::path& pem,
                                                                             const std::string& kid = {});
  // A new key: RSA 3072 for RS384, P-384 for ES384.
  static boost::system::result<std::unique_ptr<SigningKey>, std::string> generate(SigningAlgorithm alg);
  ~SigningKey();

  SigningAlgorithm algorithm() const;
  const std::string& kid() const;

  // The private key as PKCS#8 PEM (for writing DIR/private.pem, mode 0600).
  std::string private_pem() const;
  // {"keys": [ public JWK with kty, kid, alg, use "sig", and n/e or crv/x/y ]}.
  boost::json::object jwks() const;
  // A compact JWS: header {"alg", "typ": "JWT", "kid"}, the given claims; ES384 signatures in
  // the JOSE form (r || s, 48 bytes each), not DER.
  std::string sign_jwt(const boost::json::object& claims) const;

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// base64url without padding.
std::string base64url(std::string_view bytes);

// The RFC 7638 thumbprint (SHA-256 over the required members, base64url) of a public JWK with
// kty "RSA" (e, n) or "EC" (crv, x, y); empty for any other kty. The default kid of a SigningKey.
std::string jwk_thumbprint(const boost::json::object& public_jwk);

}  // namespace alemwatch::fhir::auth
