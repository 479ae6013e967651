// Faults a real server will not produce on command (429, 503, resets, stalls, broken pages, a
// paging loop, a 401), injected by an in-process proxy in front of the real FHIR test server:
// each gives the documented retry or error and exit code, and never a wrong DetectedIssue.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <fstream>
#include <mutex>

#include "fault_server.hpp"
#include "sync_test_support.hpp"

namespace alemwatch::testing {
namespace {

const std::vector<std::string> fault_samples{"02-itp", "03-itp-early", "09-hlh"};

// Forwards every request to the upstream FHIR server unless `fault` returns a reply for it.
class FaultProxy {
 public:
  using Fault = std::function<std::optional<FaultServer::Reply>(const FaultServer::Request&, std::size_t n)>;

  explicit FaultProxy(std::string upstream_base, std::optional<TlsServerConfig> tls = std::nullopt)
      : upstream_(std::move(upstream_base)), server_(FaultServer::Options{0, "127.0.0.1", std::move(tls), {}}) {
    fhir::HttpClientOptions options;
    options.retry.max_retries = 0;
    http_ = std::move(*fhir::HttpClient::create(options));
    origin_ = upstream_.substr(0, upstream_.find("/fhir"));
    server_.set_handler([this](const FaultServer::Request& r) { return handle(r); });
  }

  std::string base(std::string_view host = "127.0.0.1") const { return server_.url("/fhir", host); }
  void on(Fault fault) {
    std::lock_guard lock(mutex_);
    fault_ = std::move(fault);
  }
  const FaultServer& server() const { return server_; }

 private:
  FaultServer::Reply handle(const FaultServer::Request& r) {
    const std::size_t n = ++count_;
    {
      std::lock_guard lock(mutex_);
      if (fault_)
        if (auto reply = fault_(r, n)) return *reply;
    }
    fhir::HttpRequest forward;
    forward.method = boost::beast::http::string_to_verb(r.method);
    forward.url = origin_ + r.target;
    forward.body = r.body;
    for (const char* h : {"If-Match", "If-None-Exist", "Content-Type", "Prefer"})
      if (r.has_header(h)) forward.headers.push_back({h, r.header(h)});
    auto sent = http_->send(forward);
    if (!sent) return FaultServer::Reply::json(502, R"({"resourceType":"OperationOutcome"})");
    std::string body = sent->body;
    // Links and fullUrls name the upstream: point them at the proxy, as a gateway would.
    for (std::size_t at = body.find(upstream_); at != std::string::npos; at = body.find(upstream_, at))
      body.replace(at, upstream_.size(), base()), at += base().size();
    auto reply = FaultServer::Reply::json(sent->status, body);
    for (const char* h : {"ETag", "Location", "Last-Modified", "Date"})
      if (auto v = sent->header(h); !v.empty()) reply = reply.with_header(h, v);
    return reply;
  }

  std::string upstream_;
  std::string origin_;
  std::unique_ptr<fhir::HttpClient> http_;
  FaultServer server_;
  std::atomic<std::size_t> count_{0};
  std::mutex mutex_;
  Fault fault_;
};

class SyncFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fhir_server_available()) << "run scripts/install-test-tools.sh";
    server = std::make_unique<FhirServerProcess>();
    client = std::make_unique<TestClient>(server->base_url());
    for (const auto& s : fault_samples) client->load_bundle(std::string(ALEMWATCH_SAMPLES) + "/" + s + "/bundle.json");
    proxy = std::make_unique<FaultProxy>(server->base_url());
    std::ofstream(scratch.file("config.json")) << R"({"read_timeout_seconds": 1, "connect_timeout_seconds": 2})";
  }

  CommandResult sync(const std::string& extra = "") {
    return run_alemwatch("sync --base-url " + proxy->base() + " --config " + scratch.file("config.json") + " --state " +
                         scratch.file("state.db") + " --at " + sync_time + " --summary-json " +
                         scratch.file("summary.json") + " " + extra);
  }

  std::size_t retries() {
    std::ifstream in(scratch.file("summary.json"));
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str()).at("sync").at("retries").to_number<std::size_t>();
  }

  // Every DetectedIssue on the server is exactly as expected; `all` says none may be missing.
  void expect_no_wrong_issue(bool all) {
    std::map<std::string, boost::json::object> expected;
    for (const auto& [k, v] : golden_issues())
      for (const auto& s : fault_samples)
        if (k.rfind("aw-" + s.substr(0, 2) + "/", 0) == 0) expected.emplace(k, v);
    const auto on_server = client->detected_issues();
    for (const auto& [k, v] : on_server) {
      ASSERT_TRUE(expected.contains(k)) << "unexpected DetectedIssue " << k;
      EXPECT_EQ(content(v), content(expected.at(k))) << k;
    }
    if (all) EXPECT_EQ(on_server.size(), expected.size());
  }

  ScratchDir scratch{::testing::UnitTest::GetInstance()->current_test_info()->name()};
  std::unique_ptr<FhirServerProcess> server;
  std::unique_ptr<TestClient> client;
  std::unique_ptr<FaultProxy> proxy;
};

// The first request whose target contains `part` gets `reply`; everything else is forwarded.
FaultProxy::Fault once_on(std::string part, FaultServer::Reply reply) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  return [=](const FaultServer::Request& r, std::size_t) -> std::optional<FaultServer::Reply> {
    if (r.target.find(part) == std::string::npos || done->exchange(true)) return std::nullopt;
    return reply;
  };
}

TEST_F(SyncFaults, TooManyRequestsWithRetryAfterIsWaitedOutAndRetried) {
  proxy->on(once_on("/Observation?", FaultServer::Reply::json(429, "{}").with_header("Retry-After", "1")));
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(retries(), 1u);
  expect_no_wrong_issue(true);
}

TEST_F(SyncFaults, ServiceUnavailableWithAnHttpDateRetryAfterIsRetried) {
  proxy->on(once_on("/MedicationAdministration?patient", FaultServer::Reply::json(503, "{}").with_header(
                                                            "Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT")));
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(retries(), 1u);
  expect_no_wrong_issue(true);
}

TEST_F(SyncFaults, AServerErrorThenSuccessIsRetried) {
  proxy->on(once_on("/DetectedIssue?identifier", FaultServer::Reply::json(500, R"({"resourceType":"OperationOutcome"})")));
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(retries(), 1u);
  expect_no_wrong_issue(true);
}

TEST_F(SyncFaults, AConnectionResetMidBodyIsRetried) {
  proxy->on(once_on("/Observation?", FaultServer::Reply::reset_mid_body()));
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(retries(), 1u);
  expect_no_wrong_issue(true);
}

TEST_F(SyncFaults, AStallPastTheReadTimeoutIsRetried) {
  proxy->on(once_on("/Observation?", FaultServer::Reply::stall(std::chrono::milliseconds(2500))));
  auto run = sync();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_GE(retries(), 1u);
  expect_no_wrong_issue(true);
}

TEST_F(SyncFaults, AnInvalidJsonPageFailsThatPatientOnlyAndTheNextRunCompletes) {
  proxy->on(once_on("/Observation?patient=Patient%2Faw-03", FaultServer::Reply::json(200, "{\"resourceType\": \"Bundle\", \"entry\": [")));
  auto run = sync();
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("Patient/aw-03"), std::string::npos) << run.output;
  expect_no_wrong_issue(false);
  EXPECT_FALSE(client->detected_issues().contains("aw-03/itp/2022-07-18")) << "nothing from half the data";
  proxy->on(nullptr);
  ASSERT_EQ(sync().exit_code, 0);
  expect_no_wrong_issue(true);
}

TEST_F(SyncFaults, ANextLinkLoopIsAnErrorNotAnEndlessRun) {
  proxy->on([this](const FaultServer::Request& r, std::size_t) -> std::optional<FaultServer::Reply> {
    if (r.target.find("/Observation?patient=Patient%2Faw-09") == std::string::npos &&
        r.target.find("page=loop") == std::string::npos)
      return std::nullopt;
    const std::string self = proxy->base() + "/Observation?page=loop";
    return FaultServer::Reply::json(200, R"({"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":")" +
                                             self + R"("}]})");
  });
  auto run = sync();
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("paging loop"), std::string::npos) << run.output;
  expect_no_wrong_issue(false);
  EXPECT_FALSE(client->detected_issues().contains("aw-09/hlh/2022-01-10"));
}

TEST_F(SyncFaults, AnUnauthorizedServerEndsTheRunWithExitFourAndWritesNothing) {
  proxy->on([](const FaultServer::Request&, std::size_t) -> std::optional<FaultServer::Reply> {
    return FaultServer::Reply::json(401, R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"token expired"}]})");
  });
  auto run = sync();
  EXPECT_EQ(run.exit_code, 4) << run.output;
  EXPECT_NE(run.output.find("HTTP 401"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("token expired"), std::string::npos) << "the OperationOutcome is surfaced";
  EXPECT_TRUE(client->detected_issues().empty());
}

// TLS: the same sync over https, through a TLS proxy whose certificate the test CA signed.
class SyncOverTls : public SyncFaults {
 protected:
  CommandResult sync_to(const FaultProxy& tls_proxy, const std::string& host, const std::string& extra) {
    return run_alemwatch("sync --base-url " + tls_proxy.base(host) + " --config " + scratch.file("config.json") +
                         " --state " + scratch.file("state-" + std::to_string(++runs) + ".db") + " --at " + sync_time +
                         " " + extra);
  }
  int runs = 0;
};

TEST_F(SyncOverTls, WorksWithTheCaFileThatSignedTheServer) {
  FaultProxy tls_proxy(server->base_url(), tls_material().server());
  auto run = sync_to(tls_proxy, "localhost", "--ca-file " + tls_material().ca);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  expect_no_wrong_issue(true);
}

TEST_F(SyncOverTls, AnUnknownCaIsRefusedWithExitFour) {
  FaultProxy tls_proxy(server->base_url(), tls_material().server());
  auto run = sync_to(tls_proxy, "localhost", "--ca-file " + tls_material().other_ca);
  EXPECT_EQ(run.exit_code, 4) << run.output;
  EXPECT_NE(run.output.find("certificate verify failed"), std::string::npos) << run.output;
  auto system_store = sync_to(tls_proxy, "localhost", "");
  EXPECT_EQ(system_store.exit_code, 4) << "the system's CAs do not know the test CA";
  EXPECT_TRUE(client->detected_issues().empty());
}

TEST_F(SyncOverTls, AServerCertificateForAnotherHostNameIsRefusedWithExitFour) {
  FaultProxy tls_proxy(server->base_url(),
                       TlsServerConfig{tls_material().other_host_cert, tls_material().other_host_key, {}, false});
  auto run = sync_to(tls_proxy, "localhost", "--ca-file " + tls_material().ca);
  EXPECT_EQ(run.exit_code, 4) << run.output;
  EXPECT_NE(run.output.find("certificate verify failed"), std::string::npos) << run.output;
  EXPECT_TRUE(client->detected_issues().empty());
}

TEST_F(SyncOverTls, AServerRequiringAClientCertificateAdmitsOnlyTheOneItsCaSigned) {
  auto config = tls_material().server();
  config.client_ca_file = tls_material().ca;
  FaultProxy mtls(server->base_url(), config);
  auto without = sync_to(mtls, "localhost", "--ca-file " + tls_material().ca);
  EXPECT_EQ(without.exit_code, 4) << without.output;
  auto stranger = sync_to(mtls, "localhost", "--ca-file " + tls_material().ca + " --client-cert " +
                                                 tls_material().other_client_cert + " --client-key " +
                                                 tls_material().other_client_key);
  EXPECT_EQ(stranger.exit_code, 4) << stranger.output;
  auto with = sync_to(mtls, "localhost", "--ca-file " + tls_material().ca + " --client-cert " + tls_material().client_cert +
                                             " --client-key " + tls_material().client_key);
  EXPECT_EQ(with.exit_code, 0) << with.output;
  expect_no_wrong_issue(true);
}

TEST_F(SyncFaults, AnUnreachableServerEndsTheRunWithExitFour) {
  auto run = run_alemwatch("sync --base-url http://127.0.0.1:" + std::to_string(unused_port()) + "/fhir --config " +
                           scratch.file("config.json") + " --state " + scratch.file("state.db"));
  EXPECT_EQ(run.exit_code, 4) << run.output;
}

}  // namespace
}  // namespace alemwatch::testing
