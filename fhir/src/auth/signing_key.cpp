// SMART Backend Services signing keys with OpenSSL 3 (EVP and OSSL_PARAM only; no RSA_*/EC_KEY_*).
//
// RFC 7518 (JWA) for the algorithms and the JWK members, RFC 7638 for the thumbprint that serves as
// the default kid. Error messages name the file and the reason, never any key material.
#include "alemwatch/fhir/auth/signing_key.hpp"

#include <boost/json/serialize.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

namespace alemwatch::fhir::auth {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

constexpr int min_rsa_bits = 2048;
constexpr int generated_rsa_bits = 3072;
constexpr std::size_t p384_bytes = 48;
constexpr std::size_t max_pem_bytes = 1 << 20;

// A string whose contents are wiped when it goes away (PEM text of a private key).
struct WipedString {
  std::string text;
  ~WipedString() {
    if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  }
};

// Failures leave entries on the thread's OpenSSL error queue; drop them so that they are not
// reported later by unrelated code (the TLS client reads the queue).
struct ClearErrors {
  ~ClearErrors() { ERR_clear_error(); }
};

// Refuses to prompt on the terminal for the passphrase of an encrypted key.
int no_passphrase(char*, int, int, void*) { return -1; }

Bn bn_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return nullptr;
  return Bn(bn);
}

// Unsigned big-endian, as few octets as the value needs (RFC 7518 6.3.1: n and e).
std::string bn_minimal(const BIGNUM* bn) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// Unsigned big-endian, left-padded to the field size (RFC 7518 6.2.1.2: x and y; 7518 3.4: r and s).
bool bn_padded(const BIGNUM* bn, std::size_t size, unsigned char* out) {
  return BN_bn2binpad(bn, out, static_cast<int>(size)) == static_cast<int>(size);
}

std::string group_name(const EVP_PKEY* key) {
  char name[80] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &length) != 1)
    return "an unknown curve";
  return std::string(name, length);
}

std::string sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available");
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// The members of the public JWK that the thumbprint covers (RFC 7638 3.2), in the order the
// thumbprint wants them (lexicographic), or an empty object if the key's parameters can't be read.
boost::json::object required_members(const EVP_PKEY* key, SigningAlgorithm alg) {
  boost::json::object jwk;
  if (alg == SigningAlgorithm::rs384) {
    const Bn n = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
    const Bn e = bn_param(key, OSSL_PKEY_PARAM_RSA_E);
    if (!n || !e) return {};
    jwk["e"] = base64url(bn_minimal(e.get()));
    jwk["kty"] = "RSA";
    jwk["n"] = base64url(bn_minimal(n.get()));
  } else {
    const Bn x = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X);
    const Bn y = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y);
    unsigned char xb[p384_bytes], yb[p384_bytes];
    if (!x || !y || !bn_padded(x.get(), p384_bytes, xb) || !bn_padded(y.get(), p384_bytes, yb)) return {};
    jwk["crv"] = "P-384";
    jwk["kty"] = "EC";
    jwk["x"] = base64url(std::string_view(reinterpret_cast<const char*>(xb), p384_bytes));
    jwk["y"] = base64url(std::string_view(reinterpret_cast<const char*>(yb), p384_bytes));
  }
  return jwk;
}

// Why the key can't sign RS384 or ES384, or nothing if it can; `alg` is set when it can.
std::optional<std::string> check_key(const EVP_PKEY* key, SigningAlgorithm& alg) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < min_rsa_bits)
      return "RSA key of " + std::to_string(bits) + " bits: at least " + std::to_string(min_rsa_bits) +
             " are required";
    alg = SigningAlgorithm::rs384;
    return std::nullopt;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    const std::string curve = group_name(key);
    if (curve != "secp384r1" && curve != "P-384") return "EC key on " + curve + ": ES384 needs P-384";
    alg = SigningAlgorithm::es384;
    return std::nullopt;
  }
  if (EVP_PKEY_is_a(key, "RSA-PSS"))
    return "RSA-PSS key: RS384 needs a plain RSA key (PKCS#1 v1.5 signatures)";
  const char* type = EVP_PKEY_get0_type_name(key);
  return std::string(type ? type : "unknown") +
         " key: only RSA (of at least 2048 bits, for RS384) and EC P-384 (for ES384) keys can be used";
}

// Reads the PEM file into `text`; an error message, or "" on success.
std::string read_pem(const std::filesystem::path& path, std::string& text) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot read " + path.string() + ": " + std::strerror(errno);
  char buffer[4096];
  std::string error;
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read " + path.string() + ": " + std::strerror(errno);
      break;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_pem_bytes) {
      error = path.string() + " is not a PEM private key (it is larger than 1 MiB)";
      break;
    }
  }
  ::close(fd);
  OPENSSL_cleanse(buffer, sizeof buffer);
  return error;
}

// What a SigningKey holds, built before the SigningKey itself.
struct KeyParts {
  Pkey key;
  SigningAlgorithm alg = SigningAlgorithm::rs384;
  std::string kid;
  boost::json::object public_members;  // kty and n/e or crv/x/y
};

// The public JWK members and the kid of a checked key; an error message, or "" on success.
std::string make_parts(Pkey key, SigningAlgorithm alg, const std::string& kid, KeyParts& parts) {
  parts.public_members = required_members(key.get(), alg);
  if (parts.public_members.empty()) return "the public parameters of the key cannot be read";
  parts.kid = kid.empty() ? jwk_thumbprint(parts.public_members) : kid;
  parts.key = std::move(key);
  parts.alg = alg;
  return {};
}

}  // namespace

const char* to_string(SigningAlgorithm a) { return a == SigningAlgorithm::rs384 ? "RS384" : "ES384"; }

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    const unsigned v = (p[i] << 16) | (rest == 2 ? p[i + 1] << 8 : 0);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
  }
  return out;
}

std::string jwk_thumbprint(const boost::json::object& jwk) {
  const auto member = [&](const char* name) -> std::string {
    const auto* v = jwk.if_contains(name);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  // The required members only, in lexicographic order, no whitespace (RFC 7638 3.2, 3.3). The
  // base64url values need no JSON escaping, but serialize them anyway.
  const auto str = [](const std::string& s) { return boost::json::serialize(boost::json::value(s)); };
  std::string canonical;
  const std::string kty = member("kty");
  if (kty == "RSA")
    canonical = "{\"e\":" + str(member("e")) + ",\"kty\":\"RSA\",\"n\":" + str(member("n")) + "}";
  else if (kty == "EC")
    canonical = "{\"crv\":" + str(member("crv")) + ",\"kty\":\"EC\",\"x\":" + str(member("x")) +
                ",\"y\":" + str(member("y")) + "}";
  else
    return {};
  return base64url(sha256(canonical));
}

struct SigningKey::Impl : KeyParts {};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::~SigningKey() = default;

SigningAlgorithm SigningKey::algorithm() const { return impl_->alg; }
const std::string& SigningKey::kid() const { return impl_->kid; }

boost::system::result<std::unique_ptr<SigningKey>, std::string> SigningKey::load(const std::filesystem::path& pem,
                                                                                 const std::string& kid) {
  const ClearErrors clear;
  WipedString text;
  if (auto error = read_pem(pem, text.text); !error.empty()) return error;
  const std::string name = pem.string();

  Bio bio(BIO_new_mem_buf(text.text.data(), static_cast<int>(text.text.size())));
  if (!bio) return "cannot read " + name + ": out of memory";
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    if (text.text.find("ENCRYPTED") != std::string::npos)
      return name + " holds an encrypted private key: alemwatch needs it unencrypted"
                    " (protect the file with mode 0600 instead)";
    if (text.text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != std::string::npos)
      return name + " holds an OpenSSH private key: alemwatch reads PEM (`ssh-keygen -p -m PKCS8 -f " + name +
             "` converts it in place)";
    if (text.text.find("-----BEGIN PUBLIC KEY-----") != std::string::npos ||
        text.text.find("-----BEGIN CERTIFICATE-----") != std::string::npos)
      return name + " holds a public key or certificate, not a private key";
    return name + " holds no PEM private key that can be read (expected -----BEGIN PRIVATE KEY-----)";
  }
  SigningAlgorithm alg{};
  if (auto why = check_key(key.get(), alg)) return name + ": " + *why;
  // A damaged key would sign happily and be refused by the server with no useful reason.
  {
    const PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!ctx || EVP_PKEY_pairwise_check(ctx.get()) != 1)
      return name + ": the private key is damaged (its private and public parts do not match)";
  }
  auto impl = std::make_unique<Impl>();
  if (auto error = make_parts(std::move(key), alg, kid, *impl); !error.empty()) return name + ": " + error;
  return std::unique_ptr<SigningKey>(new SigningKey(std::move(impl)));
}

boost::system::result<std::unique_ptr<SigningKey>, std::string> SigningKey::generate(SigningAlgorithm alg) {
  const ClearErrors clear;
  Pkey key(alg == SigningAlgorithm::rs384
               ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(generated_rsa_bits))
               : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  if (!key) return std::string("generating the ") + to_string(alg) + " key failed";
  auto impl = std::make_unique<Impl>();
  if (auto error = make_parts(std::move(key), alg, {}, *impl); !error.empty()) return error;
  return std::unique_ptr<SigningKey>(new SigningKey(std::move(impl)));
}

std::string SigningKey::private_pem() const {
  const ClearErrors clear;
  Bio bio(BIO_new(BIO_s_mem()));
  // PKCS#8 PrivateKeyInfo ("BEGIN PRIVATE KEY"), unencrypted.
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw std::runtime_error("writing the private key as PEM failed");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<std::size_t>(length));
  OPENSSL_cleanse(data, static_cast<std::size_t>(length));
  return out;
}

boost::json::object SigningKey::jwks() const {
  boost::json::object jwk;
  jwk["kty"] = impl_->public_members.at("kty");
  jwk["kid"] = impl_->kid;
  jwk["use"] = "sig";
  jwk["alg"] = to_string(impl_->alg);
  for (const auto& [name, value] : impl_->public_members)
    if (name != "kty") jwk[name] = value;
  boost::json::array keys;
  keys.emplace_back(std::move(jwk));
  return boost::json::object{{"keys", std::move(keys)}};
}

std::string SigningKey::sign_jwt(const boost::json::object& claims) const {
  const ClearErrors clear;
  const boost::json::object header{{"alg", to_string(impl_->alg)}, {"typ", "JWT"}, {"kid", impl_->kid}};
  std::string jwt = base64url(boost::json::serialize(header)) + "." + base64url(boost::json::serialize(claims));

  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  // For RSA keys the default padding is PKCS#1 v1.5 (RS384); for EC keys the result is DER.
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA384", nullptr, nullptr, impl_->key.get(), nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(jwt.data()), jwt.size()) != 1)
    throw std::runtime_error(std::string("signing the JWT with ") + to_string(impl_->alg) + " failed");
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, reinterpret_cast<const unsigned char*>(jwt.data()),
                     jwt.size()) != 1)
    throw std::runtime_error(std::string("signing the JWT with ") + to_string(impl_->alg) + " failed");
  signature.resize(length);

  std::string encoded;
  if (impl_->alg == SigningAlgorithm::rs384) {
    encoded.assign(signature.begin(), signature.end());
  } else {
    // DER ECDSA-Sig-Value to the JWS form: r and s, 48 octets each (RFC 7518 3.4).
    const unsigned char* p = signature.data();
    EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
    unsigned char rs[2 * p384_bytes];
    if (!sig || !bn_padded(ECDSA_SIG_get0_r(sig.get()), p384_bytes, rs) ||
        !bn_padded(ECDSA_SIG_get0_s(sig.get()), p384_bytes, rs + p384_bytes))
      throw std::runtime_error("converting the ES384 signature failed");
    encoded.assign(reinterpret_cast<const char*>(rs), sizeof rs);
  }
  jwt += '.';
  jwt += base64url(encoded);
  return jwt;
}

}  // namespace alemwatch::fhir::auth
