// Authorisation end to end: alemwatch's SMART Backend Services client against a token endpoint
// whose JWT checks are done by an independent library (jose, tests/tools/token-server), in front
// of the real FHIR test server.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "alemwatch/fhir/auth/access_token_source.hpp"
#include "sync_test_support.hpp"

namespace alemwatch::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SmartAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fhir_server_available() && token_server_available()) << "run scripts/install-test-tools.sh";
    fhir = std::make_unique<FhirServerProcess>(
        std::vector<std::string>{"--load", std::string(ALEMWATCH_SAMPLES) + "/02-itp/bundle.json"});
    for (const char* alg : {"RS384", "ES384"}) {
      const std::string dir = scratch.file(alg);
      auto made = run_alemwatch(std::string("keys generate --alg ") + alg + " --out " + dir);
      ASSERT_EQ(made.exit_code, 0) << made.output;
    }
    std::ofstream(scratch.file("secret")) << "correct horse battery staple\n";
    std::filesystem::permissions(scratch.file("secret"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  // A token server that knows client "alemwatch-rs" by the RS384 key, "alemwatch-es" by ES384.
  std::unique_ptr<TokenServerProcess> token_server(std::vector<std::string> extra = {}) {
    std::vector<std::string> options{"--client", "alemwatch-rs=" + scratch.file("RS384") + "/jwks.json",
                                     "--client", "alemwatch-es=" + scratch.file("ES384") + "/jwks.json",
                                     "--secret", "alemwatch-basic=" + scratch.file("secret"),
                                     "--fhir-upstream", fhir->base_url()};
    options.insert(options.end(), extra.begin(), extra.end());
    return std::make_unique<TokenServerProcess>(options);
  }

  CommandResult sync(const TokenServerProcess& auth, const std::string& how) {
    auto r = run_alemwatch("sync --base-url " + auth.fhir_base() + " --state " + scratch.file("state-" + std::to_string(++runs) + ".db") +
                           " --at " + sync_time + " " + how);
    outputs += r.output;
    return r;
  }

  boost::json::object stats(const TokenServerProcess& auth) {
    TestClient client(auth.url());
    auto r = client.fhir().http().send({boost::beast::http::verb::get, auth.url() + "/$stats", {}, {}, {}});
    return boost::json::parse(r->body).as_object();
  }

  std::string smart(const char* alg) {
    return std::string("--auth smart --client-id ") + (std::string(alg) == "RS384" ? "alemwatch-rs" : "alemwatch-es") +
           " --private-key " + scratch.file(alg) + "/private.pem";
  }

  ScratchDir scratch{::testing::UnitTest::GetInstance()->current_test_info()->name()};
  std::unique_ptr<FhirServerProcess> fhir;
  int runs = 0;
  std::string outputs;  // everything alemwatch printed, for the secret scan
};

TEST_F(SmartAuth, SyncSucceedsWithAnRs384AndAnEs384KeyMadeByKeysGenerate) {
  auto auth = token_server();
  for (const char* alg : {"RS384", "ES384"}) {
    auto run = sync(*auth, smart(alg));
    EXPECT_EQ(run.exit_code, 0) << alg << "\n" << run.output;
  }
  const auto s = stats(*auth);
  EXPECT_EQ(s.at("tokens_issued"), 2);
  EXPECT_EQ(TestClient(fhir->base_url()).detected_issues().size(), 1u);
}

TEST_F(SmartAuth, TheTokenEndpointIsDiscoveredFromSmartConfiguration) {
  auto auth = token_server();
  auto run = sync(*auth, smart("ES384"));  // no --token-url
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(SmartAuth, AWrongKeyIsRefusedWithAClearErrorAndExitFour) {
  auto auth = token_server();
  // The ES384 key presented as the RS384 client's.
  auto run = sync(*auth, "--auth smart --client-id alemwatch-rs --private-key " + scratch.file("ES384") + "/private.pem");
  EXPECT_EQ(run.exit_code, 4) << run.output;
  EXPECT_NE(run.output.find("invalid_client"), std::string::npos) << run.output;
  EXPECT_TRUE(TestClient(fhir->base_url()).detected_issues().empty());
}

TEST_F(SmartAuth, ClientSecretBasicWorksAndABadSecretIsRefused) {
  auto auth = token_server();
  auto good = sync(*auth, "--auth client-secret --client-id alemwatch-basic --client-secret-file " + scratch.file("secret"));
  EXPECT_EQ(good.exit_code, 0) << good.output;
  std::ofstream(scratch.file("wrong")) << "tr0ub4dor\n";
  std::filesystem::permissions(scratch.file("wrong"), std::filesystem::perms::owner_read);
  auto bad = sync(*auth, "--auth client-secret --client-id alemwatch-basic --client-secret-file " + scratch.file("wrong"));
  EXPECT_EQ(bad.exit_code, 4) << bad.output;
}

TEST_F(SmartAuth, AStaticBearerTokenIsSentAsItIsAndAnUnknownOneIsRefused) {
  auto auth = token_server();
  std::ofstream(scratch.file("token")) << "not-a-token-the-server-issued\n";
  std::filesystem::permissions(scratch.file("token"), std::filesystem::perms::owner_read);
  auto run = sync(*auth, "--bearer-token-file " + scratch.file("token"));
  EXPECT_EQ(run.exit_code, 4) << run.output;
  EXPECT_GE(stats(*auth).at("proxy_unauthorized").to_number<int>(), 1);
}

TEST_F(SmartAuth, ATokenThatExpiresDuringALongSyncIsRefreshedWithoutFailingARequest) {
  // A slow server and short-lived tokens: the run outlasts several of them.
  fhir = std::make_unique<FhirServerProcess>(std::vector<std::string>{"--latency-ms", "40"});
  TestClient(fhir->base_url()).load_all_samples();
  auto auth = token_server({"--token-lifetime", "2"});
  auto run = sync(*auth, smart("RS384"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const auto s = stats(*auth);
  EXPECT_GE(s.at("tokens_issued").to_number<int>(), 2) << "refreshed ahead of expiry";
  EXPECT_EQ(s.at("proxy_unauthorized"), 0) << "no request went out with an expired token";
}

TEST_F(SmartAuth, A401InTheMiddleOfARunTriggersOneRefreshAndOneRetry) {
  auto auth = token_server({"--fail-once-with-401-after", "5"});
  auto run = sync(*auth, smart("ES384"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const auto fail_once = stats(*auth).at("fail_once").as_object();
  EXPECT_EQ(fail_once.at("fired"), true);
  EXPECT_EQ(fail_once.at("token_requests_after"), 1);
  EXPECT_GE(fail_once.at("proxied_after").to_number<int>(), 1);
}

// Library level: the refusals the command line cannot provoke, and the shared refresh.
class TokenSource : public SmartAuth {
 protected:
  fhir::auth::ClientCredentialsSettings settings(const TokenServerProcess& auth) {
    key = std::move(*fhir::auth::SigningKey::load(scratch.file("RS384") + "/private.pem"));
    fhir::auth::ClientCredentialsSettings s;
    s.token_url = auth.token_url();
    s.client_id = "alemwatch-rs";
    s.scope = "system/Observation.read";
    s.key = key.get();
    return s;
  }
  std::unique_ptr<fhir::HttpClient> http = std::move(*fhir::HttpClient::create({}));
  std::unique_ptr<fhir::auth::SigningKey> key;
};

TEST_F(TokenSource, AnExpiredAssertionIsRefusedWithTheEndpointsReason) {
  auto auth = token_server();
  auto s = settings(*auth);
  s.clock_shift = std::chrono::minutes(-10);
  fhir::auth::ClientCredentialsGrant grant(*http, s);
  auto header = grant.authorization();
  ASSERT_FALSE(header);
  EXPECT_NE(header.error().find("expired"), std::string::npos) << header.error();
}

TEST_F(TokenSource, AReusedJtiIsRefused) {
  auto auth = token_server();
  auto s = settings(*auth);
  s.make_jti = [] { return std::string("the-same-jti"); };
  fhir::auth::ClientCredentialsGrant first(*http, s), second(*http, s);
  ASSERT_TRUE(first.authorization());
  auto again = second.authorization();
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find("jti"), std::string::npos) << again.error();
}

TEST_F(TokenSource, ConcurrentRequestsShareOneRefresh) {
  auto auth = token_server({"--token-delay-ms", "500"});
  fhir::auth::ClientCredentialsGrant grant(*http, settings(*auth));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (grant.authorization()) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(grant.tokens_obtained(), 1u);
  const auto s = stats(*auth);
  EXPECT_EQ(s.at("max_concurrent_token_requests"), 1);
  EXPECT_EQ(s.at("tokens_issued"), 1);
}

// Every auth scenario's output, scanned for the secrets it handled.
TEST_F(SmartAuth, NoTokenSecretOrPrivateKeyMaterialAppearsInAnyOutput) {
  auto auth = token_server({"--fail-once-with-401-after", "3"});
  sync(*auth, smart("RS384"));
  sync(*auth, smart("ES384"));
  sync(*auth, "--auth client-secret --client-id alemwatch-basic --client-secret-file " + scratch.file("secret"));
  sync(*auth, "--auth smart --client-id alemwatch-rs --private-key " + scratch.file("ES384") + "/private.pem");
  std::ofstream(scratch.file("token")) << "static-token-value-0123456789\n";
  sync(*auth, "--bearer-token-file " + scratch.file("token"));
  ASSERT_FALSE(outputs.empty());
  EXPECT_EQ(outputs.find("correct horse battery staple"), std::string::npos);
  EXPECT_EQ(outputs.find("static-token-value-0123456789"), std::string::npos);
  EXPECT_EQ(outputs.find("Bearer "), std::string::npos);
  EXPECT_EQ(outputs.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(outputs.find("eyJ"), std::string::npos) << "no JWT (assertion or token) is printed";
  for (const char* alg : {"RS384", "ES384"}) {
    std::istringstream pem(read_file(scratch.file(alg) + "/private.pem"));
    std::string line;
    while (std::getline(pem, line))
      if (line.size() >= 40 && line.find("-----") == std::string::npos)
        EXPECT_EQ(outputs.find(line.substr(0, 40)), std::string::npos) << "key material of " << alg;
  }
  // The state files hold no secret either.
  for (int i = 1; i <= runs; ++i) {
    const auto db = read_file(scratch.file("state-" + std::to_string(i) + ".db"));
    EXPECT_EQ(db.find("correct horse"), std::string::npos);
    EXPECT_EQ(db.find("static-token-value"), std::string::npos);
  }
}

TEST_F(SmartAuth, AKeyFileOthersCanReadIsWarnedAbout) {
  auto auth = token_server();
  std::filesystem::permissions(scratch.file("RS384") + "/private.pem", std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto run = sync(*auth, smart("RS384"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("is readable by others"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace alemwatch::testing
