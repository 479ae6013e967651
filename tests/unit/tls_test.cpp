// HTTPS against a real TLS server in the same process, with certificates made by the openssl tool
// at test time: a trusted CA works, an unknown CA, a certificate for another host and a protocol
// older than TLS 1.2 are refused, SNI is sent, and mutual TLS works with a client certificate and
// only with one.
#include "alemwatch/fhir/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ssl/error.hpp>

#include <string>

#include "fault_server.hpp"

namespace alemwatch::fhir {
namespace {

using namespace std::chrono_literals;
using alemwatch::testing::FaultServer;
using alemwatch::testing::TlsMaterial;
using alemwatch::testing::TlsServerConfig;
using Reply = FaultServer::Reply;

const TlsMaterial& material() { return alemwatch::testing::tls_material(); }

FaultServer::Options tls_server(TlsServerConfig config) {
  FaultServer::Options options;
  options.tls = std::move(config);
  options.handler = [](const FaultServer::Request&) { return Reply::ok(R"({"resourceType":"CapabilityStatement"})"); };
  return options;
}

HttpClientOptions client_options(std::string ca_file) {
  HttpClientOptions options;
  options.connect_timeout = 2s;
  options.read_timeout = 2s;
  options.retry.max_retries = 2;
  options.retry.base_delay = 1ms;
  options.ca_file = std::move(ca_file);
  return options;
}

std::unique_ptr<HttpClient> make_client(HttpClientOptions options) {
  auto client = HttpClient::create(std::move(options));
  if (!client) {
    ADD_FAILURE() << client.error();
    return nullptr;
  }
  return std::move(*client);
}

HttpRequest get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

// A refusal the caller can recognise as TLS: tls_failed, or OpenSSL's own error (whose message
// says what failed, e.g. "certificate verify failed").
::testing::AssertionResult is_tls_error(const boost::system::error_code& ec) {
  if (ec == HttpError::tls_failed || ec.category() == boost::asio::error::get_ssl_category() ||
      ec.category() == boost::asio::ssl::error::get_stream_category())
    return ::testing::AssertionSuccess() << ec.message();
  return ::testing::AssertionFailure() << "not a TLS error: " << ec.category().name() << " " << ec.value() << ": "
                                       << ec.message();
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      material();
    } catch (const std::exception& e) {
      FAIL() << "cannot make TLS test material: " << e.what();
    }
  }
};

TEST_F(Tls, GetsOverHttpsFromAServerSignedByTheConfiguredCa) {
  FaultServer server(tls_server(material().server()));
  auto client = make_client(client_options(material().ca));
  for (const char* host : {"localhost", "127.0.0.1"}) {
    auto response = client->send(get(server.url("/fhir/metadata", host)));
    ASSERT_TRUE(response) << host << ": " << response.error().message();
    EXPECT_EQ(response->status, 200u) << host;
    EXPECT_EQ(response->body, R"({"resourceType":"CapabilityStatement"})") << host;
  }
  EXPECT_TRUE(server.tls_failures().empty());
}

TEST_F(Tls, SendsTheHostNameAsSni) {
  FaultServer server(tls_server(material().server()));
  auto client = make_client(client_options(material().ca));
  ASSERT_TRUE(client->send(get(server.url("/fhir/metadata", "localhost"))));
  EXPECT_EQ(server.requests().at(0).sni, "localhost");
}

TEST_F(Tls, ReusesAKeptAliveTlsConnection) {
  FaultServer server(tls_server(material().server()));
  auto client = make_client(client_options(material().ca));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->send(get(server.url("/fhir/Patient/" + std::to_string(i), "localhost"))));
  EXPECT_EQ(server.connections_accepted(), 1u);
  EXPECT_EQ(client->stats().connections.load(), 1u);
}

TEST_F(Tls, ResendsAGetOnAFreshConnectionWhenTheServerClosedTheIdleTlsConnection) {
  FaultServer server(tls_server(material().server()));
  server.enqueue(Reply::ok().closing_after());
  auto client = make_client(client_options(material().ca));
  ASSERT_TRUE(client->send(get(server.url("/a", "localhost"))));
  ASSERT_TRUE(server.wait_for_open_connections(0));
  auto second = client->send(get(server.url("/b", "localhost")));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->attempts, 1);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST_F(Tls, RefusesAServerSignedByAnUnknownCaWithoutRetrying) {
  FaultServer server(tls_server(material().server()));
  auto client = make_client(client_options(material().other_ca));
  auto response = client->send(get(server.url("/fhir/metadata", "localhost")));
  ASSERT_FALSE(response);
  EXPECT_TRUE(is_tls_error(response.error()));
  EXPECT_NE(response.error().message().find("certificate verify failed"), std::string::npos) << response.error().message();
  EXPECT_EQ(server.request_count(), 0u) << "nothing was sent";
  EXPECT_EQ(server.connections_accepted(), 1u) << "a certificate that fails now fails again: no retry";
}

TEST_F(Tls, RefusesAPrivateCaWhenOnlyTheSystemStoreIsTrusted) {
  FaultServer server(tls_server(material().server()));
  auto client = make_client(client_options(""));
  auto response = client->send(get(server.url("/fhir/metadata", "localhost")));
  ASSERT_FALSE(response);
  EXPECT_TRUE(is_tls_error(response.error()));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(Tls, RefusesACertificateForAnotherHostName) {
  FaultServer server(tls_server({material().other_host_cert, material().other_host_key, {}, false}));
  auto client = make_client(client_options(material().ca));
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto response = client->send(get(server.url("/fhir/metadata", host)));
    ASSERT_FALSE(response) << host;
    EXPECT_TRUE(is_tls_error(response.error())) << host;
    EXPECT_NE(response.error().message().find("certificate verify failed"), std::string::npos) << response.error().message();
  }
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(Tls, RefusesAServerThatOnlySpeaksTls11) {
  auto config = material().server();
  config.tls11_only = true;
  FaultServer server(tls_server(config));
  // The server really does speak TLS 1.1 to a client that allows it.
  const std::string legacy = alemwatch::testing::tls11_handshake_error(server.port());
  if (!legacy.empty()) GTEST_SKIP() << "this OpenSSL cannot speak TLS 1.1 at all: " << legacy;
  auto client = make_client(client_options(material().ca));
  auto response = client->send(get(server.url("/fhir/metadata", "localhost")));
  ASSERT_FALSE(response);
  EXPECT_TRUE(is_tls_error(response.error()));
  EXPECT_EQ(server.request_count(), 0u);
  EXPECT_EQ(server.connections_accepted(), 2u) << "the probe, then the client once: no retry";
}

TEST_F(Tls, RefusesToTalkTlsToAPlainHttpServer) {
  FaultServer server;
  server.enqueue(Reply::json(400, "{}"));
  auto client = make_client(client_options(material().ca));
  auto response = client->send(get("https://127.0.0.1:" + std::to_string(server.port()) + "/fhir/metadata"));
  ASSERT_FALSE(response);
  EXPECT_TRUE(is_tls_error(response.error()));
}

// --- Mutual TLS -------------------------------------------------------------------------------

TlsServerConfig requiring_client_certificate() {
  auto config = material().server();
  config.client_ca_file = material().ca;
  return config;
}

TEST_F(Tls, MutualTlsFailsWithoutAClientCertificate) {
  FaultServer server(tls_server(requiring_client_certificate()));
  auto client = make_client(client_options(material().ca));
  auto response = client->send(get(server.url("/fhir/metadata", "localhost")));
  ASSERT_FALSE(response);
  EXPECT_TRUE(is_tls_error(response.error()));
  EXPECT_EQ(server.request_count(), 0u);
  EXPECT_FALSE(server.tls_failures().empty());
  EXPECT_EQ(server.connections_accepted(), 1u) << "a refused certificate is not retried";
}

TEST_F(Tls, MutualTlsWorksWithAClientCertificateSignedByTheServersCa) {
  FaultServer server(tls_server(requiring_client_certificate()));
  auto options = client_options(material().ca);
  options.client_certificate_file = material().client_cert;
  options.client_key_file = material().client_key;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/fhir/metadata", "localhost")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_TRUE(server.tls_failures().empty());
}

TEST_F(Tls, MutualTlsFailsWithAClientCertificateFromAnotherCa) {
  FaultServer server(tls_server(requiring_client_certificate()));
  auto options = client_options(material().ca);
  options.client_certificate_file = material().other_client_cert;
  options.client_key_file = material().other_client_key;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/fhir/metadata", "localhost")));
  ASSERT_FALSE(response);
  EXPECT_TRUE(is_tls_error(response.error()));
  EXPECT_EQ(server.request_count(), 0u);
  EXPECT_EQ(server.connections_accepted(), 1u) << "a refused certificate is not retried";
}

// --- Setting up ---------------------------------------------------------------------------------

TEST_F(Tls, CreatingAClientFailsWhenTheCaFileCannotBeRead) {
  auto client = HttpClient::create(client_options("/nonexistent/ca.pem"));
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().find("/nonexistent/ca.pem"), std::string::npos) << client.error();
}

TEST_F(Tls, CreatingAClientFailsWhenTheClientCertificateCannotBeRead) {
  auto options = client_options(material().ca);
  options.client_certificate_file = "/nonexistent/client.pem";
  options.client_key_file = material().client_key;
  auto client = HttpClient::create(options);
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().find("/nonexistent/client.pem"), std::string::npos) << client.error();
}

TEST_F(Tls, CreatingAClientFailsWhenTheClientKeyDoesNotMatchItsCertificate) {
  auto options = client_options(material().ca);
  options.client_certificate_file = material().client_cert;
  options.client_key_file = material().other_client_key;
  auto client = HttpClient::create(options);
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().find("client key"), std::string::npos) << client.error();
}

}  // namespace
}  // namespace alemwatch::fhir
