// The HTTP client against a real server in the same process (tests/support/fault_server.hpp) that
// answers from a script and misbehaves on request: what goes on the wire, keep-alive reuse, which
// failures are retried and how long it waits, timeouts, size limits and the bounded pool.
// Timeouts and back-off are tiny so that the whole file runs in a few seconds.
#include "alemwatch/fhir/http_client.hpp"

#include "alemwatch/fhir/auth/access_token_source.hpp"

#include <gtest/gtest.h>

#include <time.h>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault_server.hpp"

namespace alemwatch::fhir {
namespace {

using namespace std::chrono_literals;
using alemwatch::testing::FaultServer;
using Reply = FaultServer::Reply;
namespace http = boost::beast::http;

HttpClientOptions fast_options() {
  HttpClientOptions options;
  options.connect_timeout = 2s;
  options.read_timeout = 2s;
  options.retry.max_retries = 2;
  options.retry.base_delay = 1ms;
  options.retry.max_delay = 3s;
  return options;
}

std::unique_ptr<HttpClient> make_client(HttpClientOptions options = fast_options()) {
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

HttpRequest post(std::string url, std::string body = R"({"resourceType":"Basic"})") {
  HttpRequest r;
  r.method = http::verb::post;
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 64> text{};
  std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text.data();
}

double seconds_between(const FaultServer::Request& a, const FaultServer::Request& b) {
  return std::chrono::duration<double>(b.received - a.received).count();
}

// --- What goes on the wire ------------------------------------------------------------------

TEST(HttpClient, ReturnsStatusBodyAndHeadersOfA200) {
  FaultServer server;
  server.enqueue(Reply::ok(R"({"resourceType":"Patient","id":"p1"})").with_header("ETag", "W/\"1\""));
  auto client = make_client();
  auto response = client->send(get(server.url("/fhir/Patient/p1")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, R"({"resourceType":"Patient","id":"p1"})");
  EXPECT_EQ(response->header("etag"), "W/\"1\"");
  EXPECT_EQ(response->header("CONTENT-TYPE"), "application/fhir+json");
  EXPECT_EQ(response->header("X-Absent"), "");
  EXPECT_EQ(response->attempts, 1);
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].method, "GET");
  EXPECT_EQ(server.requests()[0].target, "/fhir/Patient/p1");
}

TEST(HttpClient, SendsAcceptFhirJsonAndItsUserAgent) {
  FaultServer server;
  server.enqueue(Reply::ok());
  server.enqueue(Reply::ok());
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/a"))));
  auto options = fast_options();
  options.user_agent = "alemwatch/9.9 (test)";
  auto custom = make_client(options);
  ASSERT_TRUE(custom->send(get(server.url("/b"))));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Accept"), "application/fhir+json");
  EXPECT_EQ(requests[0].header("User-Agent"), "alemwatch");
  EXPECT_EQ(requests[1].header("User-Agent"), "alemwatch/9.9 (test)");
  EXPECT_FALSE(requests[0].has_header("Authorization"));
  EXPECT_FALSE(requests[0].has_header("Content-Type")) << "a GET has no body";
}

TEST(HttpClient, SendsThePathAndQueryExactlyAsGiven) {
  FaultServer server;
  server.enqueue(Reply::ok());
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/fhir/Observation?code=http%3A%2F%2Floinc.org%7C777-3&_count=50"))));
  EXPECT_EQ(server.requests().at(0).target, "/fhir/Observation?code=http%3A%2F%2Floinc.org%7C777-3&_count=50");
}

TEST(HttpClient, AnEmptyPathIsSentAsSlash) {
  FaultServer server;
  server.enqueue(Reply::ok());
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url())));
  EXPECT_EQ(server.requests().at(0).target, "/");
}

// Was a bug: the Host header carried the host only ("127.0.0.1"), never the port, although RFC 9110
// section 7.2 wants the target URI's authority (host and, when not the default, port). FHIR
// servers build absolute Bundle.link URLs from Host, so behind a non-default port the next links
// they return point at port 80 and paging breaks. (The same code sends an IPv6 literal unbracketed.)
TEST(HttpClient, HostHeaderNamesTheHostAndANonDefaultPort) {
  FaultServer server;
  server.enqueue(Reply::ok());
  server.enqueue(Reply::ok());
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/fhir/metadata"))));
  ASSERT_TRUE(client->send(get(server.url("/fhir/metadata", "localhost"))));
  EXPECT_EQ(server.requests().at(0).header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(server.requests().at(1).header("Host"), "localhost:" + std::to_string(server.port()));
}

TEST(HttpClient, HostHeaderBracketsAnIpv6LiteralAndReachesIt) {
  FaultServer::Options options;
  options.address = "::1";
  std::optional<FaultServer> server;
  try {
    server.emplace(std::move(options));
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  server->enqueue(Reply::ok());
  auto client = make_client();
  auto response = client->send(get(server->url("/fhir/metadata")));
  ASSERT_TRUE(response) << server->url("/fhir/metadata") << ": " << response.error().message();
  EXPECT_EQ(server->requests().at(0).header("Host"), "[::1]:" + std::to_string(server->port()));
  EXPECT_EQ(server->requests().at(0).target, "/fhir/metadata");
}

// Was a bug: a port above 65535 was not refused, and the resolver (glibc getaddrinfo) takes it modulo
// 65536, so "http://127.0.0.1:<port + 65536>/" reached the server on <port>, a different service than
// the one named, with the request and its Authorization header.
TEST(HttpClient, RefusesAPortOutOfRangeRatherThanConnectingElsewhere) {
  // A port low enough that it plus 65536 still has five digits.
  std::optional<FaultServer> listening;
  for (unsigned short port = 21'000; port < 21'100 && !listening; ++port) {
    FaultServer::Options server_options;
    server_options.port = port;
    try {
      listening.emplace(std::move(server_options));
    } catch (const std::exception&) {
    }
  }
  if (!listening) GTEST_SKIP() << "no free port between 21000 and 21100";
  auto& server = *listening;
  server.set_handler([](const FaultServer::Request&) { return Reply::ok(); });
  auth::StaticBearerToken token("s3cr3t");
  auto options = fast_options();
  options.retry.max_retries = 0;
  options.auth = &token;
  auto client = make_client(options);
  const std::string wrapped = std::to_string(server.port() + 65536);
  for (const std::string& url : {"http://127.0.0.1:" + wrapped + "/fhir", std::string("http://127.0.0.1:99999/fhir"),
                                std::string("http://127.0.0.1:8x/fhir"), std::string("http://127.0.0.1:-1/fhir")}) {
    auto response = client->send(get(url));
    EXPECT_FALSE(response) << url << " was answered";
    if (!response) {
      EXPECT_EQ(response.error(), HttpError::bad_url) << url << ": " << response.error().message();
    }
  }
  EXPECT_EQ(server.request_count(), 0u) << "the request went to port " << server.port() << ", with Authorization: "
                                        << (server.request_count() ? server.requests()[0].header("Authorization") : "");
}

TEST(HttpClient, SendsAPostBodyAsFhirJsonWithItsLength) {
  FaultServer server;
  server.enqueue(Reply::json(201, "{}").with_header("Location", "/fhir/Basic/1/_history/1"));
  auto client = make_client();
  auto response = client->send(post(server.url("/fhir/Basic"), R"({"resourceType":"Basic","id":"x"})"));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 201u);
  EXPECT_EQ(response->header("Location"), "/fhir/Basic/1/_history/1");
  const auto request = server.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.body, R"({"resourceType":"Basic","id":"x"})");
  EXPECT_EQ(request.header("Content-Type"), "application/fhir+json");
  EXPECT_EQ(request.header("Content-Length"), std::to_string(request.body.size()));
}

TEST(HttpClient, SendsTheRequestsOwnHeaders) {
  FaultServer server;
  server.enqueue(Reply::ok());
  auto client = make_client();
  HttpRequest request = get(server.url("/fhir/Patient/p1"));
  request.method = http::verb::put;
  request.body = "{}";
  request.headers = {{"If-Match", "W/\"3\""}, {"Prefer", "return=minimal"}};
  ASSERT_TRUE(client->send(request));
  const auto seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.header("If-Match"), "W/\"3\"");
  EXPECT_EQ(seen.header("Prefer"), "return=minimal");
}

TEST(HttpClient, SendsTheTokenSourcesValueAsTheAuthorizationHeader) {
  FaultServer server;
  server.enqueue(Reply::ok());
  auth::StaticBearerToken token("s3cr3t");
  auto options = fast_options();
  options.auth = &token;
  auto client = make_client(options);
  ASSERT_TRUE(client->send(get(server.url("/fhir/metadata"))));
  EXPECT_EQ(server.requests().at(0).header("Authorization"), "Bearer s3cr3t");
}

// Hands out "Bearer token-1", "Bearer token-2", ... (or fails, when told to).
class CountingTokens : public auth::AccessTokenSource {
 public:
  boost::system::result<std::string, std::string> authorization() override {
    if (fail) return {boost::system::in_place_error, "the token endpoint said no"};
    return {boost::system::in_place_value, "Bearer token-" + std::to_string(++calls)};
  }
  void refused(const std::string& header) override { refusals.push_back(header); }

  std::atomic<int> calls{0};
  bool fail = false;
  std::vector<std::string> refusals;
};

TEST(HttpClient, AsksTheTokenSourceAgainBeforeEveryAttempt) {
  FaultServer server;
  server.enqueue(Reply::json(500, "{}"));
  server.enqueue(Reply::ok());
  CountingTokens tokens;
  auto options = fast_options();
  options.auth = &tokens;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->attempts, 2);
  EXPECT_EQ(tokens.calls.load(), 2);
  EXPECT_EQ(server.requests().at(0).header("Authorization"), "Bearer token-1");
  EXPECT_EQ(server.requests().at(1).header("Authorization"), "Bearer token-2");
  EXPECT_TRUE(tokens.refusals.empty()) << "a 500 says nothing about the token";
}

TEST(HttpClient, OnA401ReportsTheTokenRefusedAndSendsOnceMoreWithAFreshOne) {
  FaultServer server;
  server.enqueue(Reply::json(401, "{}"));
  server.enqueue(Reply::json(201, "{}"));
  CountingTokens tokens;
  auto options = fast_options();
  options.auth = &tokens;
  auto client = make_client(options);
  auto response = client->send(post(server.url("/fhir/Basic")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 201u) << "a 401 means the POST was not processed: safe to send again";
  EXPECT_EQ(tokens.refusals, (std::vector<std::string>{"Bearer token-1"}));
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].header("Authorization"), "Bearer token-2");
  EXPECT_EQ(client->stats().retries.load(), 0u);
}

TEST(HttpClient, RefreshesTheTokenOnlyOnceWhenTheServerKeepsSaying401) {
  FaultServer server;
  server.set_handler([](const FaultServer::Request&) { return Reply::json(401, "{}"); });
  CountingTokens tokens;
  auto options = fast_options();
  options.auth = &tokens;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/fhir/Patient")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 401u);
  EXPECT_EQ(tokens.refusals.size(), 1u);
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(HttpClient, SendsNothingWhenNoTokenCanBeHad) {
  FaultServer server;
  server.enqueue(Reply::ok());
  CountingTokens tokens;
  tokens.fail = true;
  auto options = fast_options();
  options.auth = &tokens;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/x")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::authorization_failed);
  EXPECT_EQ(client->last_auth_error(), "the token endpoint said no");
  EXPECT_EQ(server.connections_accepted(), 0u);
}

TEST(HttpClient, ReturnsARedirectAsAResponseWithoutFollowingIt) {
  FaultServer server;
  server.enqueue(Reply::empty(302).with_header("Location", "http://elsewhere.invalid/fhir"));
  auto client = make_client();
  auto response = client->send(get(server.url("/fhir")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 302u);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpClient, RefusesUrlsItCannotSendTo) {
  auto client = make_client();
  for (const char* url : {"ftp://127.0.0.1/x", "not a url", "/fhir/Patient", "http:///nohost", "", "mailto:a@b.c"}) {
    auto response = client->send(get(url));
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error(), HttpError::bad_url) << url;
  }
  EXPECT_EQ(client->stats().connections.load(), 0u);
}

// --- Keep-alive -----------------------------------------------------------------------------

TEST(HttpClient, ReusesOneKeptAliveConnectionForSuccessiveRequests) {
  FaultServer server;
  for (int i = 0; i < 3; ++i) server.enqueue(Reply::ok());
  auto client = make_client();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->send(get(server.url("/fhir/Patient/" + std::to_string(i)))));
  EXPECT_EQ(server.connections_accepted(), 1u);
  for (const auto& r : server.requests()) EXPECT_EQ(r.connection, 1u);
  EXPECT_EQ(client->stats().connections.load(), 1u);
  EXPECT_EQ(client->stats().requests.load(), 3u);
  EXPECT_EQ(client->stats().retries.load(), 0u);
}

TEST(HttpClient, ReusesAConnectionAfterAChunkedResponse) {
  FaultServer server;
  server.enqueue(Reply::ok(std::string(10'000, ' ') + "{}").chunked_body());
  server.enqueue(Reply::ok());
  auto client = make_client();
  auto first = client->send(get(server.url("/a")));
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->body.size(), 10'002u);
  ASSERT_TRUE(client->send(get(server.url("/b"))));
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(HttpClient, OpensANewConnectionAfterTheServerSaidConnectionClose) {
  FaultServer server;
  server.enqueue(Reply::ok().closing());
  server.enqueue(Reply::ok());
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/a"))));
  ASSERT_TRUE(client->send(get(server.url("/b"))));
  EXPECT_EQ(server.connections_accepted(), 2u);
  EXPECT_EQ(client->stats().retries.load(), 0u);
}

TEST(HttpClient, ResendsAGetOnAFreshConnectionWhenTheServerClosedTheIdleOneWithoutCountingARetry) {
  FaultServer server;
  server.enqueue(Reply::ok().closing_after());
  server.enqueue(Reply::ok(R"({"resourceType":"Patient"})"));
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/a"))));
  ASSERT_TRUE(server.wait_for_open_connections(0));
  auto second = client->send(get(server.url("/b")));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->body, R"({"resourceType":"Patient"})");
  EXPECT_EQ(second->attempts, 1);
  EXPECT_EQ(client->stats().retries.load(), 0u);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

// Was a bug: a POST on a kept-alive connection that the server had already closed (its idle timeout;
// the FIN has arrived before the client writes) fails with connection_reset. The request never
// reached the server, so sending it on a fresh connection is safe; the client only does that for
// idempotent requests, so a create or transaction after a pause fails on a healthy server.
TEST(HttpClient, SendsAPostOnAFreshConnectionWhenTheServerHadClosedTheIdleOne) {
  FaultServer server;
  server.enqueue(Reply::ok().closing_after());
  server.enqueue(Reply::json(201, "{}"));
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/fhir/metadata"))));
  ASSERT_TRUE(server.wait_for_open_connections(0));
  std::this_thread::sleep_for(20ms);  // the FIN is at the client before it writes
  auto created = client->send(post(server.url("/fhir/Basic")));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->status, 201u);
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(HttpClient, DoesNotSendAPostAgainWhoseResponseWasCutOffOnAReusedConnection) {
  FaultServer server;
  server.enqueue(Reply::ok());
  server.enqueue(Reply::reset_mid_body());
  server.enqueue(Reply::json(201, "{}"));
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/fhir/metadata"))));
  auto created = client->send(post(server.url("/fhir/Basic")));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error(), HttpError::connection_reset) << created.error().message();
  ASSERT_EQ(server.request_count(), 2u) << "the POST went out once";
  EXPECT_EQ(server.requests()[1].connection, 1u) << "on the kept-alive connection";
}

TEST(HttpClient, DoesNotSendAPostAgainThatTheServerReadAndHungUpOnOnAReusedConnection) {
  FaultServer server;
  server.enqueue(Reply::ok());
  server.enqueue(Reply::close_without_response());
  server.enqueue(Reply::json(201, "{}"));
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/fhir/metadata"))));
  auto created = client->send(post(server.url("/fhir/Basic")));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error(), HttpError::connection_reset) << created.error().message();
  EXPECT_EQ(server.request_count(), 2u) << "the POST went out once";
}

TEST(HttpClient, CountsAGetCutOffMidBodyOnAReusedConnectionAsARetry) {
  FaultServer server;
  server.enqueue(Reply::ok());
  server.enqueue(Reply::reset_mid_body());
  server.enqueue(Reply::ok(R"({"resourceType":"Bundle"})"));
  auto client = make_client();
  ASSERT_TRUE(client->send(get(server.url("/a"))));
  auto response = client->send(get(server.url("/b")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, R"({"resourceType":"Bundle"})");
  EXPECT_EQ(response->attempts, 2) << "part of a response came: the server was there, this was no stale connection";
  EXPECT_EQ(client->stats().retries.load(), 1u);
}

// --- Retries ----------------------------------------------------------------------------------

TEST(HttpClient, HonoursRetryAfterSecondsOnA503AndThenSucceeds) {
  FaultServer server;
  server.enqueue(Reply::json(503, "{}").with_header("Retry-After", "1"));
  server.enqueue(Reply::ok(R"({"resourceType":"Patient"})"));
  auto options = fast_options();
  options.retry.base_delay = 0ms;  // any wait comes from Retry-After
  auto client = make_client(options);
  auto response = client->send(get(server.url("/fhir/Patient/p1")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->attempts, 2);
  EXPECT_EQ(client->stats().retries.load(), 1u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(seconds_between(requests[0], requests[1]), 0.95);
  EXPECT_LT(seconds_between(requests[0], requests[1]), 1.8);
}

TEST(HttpClient, HonoursRetryAfterAsAnHttpDateOnA429) {
  FaultServer server;
  // Two seconds after the request came, truncated to the second: a wait of one to two seconds.
  int seen = 0;
  server.set_handler([&seen](const FaultServer::Request&) {
    if (seen++ > 0) return Reply::ok();
    return Reply::json(429, "{}").with_header("Retry-After", http_date(std::chrono::system_clock::now() + 2s));
  });
  auto options = fast_options();
  options.retry.base_delay = 0ms;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/fhir/Observation")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->attempts, 2);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(seconds_between(requests[0], requests[1]), 0.8);
  EXPECT_LT(seconds_between(requests[0], requests[1]), 2.5);
}

TEST(HttpClient, CapsRetryAfterAtTheConfiguredMaximumDelay) {
  FaultServer server;
  server.enqueue(Reply::json(503, "{}").with_header("Retry-After", "3600"));
  server.enqueue(Reply::ok());
  auto options = fast_options();
  options.retry.max_delay = 100ms;
  auto client = make_client(options);
  const auto start = std::chrono::steady_clock::now();
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(HttpClient, RetriesA500AndReturnsTheSuccessThatFollows) {
  FaultServer server;
  server.enqueue(Reply::json(500, "{}"));
  server.enqueue(Reply::ok(R"({"ok":true})"));
  auto client = make_client();
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->attempts, 2);
}

TEST(HttpClient, RetriesEveryStatusThatSaysTryAgainLater) {
  for (unsigned status : {408u, 429u, 500u, 502u, 503u, 504u}) {
    FaultServer server;
    server.enqueue(Reply::json(status, "{}"));
    server.enqueue(Reply::ok());
    auto client = make_client();
    auto response = client->send(get(server.url("/x")));
    ASSERT_TRUE(response) << status;
    EXPECT_EQ(response->status, 200u) << status;
    EXPECT_EQ(response->attempts, 2) << status;
  }
}

TEST(HttpClient, DoesNotRetryClientErrors) {
  for (unsigned status : {400u, 401u, 404u, 409u, 412u, 501u}) {
    FaultServer server;
    server.enqueue(Reply::json(status, "{}"));
    auto client = make_client();
    auto response = client->send(get(server.url("/x")));
    ASSERT_TRUE(response) << status;
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->attempts, 1) << status;
    EXPECT_EQ(server.request_count(), 1u) << status;
  }
}

TEST(HttpClient, ReturnsTheLastRetryableStatusOnceRetriesAreExhausted) {
  FaultServer server;
  for (int i = 0; i < 3; ++i) server.enqueue(Reply::json(503, R"({"attempt":)" + std::to_string(i + 1) + "}"));
  auto client = make_client();  // max_retries = 2
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503u);
  EXPECT_EQ(response->body, R"({"attempt":3})");
  EXPECT_EQ(response->attempts, 3);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(client->stats().retries.load(), 2u);
}

TEST(HttpClient, DoesNotWaitForRetryAfterWhenNoAttemptIsLeft) {
  FaultServer server;
  server.enqueue(Reply::json(503, "{}").with_header("Retry-After", "5"));
  auto options = fast_options();
  options.retry.max_retries = 0;
  auto client = make_client(options);
  const auto start = std::chrono::steady_clock::now();
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503u);
  EXPECT_EQ(response->header("Retry-After"), "5") << "left for the caller to read";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(HttpClient, NeverRetriesAPostOnA500) {
  FaultServer server;
  server.enqueue(Reply::json(500, "{}"));
  server.enqueue(Reply::json(201, "{}"));
  auto client = make_client();
  auto response = client->send(post(server.url("/fhir/Basic")));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500u);
  EXPECT_EQ(response->attempts, 1);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpClient, RetriesAPostTheCallerDeclaredIdempotent) {
  FaultServer server;
  server.enqueue(Reply::json(503, "{}"));
  server.enqueue(Reply::json(200, "{}"));
  auto client = make_client();
  auto request = post(server.url("/fhir"));
  request.idempotent = true;
  auto response = client->send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->attempts, 2);
}

TEST(HttpClient, DoesNotRetryAGetTheCallerDeclaredNotIdempotent) {
  FaultServer server;
  server.enqueue(Reply::json(503, "{}"));
  auto client = make_client();
  auto request = get(server.url("/x"));
  request.idempotent = false;
  auto response = client->send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503u);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpClient, RetriesAPutOnA503) {
  FaultServer server;
  server.enqueue(Reply::json(503, "{}"));
  server.enqueue(Reply::json(200, "{}"));
  auto client = make_client();
  auto request = post(server.url("/fhir/Basic/1"));
  request.method = http::verb::put;
  auto response = client->send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].body, requests[0].body) << "the same body sent again";
}

TEST(HttpClient, RetriesAGetWhoseResponseWasCutOffMidBody) {
  FaultServer server;
  server.enqueue(Reply::reset_mid_body());
  server.enqueue(Reply::ok(R"({"resourceType":"Bundle"})"));
  auto client = make_client();
  auto response = client->send(get(server.url("/fhir/Observation")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, R"({"resourceType":"Bundle"})");
  EXPECT_EQ(response->attempts, 2);
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST(HttpClient, DoesNotRetryAPostWhoseResponseWasCutOffMidBody) {
  FaultServer server;
  server.enqueue(Reply::reset_mid_body());
  server.enqueue(Reply::json(201, "{}"));
  auto client = make_client();
  auto response = client->send(post(server.url("/fhir/Basic")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::connection_reset) << response.error().message();
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpClient, RetriesAGetTheServerHungUpOnWithoutAnswering) {
  FaultServer server;
  server.enqueue(Reply::close_without_response());
  server.enqueue(Reply::ok());
  auto client = make_client();
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->attempts, 2);
}

TEST(HttpClient, ReportsAConnectionResetWhenEveryAttemptIsHungUpOn) {
  FaultServer server;
  for (int i = 0; i < 3; ++i) server.enqueue(Reply::close_without_response());
  auto client = make_client();
  auto response = client->send(get(server.url("/x")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::connection_reset);
  EXPECT_EQ(server.request_count(), 3u);
}

TEST(HttpClient, ReportsAMalformedResponseWithoutRetrying) {
  FaultServer server;
  server.enqueue(Reply::raw_bytes("HTTP/1.1 two hundred OK\r\nContent-Length: 2\r\n\r\n{}"));
  server.enqueue(Reply::ok());
  auto client = make_client();
  auto response = client->send(get(server.url("/x")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::bad_response) << response.error().message();
  EXPECT_EQ(server.request_count(), 1u);
}

// --- Timeouts, limits, refused connections ------------------------------------------------------

TEST(HttpClient, TimesOutOnAStalledServerOnceRetriesAreExhausted) {
  FaultServer server;
  server.enqueue(Reply::stall(5s));
  server.enqueue(Reply::stall(5s));
  auto options = fast_options();
  options.read_timeout = 200ms;
  options.retry.max_retries = 1;
  auto client = make_client(options);
  const auto start = std::chrono::steady_clock::now();
  auto response = client->send(get(server.url("/fhir/Observation")));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::timeout) << response.error().message();
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(HttpClient, RetriesAfterATimeoutAndSucceeds) {
  FaultServer server;
  server.enqueue(Reply::stall(5s));
  server.enqueue(Reply::ok());
  auto options = fast_options();
  options.read_timeout = 200ms;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->attempts, 2);
}

TEST(HttpClient, ASlowButTimelyAnswerIsNotATimeout) {
  FaultServer server;
  server.enqueue(Reply::ok().after(100ms));
  auto options = fast_options();
  options.read_timeout = 1s;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->attempts, 1);
}

TEST(HttpClient, RefusesAResponseLargerThanTheLimitWithoutRetrying) {
  FaultServer server;
  server.enqueue(Reply::ok(std::string(4096, 'x')));
  server.enqueue(Reply::ok());
  auto options = fast_options();
  options.max_response_bytes = 1024;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/x")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::response_too_large);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpClient, RefusesAChunkedResponseThatGrowsPastTheLimit) {
  FaultServer server;
  server.enqueue(Reply::ok(std::string(4096, 'x')).chunked_body());
  auto options = fast_options();
  options.max_response_bytes = 1024;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/x")));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::response_too_large);
}

TEST(HttpClient, AcceptsAResponseExactlyAtTheLimit) {
  FaultServer server;
  server.enqueue(Reply::ok(std::string(1024, 'x')));
  auto options = fast_options();
  options.max_response_bytes = 1024;
  auto client = make_client(options);
  auto response = client->send(get(server.url("/x")));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body.size(), 1024u);
}

TEST(HttpClient, ReportsConnectFailedWhenNothingListens) {
  const auto port = alemwatch::testing::unused_port();
  auto options = fast_options();
  options.retry.max_retries = 1;
  auto client = make_client(options);
  auto response = client->send(get("http://127.0.0.1:" + std::to_string(port) + "/fhir/metadata"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::connect_failed) << response.error().message();
  EXPECT_EQ(client->stats().connections.load(), 0u);
  EXPECT_EQ(client->stats().requests.load(), 0u);
}

TEST(HttpClient, ReportsConnectFailedForAHostThatDoesNotResolve) {
  auto options = fast_options();
  options.retry.max_retries = 0;
  auto client = make_client(options);
  auto response = client->send(get("http://no-such-host.invalid/fhir"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), HttpError::connect_failed) << response.error().message();
}

TEST(HttpClient, RetriesEvenAPostWhenTheConnectionCouldNotBeMade) {
  const auto port = alemwatch::testing::unused_port();
  std::optional<FaultServer> server;
  auto options = fast_options();
  options.retry.max_retries = 30;
  options.retry.base_delay = 50ms;
  options.retry.max_delay = 50ms;
  auto client = make_client(options);  // before the clock starts: loading the CA store takes time
  std::string start_error;
  std::thread late_start([&] {
    std::this_thread::sleep_for(150ms);
    FaultServer::Options server_options;
    server_options.port = port;
    server_options.handler = [](const FaultServer::Request&) { return Reply::json(201, "{}"); };
    try {
      server.emplace(std::move(server_options));
    } catch (const std::exception& e) {
      start_error = e.what();
    }
  });
  auto response = client->send(post("http://127.0.0.1:" + std::to_string(port) + "/fhir/Basic"));
  late_start.join();
  if (!start_error.empty()) GTEST_SKIP() << "port " << port << " was taken meanwhile: " << start_error;
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 201u);
  EXPECT_GT(response->attempts, 1);
  EXPECT_EQ(server->request_count(), 1u) << "the POST itself went out once";
}

// --- The pool -------------------------------------------------------------------------------

TEST(HttpClient, NeverHasMoreConnectionsOpenThanItsPoolAllows) {
  FaultServer::Options server_options;
  server_options.handler = [](const FaultServer::Request&) { return Reply::ok().after(200ms); };
  FaultServer server(std::move(server_options));
  auto options = fast_options();
  options.max_connections = 2;
  auto client = make_client(options);
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2; ++i)
        if (auto r = client->send(get(server.url("/fhir/Patient/" + std::to_string(t * 10 + i)))); r && r->status == 200)
          ++succeeded;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded.load(), 8);
  EXPECT_LE(server.peak_requests_in_flight(), 2u);
  EXPECT_EQ(server.peak_requests_in_flight(), 2u) << "both connections were used at once";
  EXPECT_LE(server.peak_open_connections(), 2u);
  EXPECT_LE(server.connections_accepted(), 2u);
  EXPECT_EQ(client->stats().requests.load(), 8u);
}

}  // namespace
}  // namespace alemwatch::fhir
