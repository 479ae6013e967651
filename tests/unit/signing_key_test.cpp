// Signing keys for SMART Backend Services: JWTs signed RS384 and ES384 verify with OpenSSL against
// a public key rebuilt from the published JWK (so the JWK is checked too), the kid is the RFC 7638
// thumbprint (checked against the RFC's own example and against values computed by hand for fixed
// keys), unusable keys are refused with a reason, and `alemwatch keys` writes and prints the files.
#include "alemwatch/fhir/auth/signing_key.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "alemwatch/adapter/keys_command.hpp"

namespace alemwatch::fhir::auth {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// A fixed 2048-bit RSA key in the traditional (PKCS#1) form, made once with
// `openssl genrsa -traditional 2048`. Its RFC 7638 thumbprint was computed by hand, twice: from
// `openssl rsa -modulus` with Python's hashlib, and with Python's `cryptography` package.
constexpr const char* fixed_rsa_pem = R"(-----BEGIN RSA PRIVATE KEY-----
MIIEoQIBAAKCAQEAy7TqAMU6o1EIMw58MG/V0zxB2/aUV/Q0T9FyAfIzImuHr+6h
klEdAIzKp42eHlknQJmQogGrT5pONOj/JZN78ej9mIuphzDYMGde8tABY9QNeMJ/
w9dghyboOc+rZLSvRL66C1shgypNKXD/PuojzQGTSpvbzhcRU9cs5Vm9TBqhqbR7
tBrOxDI/b2zhexCMqWqpXXb+XLXHrN0zU+UwmyJadj75zFMuEbTpZW8go9dJ8Ir+
Gy191pgCtYHu9MaXCTHqkIAWBbFMxVstWgMkVVy69ASrCUEKd94/8c15VkVXSumf
q1mz7j4sEqF/i2I341+eqqC6kSFb5+qeMtFKtwIDAQABAoIBABbagqA4gFYfOqzD
tMIYYeRTb84WMVlWv+GujTxTqFH1v2DJBF5udDMCGKBInpMoDGPOdq/+QPJqzNhZ
xXo5PCANNBo/nPLaU37GshvKo0VIXoSMSZo2mRFAl7AYsNFZBgrP3P52KGHXRpXe
I/yydvbCdPxbVQMfimWeD97hPQADD57xZvp3ZeGRv3a+Bis1xVuUhRVTUSz64ppf
ZT6IZCt405VULhUXRRvTbpxq0J/PwtQ89M/CV6jJwZNr00Ph7TLs5Zqm+MqZJ15k
/VFHiIp7xM5iWl4LT0EKsjHyttelrM2lftR/BU3dZHQjm3x2dXe9iQx+8hudGtDg
VVDlvLkCgYEA5q6LBTfciYVghZlpIk53YoCsDqr3Ni9ZxiduZju25B8qRc24R+rD
QR0FuSkv1h9rLKCzpcFTjLuRYbzdJlWHgNneVKG/iYvxWm5C/Aphmv+H/kiAMNcZ
MrtknviNfs56a0phifkI/WtNwD4xcreBlBk5JFtLZYXrEc+5H6hc9ckCgYEA4hBz
0dFXzCYyx7qPnTfqkSgADn19+KsexoNTjUr1VE5Ax2iyB2/nWM0uiau8wbH353uv
RIylQ8+3oZv2HLw+Q/5DtSU0ej7xpo6VAhIqNCb49INMC702ghbCmWnAFOjzshIs
iAoYzVJBsWUxGDpmuggOh7+jpuGzlbPgkgN2fH8CgYAYGb4+glKRL5UhACEiy23f
pa/ULHp9d776W95F4hE+jh79gfuxz84sfFq/uJTd2xR4aiW6uJMBDgunWXMFcUQh
6yE2WFvJhAxoNULcUD1YU0AjCfISqDZivX9KuI8X43yYvwGnx5Pv3gkWf6js4k0w
at40dTFQXwhrKPefXhiwOQJ/YEChD7USrNmWxXOpskccmLFvVLwZ5sb1U5CXApHn
4v1ul3j8VC5RUn4KUpPMyqv74ZPIDGfV9gl7JlRBdfqwiEK6kWZF8cbbHQ+YYklZ
rtrpJTLCLj1h+AG42ZktL7oACNG0JDgoV0OutNlhDe/PzWWgyivOgj+XNyZfd8wB
pwKBgQDmPJZ9IdMpfKUf4rcBsfj2Gi7v7TJYI+uXwtxlPjnlh4/8Ww/SCYcTKbSm
IE9I0hPbaAI6nSGP/7eIvTskBQ9AaI+yqB4EIunN2BgiVXgmxTCTMOpSIuYK3umt
iLQQbg4SziuZ9qqfEZ+Ju3UIQO1F8woMlnBRGtiaBFjUqrEnQg==
-----END RSA PRIVATE KEY-----
)";
constexpr const char* fixed_rsa_thumbprint = "5XpGgfe20Fcc-4crWfiF98W44jTYAAbPdioPrEHG2kc";

// A fixed P-384 key (`openssl ecparam -name secp384r1 -genkey -noout`), thumbprint likewise by hand.
constexpr const char* fixed_ec_pem = R"(-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDDUumlUOGAGuSABWjHPodgC7v5bAmfgJpIlY4Lnb2U3EPebEH3QKE7n
ymBg5zdoKLqgBwYFK4EEACKhZANiAASfOpGbZqUk90ZBkA7bKJYIYJat8WDJQ/lr
RFPAl+jzEk92dtJhLuHu2s73BSeqiDQAFr2rLGv3qSX8vhKmftyEv1b/2WPjCmOW
Zhg9mVEz3BCzfP3TepCwzANhNZIZ6uE=
-----END EC PRIVATE KEY-----
)";
constexpr const char* fixed_ec_thumbprint = "xk1UtKGxmXekHkq43n4jdXOb05pDPjyY1KZq_0O_Nm0";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string base64url_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    ADD_FAILURE() << "not base64url: '" << c << "'";
    return 0;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    buffer = (buffer << 6) | static_cast<unsigned>(value(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

struct Jwt {
  std::string header_b64, claims_b64, signature_b64;
  json::object header, claims;
  std::string signature;
};

Jwt split(const std::string& jwt) {
  Jwt out;
  const auto first = jwt.find('.');
  const auto second = jwt.find('.', first + 1);
  EXPECT_NE(first, std::string::npos);
  EXPECT_NE(second, std::string::npos);
  EXPECT_EQ(jwt.find('.', second + 1), std::string::npos);
  out.header_b64 = jwt.substr(0, first);
  out.claims_b64 = jwt.substr(first + 1, second - first - 1);
  out.signature_b64 = jwt.substr(second + 1);
  for (const auto* part : {&out.header_b64, &out.claims_b64, &out.signature_b64})
    EXPECT_EQ(part->find_first_of("+/="), std::string::npos) << *part;
  out.header = json::parse(base64url_decode(out.header_b64)).as_object();
  out.claims = json::parse(base64url_decode(out.claims_b64)).as_object();
  out.signature = base64url_decode(out.signature_b64);
  return out;
}

std::string member(const json::object& jwk, const char* name) {
  const auto* v = jwk.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The public key as a verifier sees it: only from the JWK's n/e or crv/x/y.
Pkey public_key_from_jwk(const json::object& jwk) {
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  std::vector<BIGNUM*> bns;
  std::string point;
  const char* type = nullptr;
  if (member(jwk, "kty") == "RSA") {
    type = "RSA";
    const std::string n = base64url_decode(member(jwk, "n")), e = base64url_decode(member(jwk, "e"));
    EXPECT_NE(static_cast<unsigned char>(n[0]), 0) << "n has a leading zero octet";
    bns.push_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
    bns.push_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bns[0]);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bns[1]);
  } else {
    type = "EC";
    EXPECT_EQ(member(jwk, "crv"), "P-384");
    const std::string x = base64url_decode(member(jwk, "x")), y = base64url_decode(member(jwk, "y"));
    EXPECT_EQ(x.size(), 48u);
    EXPECT_EQ(y.size(), 48u);
    point = std::string(1, '\x04') + x + y;
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld.get());
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  EXPECT_EQ(EVP_PKEY_fromdata_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  for (auto* bn : bns) BN_free(bn);
  return Pkey(key);
}

// Verifies the JWS signature of `jwt` with the key of `jwk`, independently of the signing code.
bool verifies(const std::string& jwt, const json::object& jwk) {
  const Jwt parts = split(jwt);
  const Pkey key = public_key_from_jwk(jwk);
  if (!key) return false;
  std::string signature = parts.signature;
  if (member(jwk, "kty") == "EC") {
    // JOSE r || s back to DER for OpenSSL.
    if (signature.size() != 96) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(p, 48, nullptr), BN_bin2bn(p + 48, 48, nullptr));
    unsigned char* der = nullptr;
    const int length = i2d_ECDSA_SIG(sig, &der);
    signature.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
  }
  const std::string input = parts.header_b64 + "." + parts.claims_b64;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha384(), nullptr, key.get()) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

json::object assertion_claims() {
  return json::object{{"iss", "alemwatch-client"},
                      {"sub", "alemwatch-client"},
                      {"aud", "https://ehr.example.org/oauth2/token"},
                      {"jti", "5b1f0c1e-6a6b-4c4f-9d3e-1f0e2d3c4b5a"},
                      {"exp", 1767225900},
                      {"note", "ünïcode & \"quotes\""}};
}

const json::object& only_key(const json::object& jwks) {
  const auto& keys = jwks.at("keys").as_array();
  EXPECT_EQ(keys.size(), 1u);
  return keys.at(0).as_object();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// A fresh directory per test, removed afterwards.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("alemwatch-keys-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path path = dir / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // A key made here with OpenSSL, written as PKCS#8 PEM (encrypted if a passphrase is given).
  fs::path write_key(const std::string& name, EVP_PKEY* key, const char* passphrase = nullptr) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (passphrase)
      PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), passphrase, static_cast<int>(std::strlen(passphrase)),
                                    nullptr, nullptr);
    else
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    const fs::path path = write(name, std::string(data, static_cast<std::size_t>(length)));
    BIO_free(bio);
    return path;
  }

  fs::path dir;
};

class SigningKeyFiles : public TempDir {};
class KeysCommand : public TempDir {};

TEST(SigningKey, Base64urlHasNoPaddingAndTheUrlAlphabet) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("foob"), "Zm9vYg");
  EXPECT_EQ(base64url(std::string("\xfb\xff\xfe", 3)), "-__-");
  EXPECT_EQ(base64url(std::string("\x00\x01", 2)), "AAE");
}

TEST(SigningKey, ThumbprintMatchesTheRfc7638Example) {
  // RFC 7638, section 3.1.
  const json::object jwk{
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK"
       "RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMic"
       "AtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3"
       "XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  EXPECT_EQ(jwk_thumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(jwk_thumbprint(json::object{{"kty", "oct"}, {"k", "AAAA"}}), "");
}

TEST(SigningKey, Rs384JwtVerifiesAgainstItsJwk) {
  auto key = SigningKey::generate(SigningAlgorithm::rs384);
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->algorithm(), SigningAlgorithm::rs384);

  const json::object jwks = (*key)->jwks();
  const json::object& jwk = only_key(jwks);
  EXPECT_EQ(member(jwk, "kty"), "RSA");
  EXPECT_EQ(member(jwk, "alg"), "RS384");
  EXPECT_EQ(member(jwk, "use"), "sig");
  EXPECT_EQ(member(jwk, "kid"), (*key)->kid());
  EXPECT_EQ(member(jwk, "e"), "AQAB");
  EXPECT_EQ(base64url_decode(member(jwk, "n")).size(), 384u) << "RSA 3072";
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"}) EXPECT_FALSE(jwk.contains(secret)) << secret;
  EXPECT_EQ((*key)->kid(), jwk_thumbprint(jwk));

  const std::string jwt = (*key)->sign_jwt(assertion_claims());
  const Jwt parts = split(jwt);
  EXPECT_EQ(parts.header, (json::object{{"alg", "RS384"}, {"typ", "JWT"}, {"kid", (*key)->kid()}}));
  EXPECT_EQ(parts.claims, assertion_claims());
  EXPECT_EQ(parts.signature.size(), 384u);
  EXPECT_TRUE(verifies(jwt, jwk));

  // The check can fail: another key's JWK, or a changed claim, does not verify.
  auto other = SigningKey::generate(SigningAlgorithm::rs384);
  ASSERT_TRUE(other);
  EXPECT_FALSE(verifies(jwt, only_key((*other)->jwks())));
  json::object changed = assertion_claims();
  changed["sub"] = "someone-else";
  EXPECT_FALSE(verifies(parts.header_b64 + "." + base64url(json::serialize(changed)) + "." + parts.signature_b64, jwk));
}

TEST(SigningKey, Es384JwtVerifiesAgainstItsJwkWithA96ByteSignature) {
  auto key = SigningKey::generate(SigningAlgorithm::es384);
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->algorithm(), SigningAlgorithm::es384);

  const json::object jwks = (*key)->jwks();
  const json::object& jwk = only_key(jwks);
  EXPECT_EQ(member(jwk, "kty"), "EC");
  EXPECT_EQ(member(jwk, "crv"), "P-384");
  EXPECT_EQ(member(jwk, "alg"), "ES384");
  EXPECT_EQ(member(jwk, "use"), "sig");
  EXPECT_EQ(member(jwk, "kid"), (*key)->kid());
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ((*key)->kid(), jwk_thumbprint(jwk));

  // Several signatures: r or s with leading zero octets must still make 48 octets each.
  for (int i = 0; i < 20; ++i) {
    json::object claims = assertion_claims();
    claims["jti"] = "jti-" + std::to_string(i);
    const std::string jwt = (*key)->sign_jwt(claims);
    const Jwt parts = split(jwt);
    EXPECT_EQ(parts.header, (json::object{{"alg", "ES384"}, {"typ", "JWT"}, {"kid", (*key)->kid()}}));
    EXPECT_EQ(parts.claims, claims);
    ASSERT_EQ(parts.signature.size(), 96u);
    EXPECT_TRUE(verifies(jwt, jwk)) << i;
  }
  auto other = SigningKey::generate(SigningAlgorithm::es384);
  ASSERT_TRUE(other);
  EXPECT_FALSE(verifies((*key)->sign_jwt(assertion_claims()), only_key((*other)->jwks())));
}

TEST(SigningKey, GeneratedKeysDiffer) {
  auto a = SigningKey::generate(SigningAlgorithm::es384);
  auto b = SigningKey::generate(SigningAlgorithm::es384);
  ASSERT_TRUE(a && b);
  EXPECT_NE((*a)->kid(), (*b)->kid());
}

TEST_F(SigningKeyFiles, KidIsTheThumbprintComputedByHandForAFixedRsaKey) {
  auto key = SigningKey::load(write("rsa.pem", fixed_rsa_pem));
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->algorithm(), SigningAlgorithm::rs384);
  EXPECT_EQ((*key)->kid(), fixed_rsa_thumbprint);
  EXPECT_EQ(member(only_key((*key)->jwks()), "kid"), fixed_rsa_thumbprint);
  EXPECT_TRUE(verifies((*key)->sign_jwt(assertion_claims()), only_key((*key)->jwks())));
}

TEST_F(SigningKeyFiles, KidIsTheThumbprintComputedByHandForAFixedEcKey) {
  auto key = SigningKey::load(write("ec.pem", fixed_ec_pem));
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->algorithm(), SigningAlgorithm::es384);
  EXPECT_EQ((*key)->kid(), fixed_ec_thumbprint);
  EXPECT_TRUE(verifies((*key)->sign_jwt(assertion_claims()), only_key((*key)->jwks())));
}

TEST_F(SigningKeyFiles, LoadSkipsAnEcParametersBlockBeforeTheKey) {
  // What `openssl ecparam -genkey` writes without -noout.
  auto key = SigningKey::load(
      write("ec.pem", std::string("-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n") +
                          fixed_ec_pem));
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->kid(), fixed_ec_thumbprint);
}

TEST_F(SigningKeyFiles, AGivenKidIsUsedInTheJwksAndTheHeader) {
  auto key = SigningKey::load(write("rsa.pem", fixed_rsa_pem), "epic-2025-01");
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->kid(), "epic-2025-01");
  EXPECT_EQ(member(only_key((*key)->jwks()), "kid"), "epic-2025-01");
  EXPECT_EQ(member(split((*key)->sign_jwt({})).header, "kid"), "epic-2025-01");
}

TEST_F(SigningKeyFiles, PrivatePemIsPkcs8AndLoadsBackToTheSameKey) {
  for (const auto alg : {SigningAlgorithm::rs384, SigningAlgorithm::es384}) {
    auto key = SigningKey::generate(alg);
    ASSERT_TRUE(key) << key.error();
    const std::string pem = (*key)->private_pem();
    EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << to_string(alg);
    auto loaded = SigningKey::load(write("key.pem", pem));
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ((*loaded)->algorithm(), alg);
    EXPECT_EQ((*loaded)->kid(), (*key)->kid());
    EXPECT_EQ((*loaded)->jwks(), (*key)->jwks());
    EXPECT_TRUE(verifies((*loaded)->sign_jwt(assertion_claims()), only_key((*key)->jwks())));
  }
  // The traditional fixed key comes out as PKCS#8 too.
  auto fixed = SigningKey::load(write("rsa.pem", fixed_rsa_pem));
  ASSERT_TRUE(fixed);
  EXPECT_EQ((*fixed)->private_pem().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
}

TEST_F(SigningKeyFiles, LoadRejectsA1024BitRsaKey) {
  Pkey weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024)));
  ASSERT_TRUE(weak);
  const fs::path file = write_key("weak.pem", weak.get());
  auto key = SigningKey::load(file);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), file.string() + ": RSA key of 1024 bits: at least 2048 are required");
}

TEST_F(SigningKeyFiles, LoadRejectsAP256Key) {
  Pkey p256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_TRUE(p256);
  const fs::path file = write_key("p256.pem", p256.get());
  auto key = SigningKey::load(file);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), file.string() + ": EC key on prime256v1: ES384 needs P-384");
}

TEST_F(SigningKeyFiles, LoadRejectsOtherKeyTypes) {
  Pkey ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(ed);
  const fs::path file = write_key("ed.pem", ed.get());
  auto key = SigningKey::load(file);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), file.string() +
                             ": ED25519 key: only RSA (of at least 2048 bits, for RS384) and EC P-384 (for ES384) keys "
                             "can be used");
}

TEST_F(SigningKeyFiles, GarbageMissingPublicAndEncryptedFilesGiveClearErrors) {
  const fs::path garbage = write("garbage.pem", "this is not a key\n\x01\x02\x03");
  auto key = SigningKey::load(garbage);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), garbage.string() +
                             " holds no PEM private key that can be read (expected -----BEGIN PRIVATE KEY-----)");

  // A PEM block cut short: the same message, and nothing of the body in it.
  std::string truncated = fixed_rsa_pem;
  truncated.erase(200, 300);
  const fs::path truncated_file = write("truncated.pem", truncated);
  key = SigningKey::load(truncated_file);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), truncated_file.string() +
                             " holds no PEM private key that can be read (expected -----BEGIN PRIVATE KEY-----)");

  // A well-formed key whose modulus was changed: it would sign, and no server would accept it.
  std::string damaged = fixed_rsa_pem;
  damaged.replace(100, 40, std::string(40, 'A'));
  const fs::path damaged_file = write("damaged.pem", damaged);
  key = SigningKey::load(damaged_file);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(),
            damaged_file.string() + ": the private key is damaged (its private and public parts do not match)");

  const fs::path openssh = write("id_ecdsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                                                "-----END OPENSSH PRIVATE KEY-----\n");
  key = SigningKey::load(openssh);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), openssh.string() + " holds an OpenSSH private key: alemwatch reads PEM (`ssh-keygen -p -m "
                                            "PKCS8 -f " + openssh.string() + "` converts it in place)");

  key = SigningKey::load(dir / "missing.pem");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), "cannot read " + (dir / "missing.pem").string() + ": No such file or directory");

  key = SigningKey::load(dir);
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().find(dir.string()), std::string::npos) << key.error();

  Pkey rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  ASSERT_TRUE(rsa);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, rsa.get());
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  const fs::path pub = write("public.pem", std::string(data, static_cast<std::size_t>(length)));
  BIO_free(bio);
  key = SigningKey::load(pub);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), pub.string() + " holds a public key or certificate, not a private key");

  // Encrypted: refused without asking for a passphrase on the terminal.
  const fs::path encrypted = write_key("encrypted.pem", rsa.get(), "passphrase");
  ASSERT_NE(read_file(encrypted).find("ENCRYPTED"), std::string::npos);
  key = SigningKey::load(encrypted);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), encrypted.string() +
                             " holds an encrypted private key: alemwatch needs it unencrypted (protect the file with "
                             "mode 0600 instead)");
}

TEST_F(KeysCommand, GenerateWritesAPrivateKeyReadableOnlyByItsOwnerAndTheJwks) {
  const fs::path out = dir / "keys" / "epic";
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(adapter::run_keys_generate("es384", out.string()), 0);
  const std::string said = ::testing::internal::GetCapturedStdout();

  EXPECT_EQ(mode_of(out), 0700u);
  EXPECT_EQ(mode_of(out / "private.pem"), 0600u);
  EXPECT_EQ(mode_of(out / "jwks.json"), 0644u);
  EXPECT_FALSE(adapter::warn_if_readable_by_others(out / "private.pem"));

  auto key = SigningKey::load(out / "private.pem");
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->algorithm(), SigningAlgorithm::es384);
  const json::object written = json::parse(read_file(out / "jwks.json")).as_object();
  EXPECT_EQ(written, (*key)->jwks());
  EXPECT_TRUE(verifies((*key)->sign_jwt(assertion_claims()), only_key(written)));

  EXPECT_NE(said.find((*key)->kid()), std::string::npos) << said;
  EXPECT_NE(said.find((out / "jwks.json").string()), std::string::npos) << said;
  EXPECT_NE(said.find("JWK Set URL"), std::string::npos) << said;
  EXPECT_NE(said.find("client id"), std::string::npos) << said;
  EXPECT_EQ(said.find("PRIVATE KEY"), std::string::npos) << said;
}

TEST_F(KeysCommand, GenerateRefusesToOverwriteAnExistingPrivateKey) {
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(adapter::run_keys_generate("RS384", dir.string()), 0);
  ::testing::internal::GetCapturedStdout();
  const std::string pem = read_file(dir / "private.pem");
  const std::string jwks = read_file(dir / "jwks.json");

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(adapter::run_keys_generate("ES384", dir.string()), 2);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find((dir / "private.pem").string() + " already exists"), std::string::npos) << said;
  EXPECT_EQ(read_file(dir / "private.pem"), pem);
  EXPECT_EQ(read_file(dir / "jwks.json"), jwks);
  EXPECT_EQ(mode_of(dir / "private.pem"), 0600u);
}

TEST_F(KeysCommand, GenerateRefusesAnUnknownAlgorithm) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(adapter::run_keys_generate("RS256", (dir / "out").string()), 2);
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("unknown algorithm 'RS256': use RS384 or ES384"), std::string::npos) << said;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST_F(KeysCommand, JwksPrintsTheSameJwkSetAsGenerateWrote) {
  for (const char* alg : {"RS384", "ES384"}) {
    const fs::path out = dir / alg;
    ::testing::internal::CaptureStdout();
    ASSERT_EQ(adapter::run_keys_generate(alg, out.string()), 0);
    ::testing::internal::GetCapturedStdout();

    ::testing::internal::CaptureStdout();
    ASSERT_EQ(adapter::run_keys_jwks((out / "private.pem").string(), ""), 0);
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), read_file(out / "jwks.json")) << alg;
  }
}

TEST_F(KeysCommand, JwksTakesAKidAndReportsBadKeys) {
  const fs::path file = write("rsa.pem", fixed_rsa_pem);
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(adapter::run_keys_jwks(file.string(), "my-kid"), 0);
  const json::object printed = json::parse(::testing::internal::GetCapturedStdout()).as_object();
  EXPECT_EQ(member(only_key(printed), "kid"), "my-kid");

  const fs::path garbage = write("garbage.pem", "nope");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(adapter::run_keys_jwks(garbage.string(), ""), 2);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_NE(err.find(garbage.string() + " holds no PEM private key"), std::string::npos) << err;
}

TEST_F(KeysCommand, WarnsWhenAKeyFileIsReadableByOthers) {
  const fs::path file = write("secret.pem", fixed_rsa_pem);
  ::chmod(file.c_str(), 0644);
  EXPECT_EQ(adapter::warn_if_readable_by_others(file),
            file.string() + " is readable by others (mode 0644): chmod 600 it");
  ::chmod(file.c_str(), 0640);
  EXPECT_EQ(adapter::warn_if_readable_by_others(file),
            file.string() + " is readable by others (mode 0640): chmod 600 it");
  ::chmod(file.c_str(), 0600);
  EXPECT_EQ(adapter::warn_if_readable_by_others(file), std::nullopt);
  ::chmod(file.c_str(), 0400);
  EXPECT_EQ(adapter::warn_if_readable_by_others(file), std::nullopt);
  EXPECT_EQ(adapter::warn_if_readable_by_others(dir / "missing"), std::nullopt);

  // `keys jwks` says so on stderr, and still prints the JWK Set.
  ::chmod(file.c_str(), 0644);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(adapter::run_keys_jwks(file.string(), ""), 0);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(::testing::internal::GetCapturedStdout().find(fixed_rsa_thumbprint), std::string::npos);
  EXPECT_NE(err.find("warning: " + file.string() + " is readable by others (mode 0644): chmod 600 it"),
            std::string::npos)
      << err;
}

}  // namespace
}  // namespace alemwatch::fhir::auth
