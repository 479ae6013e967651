// The Bulk Data Access client (fhir/bulk_export.hpp) and the streamed download under it, against
// a scripted server in the same process (tests/support/fault_server.hpp): what the kick-off puts
// on the wire, polling paced by Retry-After (through the sleep seam, so nothing really waits
// seconds) and through 429s, manifests and each way one can be wrong, exports that fail, files
// downloaded a bounded number at a time, transfers cut off and resumed with Range requests, and
// where the bearer token goes (and does not go) when files are redirected.
#include "alemwatch/fhir/bulk_export.hpp"

#include "alemwatch/fhir/auth/access_token_source.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "fault_server.hpp"

namespace alemwatch::fhir {
namespace {

using namespace std::chrono_literals;
using alemwatch::testing::FaultServer;
using Reply = FaultServer::Reply;
using Request = FaultServer::Request;
namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::milliseconds;

HttpClientOptions fast_options() {
  HttpClientOptions options;
  options.connect_timeout = 2s;
  options.read_timeout = 2s;
  options.retry.max_retries = 2;
  options.retry.base_delay = 1ms;
  options.retry.max_delay = 50ms;  // a Retry-After the client honoured itself would not slow the tests
  options.max_connections = 8;
  return options;
}

std::string operation_outcome(const std::string& diagnostics) {
  return json::serialize(json::object{
      {"resourceType", "OperationOutcome"},
      {"issue", json::array{{{"severity", "error"}, {"code", "processing"}, {"diagnostics", diagnostics}}}}});
}

struct FileEntry {
  std::string type;
  std::string url;
};

std::string manifest_json(const std::vector<FileEntry>& output, bool requires_token,
                          const std::vector<FileEntry>& errors = {}) {
  const auto items = [](const std::vector<FileEntry>& files) {
    json::array a;
    for (const auto& f : files) a.push_back(json::object{{"type", f.type}, {"url", f.url}});
    return a;
  };
  return json::serialize(json::object{{"transactionTime", "2026-11-20T10:00:00.000Z"},
                                      {"request", "http://example.org/fhir/Patient/$export"},
                                      {"requiresAccessToken", requires_token},
                                      {"output", items(output)},
                                      {"error", items(errors)}});
}

// Deterministic bytes that are not all alike, with line breaks as NDJSON has.
std::string ndjson_content(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string s;
  s.reserve(size);
  while (s.size() < size) {
    const std::string line = R"({"resourceType":"Observation","id":")" + std::to_string(random()) + "\"}\n";
    s += line;
  }
  s.resize(size);
  return s;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// "bytes=300-" -> 300.
std::optional<std::size_t> range_start(const Request& r) {
  const std::string range = r.header("Range");
  if (range.rfind("bytes=", 0) != 0 || range.back() != '-') return std::nullopt;
  return std::stoull(range.substr(6, range.size() - 7));
}

// Serves one file's bytes: a 206 for a Range request (unless told to ignore ranges), and, for
// the i-th response when cuts[i] is given, only that many bytes of the body before hanging up.
class FileHost {
 public:
  explicit FileHost(std::string content) : content_(std::move(content)) {}

  std::vector<std::optional<std::size_t>> cuts;
  bool ignore_range = false;

  Reply answer(const Request& r) {
    std::lock_guard lock(mutex_);
    const std::size_t i = served_++;
    const auto start = ignore_range ? std::nullopt : range_start(r);
    const std::size_t from = start.value_or(0);
    const std::string body = content_.substr(from);
    std::string head = start ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(from) + "-" +
                                   std::to_string(content_.size() - 1) + "/" + std::to_string(content_.size()) + "\r\n"
                             : std::string("HTTP/1.1 200 OK\r\n");
    head += "Content-Type: application/fhir+ndjson\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    if (i < cuts.size() && cuts[i]) return Reply::raw_bytes(head + body.substr(0, *cuts[i]));
    return Reply::raw_bytes(head + body);
  }

 private:
  std::string content_;
  std::mutex mutex_;
  std::size_t served_ = 0;
};

class BulkExport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("alemwatch-bulk-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  HttpClient& http(auth::AccessTokenSource* auth = nullptr) {
    auto options = fast_options();
    options.auth = auth;
    auto created = HttpClient::create(options);
    EXPECT_TRUE(created) << created.error();
    client_ = std::move(*created);
    return *client_;
  }

  BulkExportOptions options() {
    BulkExportOptions o;
    o.sleep = [this](milliseconds d) { sleeps.push_back(d); };
    o.on_progress = [this](const BulkProgress& p) { progress.push_back(p); };
    return o;
  }

  fs::path dir;
  FaultServer server;
  std::vector<milliseconds> sleeps;
  std::vector<BulkProgress> progress;

 private:
  std::unique_ptr<HttpClient> client_;
};

// --- Kick-off -------------------------------------------------------------------------------

TEST_F(BulkExport, KickOffSendsPreferRespondAsyncAndEncodesEveryParameter) {
  server.enqueue(Reply::empty(202).with_header("Content-Location", "bulkstatus/17"));
  auth::StaticBearerToken token("s3cr3t");
  BulkExportClient bulk(http(&token), server.url("/fhir/"), options());
  BulkExportRequest request;
  request.types = {"Observation", "MedicationAdministration"};
  request.since = "2026-01-01T00:00:00+01:00";
  request.type_filters = {"Observation?code=http://loinc.org|777-3", "MedicationAdministration?status=completed"};
  auto status_url = bulk.kick_off(request);
  ASSERT_TRUE(status_url) << status_url.error().describe();
  EXPECT_EQ(*status_url, server.url("/fhir/bulkstatus/17")) << "relative to the FHIR base";

  const auto seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target,
            "/fhir/Patient/$export?_type=Observation,MedicationAdministration"
            "&_since=2026-01-01T00%3A00%3A00%2B01%3A00"
            "&_typeFilter=Observation%3Fcode%3Dhttp%3A%2F%2Floinc.org%7C777-3"
            "&_typeFilter=MedicationAdministration%3Fstatus%3Dcompleted");
  EXPECT_EQ(seen.header("Accept"), "application/fhir+json");
  EXPECT_EQ(seen.header("Prefer"), "respond-async");
  EXPECT_EQ(seen.header("Authorization"), "Bearer s3cr3t");
}

TEST_F(BulkExport, KickOffAddressesTheSystemAndAGroupAndKeepsAnAbsoluteStatusUrl) {
  server.set_handler([](const Request&) {
    return Reply::empty(202).with_header("Content-Location", "https://status.example/jobs/9");
  });
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  BulkExportRequest system;
  system.level = BulkExportLevel::system;
  auto a = bulk.kick_off(system);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(*a, "https://status.example/jobs/9");
  BulkExportRequest group;
  group.level = BulkExportLevel::group;
  group.group_id = "ms clinic";
  ASSERT_TRUE(bulk.kick_off(group));
  EXPECT_EQ(server.requests().at(0).target, "/fhir/$export");
  EXPECT_EQ(server.requests().at(1).target, "/fhir/Group/ms%20clinic/$export");

  group.group_id.clear();
  auto refused = bulk.kick_off(group);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("group id"), std::string::npos);
  EXPECT_EQ(server.request_count(), 2u) << "nothing sent for a group without an id";
}

TEST_F(BulkExport, AKickOffRefusedQuotesTheOperationOutcomeAndMayBeATypeFilterRefusal) {
  server.enqueue(Reply::json(400, operation_outcome("_typeFilter is not supported")));
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  BulkExportRequest request;
  request.type_filters = {"Observation?code=777-3"};
  auto refused = bulk.kick_off(request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, FhirError::Kind::status);
  EXPECT_EQ(refused.error().status, 400u);
  EXPECT_NE(refused.error().describe().find("error: _typeFilter is not supported"), std::string::npos)
      << refused.error().describe();
  EXPECT_TRUE(may_be_type_filter_refusal(refused.error(), request));

  BulkExportRequest without_filters;
  EXPECT_FALSE(may_be_type_filter_refusal(refused.error(), without_filters)) << "no filter to blame";
  FhirError unauthorized = refused.error();
  unauthorized.status = 401;
  EXPECT_FALSE(may_be_type_filter_refusal(unauthorized, request));
}

TEST_F(BulkExport, AnAcceptedKickOffWithoutAStatusUrlIsAnInvalidResponse) {
  server.enqueue(Reply::empty(202));
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto status = bulk.kick_off({});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind, FhirError::Kind::invalid_response);
  EXPECT_NE(status.error().detail.find("Content-Location"), std::string::npos);
}

// --- Polling --------------------------------------------------------------------------------

TEST_F(BulkExport, PollsAsRetryAfterSaysWithinItsBoundsAndReportsXProgress) {
  server.enqueue(Reply::empty(202).with_header("Retry-After", "5").with_header("X-Progress", "10% done"));
  server.enqueue(Reply::empty(202).with_header("X-Progress", "resources: 5000"));  // no Retry-After
  server.enqueue(Reply::empty(202).with_header("Retry-After", "600"));             // beyond the maximum
  server.enqueue(Reply::empty(202).with_header("Retry-After", "0"));               // below one second
  server.enqueue(Reply::empty(202).with_header("Retry-After", "soon"));            // not a Retry-After
  server.enqueue(Reply::json(200, manifest_json({{"Observation", "http://files.example/1"}}, false)));
  auto o = options();
  o.default_poll_interval = 3s;
  o.max_poll_interval = 60s;
  BulkExportClient bulk(http(), server.url("/fhir"), o);
  auto manifest = bulk.wait_for_manifest(server.url("/fhir/bulkstatus/1"));
  ASSERT_TRUE(manifest) << manifest.error().describe();
  EXPECT_EQ(manifest->output.size(), 1u);
  EXPECT_EQ(sleeps, (std::vector<milliseconds>{5s, 3s, 60s, 1s, 3s}));
  EXPECT_EQ(server.request_count(), 6u);
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.target, "/fhir/bulkstatus/1");
    EXPECT_EQ(r.header("Accept"), "application/fhir+json");
  }
  ASSERT_GE(progress.size(), 2u);
  EXPECT_EQ(progress[0].phase, BulkProgress::Phase::polling);
  EXPECT_EQ(progress[0].server_progress, "10% done");
  EXPECT_EQ(progress[1].server_progress, "resources: 5000");
  EXPECT_EQ(progress[1].waited, 5s) << "the time slept so far";
}

TEST_F(BulkExport, KeepsPollingThroughTooManyRequestsWaitingAsLongAsTheServerAsks) {
  server.enqueue(Reply::empty(202));
  server.enqueue(Reply::json(429, operation_outcome("slow down")).with_header("Retry-After", "120"));
  server.enqueue(Reply::json(429, operation_outcome("slow down")));
  server.enqueue(Reply::json(200, manifest_json({}, false)));
  auto o = options();
  o.default_poll_interval = 2s;
  BulkExportClient bulk(http(), server.url("/fhir"), o);
  auto manifest = bulk.wait_for_manifest(server.url("/fhir/bulkstatus/1"));
  ASSERT_TRUE(manifest) << manifest.error().describe();
  EXPECT_EQ(server.request_count(), 4u) << "the HTTP client did not retry the 429s on its own";
  // 120 s honoured in full although beyond max_poll_interval; without a Retry-After, twice the
  // default.
  EXPECT_EQ(sleeps, (std::vector<milliseconds>{2s, 120s, 4s}));
}

TEST_F(BulkExport, GivesUpWaitingAfterMaxWait) {
  server.set_handler([](const Request&) {
    return Reply::empty(202).with_header("Retry-After", "4").with_header("X-Progress", "still going");
  });
  auto o = options();
  o.max_wait = 10s;
  BulkExportClient bulk(http(), server.url("/fhir"), o);
  auto manifest = bulk.wait_for_manifest(server.url("/fhir/bulkstatus/1"));
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().transport, HttpError::timeout);
  EXPECT_NE(manifest.error().detail.find("not complete after 10 s (last progress: still going)"), std::string::npos)
      << manifest.error().detail;
  EXPECT_EQ(sleeps, (std::vector<milliseconds>{4s, 4s, 2s})) << "the last wait only up to the limit";
  EXPECT_EQ(server.request_count(), 4u);
}

TEST_F(BulkExport, AFailedExportQuotesItsOperationOutcome) {
  server.enqueue(Reply::empty(202));
  server.set_handler([](const Request&) { return Reply::json(500, operation_outcome("export job 7 ran out of disk")); });
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto manifest = bulk.wait_for_manifest(server.url("/fhir/bulkstatus/7"));
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().kind, FhirError::Kind::status);
  EXPECT_EQ(manifest.error().status, 500u);
  EXPECT_EQ(manifest.error().describe(), "GET " + server.url("/fhir/bulkstatus/7") +
                                             ": HTTP 500: the export failed: error: export job 7 ran out of disk");
}

TEST_F(BulkExport, AnExpiredJobIsAnErrorToo) {
  server.enqueue(Reply::json(404, operation_outcome("no such job")));
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto manifest = bulk.wait_for_manifest(server.url("/fhir/bulkstatus/7"));
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().status, 404u);
  EXPECT_NE(manifest.error().detail.find("no such job"), std::string::npos);
}

// --- The manifest ---------------------------------------------------------------------------

TEST(BulkManifest, ReadsEveryField) {
  auto m = parse_bulk_manifest(R"({
    "transactionTime": "2026-11-20T10:00:00.123+01:00", "request": "https://ehr/fhir/Patient/$export",
    "requiresAccessToken": true,
    "output": [{"type": "Observation", "url": "https://files/o1", "count": 1200},
               {"type": "Patient", "url": "http://files:8080/p1"}],
    "error": [{"type": "OperationOutcome", "url": "https://files/e1"}],
    "deleted": [{"type": "Bundle", "url": "https://files/d1"}],
    "extension": {"https://example/x": 1}})");
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->transaction_time, "2026-11-20T10:00:00.123+01:00");
  EXPECT_EQ(m->request, "https://ehr/fhir/Patient/$export");
  EXPECT_TRUE(m->requires_access_token);
  ASSERT_EQ(m->output.size(), 2u);
  EXPECT_EQ(m->output[0].type, "Observation");
  EXPECT_EQ(m->output[0].url, "https://files/o1");
  EXPECT_EQ(m->output[0].count, 1200u);
  EXPECT_EQ(m->output[1].count, std::nullopt);
  ASSERT_EQ(m->error.size(), 1u);
  EXPECT_EQ(m->error[0].type, "OperationOutcome");
  ASSERT_EQ(m->deleted.size(), 1u);

  auto minimal = parse_bulk_manifest(R"({"transactionTime": "2026-11-20T10:00:00Z", "output": []})");
  ASSERT_TRUE(minimal) << minimal.error();
  EXPECT_FALSE(minimal->requires_access_token);
  EXPECT_TRUE(minimal->error.empty());
}

TEST(BulkManifest, NamesTheFieldThatIsWrong) {
  const std::string time = R"("transactionTime": "2026-11-20T10:00:00Z")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1, 2]", "not a JSON object"},
      {"{\"transactionTime\"", "not valid JSON: incomplete JSON"},
      {R"({"output": []})", "transactionTime: missing or not a string"},
      {R"({"transactionTime": 1700000000, "output": []})", "transactionTime: missing or not a string"},
      {R"({"transactionTime": "yesterday", "output": []})", "transactionTime: \"yesterday\" is not a FHIR instant"},
      {R"({"transactionTime": "2026-11-20", "output": []})", "transactionTime: \"2026-11-20\" is not a FHIR instant"},
      {"{" + time + "}", "output: missing"},
      {"{" + time + R"(, "output": {}})", "output: not an array"},
      {"{" + time + R"(, "output": [3]})", "output[0]: is not an object"},
      {"{" + time + R"(, "output": [{"type": "Patient", "url": "https://f/1"}, {"url": "https://f/2"}]})",
       "output[1].type: missing or not a string"},
      {"{" + time + R"(, "output": [{"type": "../../etc/passwd", "url": "https://f/1"}]})",
       "output[0].type: \"../../etc/passwd\" is not a resource type name"},
      {"{" + time + R"(, "output": [{"type": "Patient"}]})", "output[0].url: missing or not a string"},
      {"{" + time + R"(, "output": [{"type": "Patient", "url": "files/1.ndjson"}]})",
       "output[0].url: \"files/1.ndjson\" is not an absolute http(s) URL"},
      {"{" + time + R"(, "output": [{"type": "Patient", "url": "ftp://f/1"}]})",
       "output[0].url: \"ftp://f/1\" is not an absolute http(s) URL"},
      {"{" + time + R"(, "output": [{"type": "Patient", "url": "https://f/1", "count": -1}]})",
       "output[0].count: not a non-negative integer"},
      {"{" + time + R"(, "output": [{"type": "Patient", "url": "https://f/1", "count": "12"}]})",
       "output[0].count: not a non-negative integer"},
      {"{" + time + R"(, "output": [], "error": [{"type": "OperationOutcome"}]})", "error[0].url: missing or not a string"},
      {"{" + time + R"(, "output": [], "error": "none"})", "error: not an array"},
      {"{" + time + R"(, "output": [], "requiresAccessToken": "yes"})", "requiresAccessToken: not a boolean"},
      {"{" + time + R"(, "output": [], "request": 5})", "request: not a string"},
  };
  for (const auto& [body, expected] : cases) {
    auto m = parse_bulk_manifest(body);
    ASSERT_FALSE(m) << body;
    EXPECT_EQ(m.error(), expected) << body;
  }
}

TEST(BulkManifest, NeverQuotesTheQueryOfAFileUrl) {
  auto m = parse_bulk_manifest(
      R"({"transactionTime": "2026-11-20T10:00:00Z",
          "output": [{"type": "Patient", "url": "s3://bucket/p1?X-Amz-Signature=TOPSECRET"}]})");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error(), "output[0].url: \"s3://bucket/p1\" is not an absolute http(s) URL");
}

TEST_F(BulkExport, AnInvalidManifestIsAnInvalidResponseNamingTheField) {
  server.enqueue(Reply::json(200, R"({"transactionTime": "2026-11-20T10:00:00Z", "output": [{"type": "Patient"}]})"));
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto manifest = bulk.wait_for_manifest(server.url("/fhir/bulkstatus/1"));
  ASSERT_FALSE(manifest);
  EXPECT_EQ(manifest.error().kind, FhirError::Kind::invalid_response);
  EXPECT_EQ(manifest.error().detail, "the export's manifest: output[0].url: missing or not a string");
}

// --- Downloads ------------------------------------------------------------------------------

TEST_F(BulkExport, DownloadsEveryFileUnderAReadableUniqueNameAtMostTheConfiguredNumberAtOnce) {
  for (std::size_t concurrency : {2u, 3u}) {
    FaultServer files;
    files.set_handler([](const Request& r) {
      Reply reply = Reply::empty(200).after(150ms);
      reply.body = "{\"from\":\"" + r.target + "\"}\n";
      return reply;
    });
    std::vector<FileEntry> output;
    for (int i = 1; i <= 4; ++i) output.push_back({"Observation", files.url("/o/" + std::to_string(i))});
    output.push_back({"Patient", files.url("/p/1")});
    auto manifest = parse_bulk_manifest(manifest_json(output, false, {{"OperationOutcome", files.url("/e/1")}}));
    ASSERT_TRUE(manifest) << manifest.error();
    auto o = options();
    o.download_concurrency = concurrency;
    BulkExportClient bulk(http(), server.url("/fhir"), o);
    const auto target = dir / std::to_string(concurrency);
    auto downloaded = bulk.download(*manifest, target);
    ASSERT_TRUE(downloaded) << downloaded.error().describe();
    EXPECT_EQ(files.peak_requests_in_flight(), concurrency) << "measured on the server";
    EXPECT_EQ(files.request_count(), 6u);

    const std::vector<std::pair<std::string, std::string>> expected = {
        {"Observation-001.ndjson", "/o/1"}, {"Observation-002.ndjson", "/o/2"}, {"Observation-003.ndjson", "/o/3"},
        {"Observation-004.ndjson", "/o/4"}, {"Patient-001.ndjson", "/p/1"},     {"error-001.ndjson", "/e/1"}};
    ASSERT_EQ(downloaded->size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& d = (*downloaded)[i];
      EXPECT_EQ(d.path, target / expected[i].first);
      const std::string content = "{\"from\":\"" + expected[i].second + "\"}\n";
      EXPECT_EQ(read_file(d.path), content);
      EXPECT_EQ(d.bytes, content.size());
      EXPECT_EQ(d.resumes, 0);
    }
    for (const auto& r : files.requests()) EXPECT_EQ(r.header("Accept"), "application/fhir+ndjson");
  }
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().phase, BulkProgress::Phase::downloading);
  EXPECT_EQ(progress.back().files_done, 6u);
  EXPECT_EQ(progress.back().files_total, 6u);
}

TEST_F(BulkExport, ResumesABodyCutOffMidFileWithARangeRequest) {
  const std::string content = ndjson_content(300'000, 1);
  auto host = std::make_shared<FileHost>(content);
  host->cuts = {100'000, 70'000};  // two cuts, then the rest
  server.set_handler([host](const Request& r) { return host->answer(r); });
  auto manifest = parse_bulk_manifest(manifest_json({{"Observation", server.url("/files/o1")}}, false));
  ASSERT_TRUE(manifest);
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_TRUE(downloaded) << downloaded.error().describe();
  ASSERT_EQ(downloaded->size(), 1u);
  EXPECT_EQ(downloaded->at(0).resumes, 2);
  EXPECT_EQ(downloaded->at(0).bytes, content.size());
  EXPECT_TRUE(read_file(dir / "Observation-001.ndjson") == content) << "byte-identical";
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[0].has_header("Range"));
  EXPECT_EQ(requests[1].header("Range"), "bytes=100000-");
  EXPECT_EQ(requests[2].header("Range"), "bytes=170000-");
}

TEST_F(BulkExport, StartsTheFileOverWhenARangeRequestIsAnsweredWithTheWholeFile) {
  const std::string content = ndjson_content(200'000, 2);
  auto host = std::make_shared<FileHost>(content);
  host->cuts = {120'000};
  host->ignore_range = true;
  server.set_handler([host](const Request& r) { return host->answer(r); });
  auto manifest = parse_bulk_manifest(manifest_json({{"Patient", server.url("/files/p1")}}, false));
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_TRUE(downloaded) << downloaded.error().describe();
  EXPECT_EQ(downloaded->at(0).resumes, 1);
  EXPECT_EQ(server.requests().at(1).header("Range"), "bytes=120000-");
  EXPECT_EQ(fs::file_size(dir / "Patient-001.ndjson"), content.size()) << "truncated, not appended";
  EXPECT_TRUE(read_file(dir / "Patient-001.ndjson") == content);
}

TEST_F(BulkExport, StartsTheFileOverWhenA206ContinuesFromTheWrongPlace) {
  const std::string content = ndjson_content(50'000, 3);
  int served = 0;
  server.set_handler([&](const Request&) {
    ++served;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(content.size()) + "\r\n\r\n";
    if (served == 1) return Reply::raw_bytes(head + content.substr(0, 20'000));
    if (served == 2)  // asked for 20000-, answers from 10000
      return Reply::raw_bytes("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10000-49999/50000\r\nContent-Length: 40000\r\n\r\n" +
                              content.substr(10'000));
    return Reply::raw_bytes(head + content);
  });
  auto manifest = parse_bulk_manifest(manifest_json({{"Patient", server.url("/files/p1")}}, false));
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_TRUE(downloaded) << downloaded.error().describe();
  EXPECT_EQ(downloaded->at(0).resumes, 2);
  EXPECT_FALSE(server.requests().at(2).has_header("Range"));
  EXPECT_TRUE(read_file(dir / "Patient-001.ndjson") == content);
}

TEST_F(BulkExport, GivesUpOnAFileCutOffTooOftenAndNamesIt) {
  const std::string content = ndjson_content(100'000, 4);
  auto host = std::make_shared<FileHost>(content);
  host->cuts = {10'000, 10'000, 10'000, 10'000, 10'000, 10'000};
  server.set_handler([host](const Request& r) { return host->answer(r); });
  auto manifest = parse_bulk_manifest(
      manifest_json({{"Observation", server.url("/files/o1?X-Amz-Signature=TOPSECRET")}}, false));
  auto o = options();
  o.max_resumes = 2;
  BulkExportClient bulk(http(), server.url("/fhir"), o);
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_FALSE(downloaded);
  const std::string text = downloaded.error().describe();
  EXPECT_EQ(text, "GET " + server.url("/files/o1") + ": " + make_error_code(HttpError::connection_reset).message() +
                      ": Observation-001.ndjson: the transfer broke 3 times, giving up (at most 2 resumes)");
  EXPECT_EQ(text.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(server.requests().at(2).header("Range"), "bytes=20000-");
}

TEST_F(BulkExport, AFileThatCannotBeHadStopsTheOthersFromStarting) {
  server.set_handler([](const Request& r) {
    if (r.target == "/files/2") return Reply::json(403, operation_outcome("not yours"));
    return Reply::empty(200).after(100ms);
  });
  std::vector<FileEntry> output;
  for (int i = 1; i <= 6; ++i) output.push_back({"Observation", server.url("/files/" + std::to_string(i))});
  auto manifest = parse_bulk_manifest(manifest_json(output, false));
  auto o = options();
  o.download_concurrency = 1;
  BulkExportClient bulk(http(), server.url("/fhir"), o);
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_FALSE(downloaded);
  EXPECT_EQ(downloaded.error().status, 403u);
  EXPECT_EQ(downloaded.error().detail, "Observation-002.ndjson: error: not yours");
  EXPECT_EQ(server.request_count(), 2u);
}

// --- The token ------------------------------------------------------------------------------

TEST_F(BulkExport, SendsTheTokenWithFilesOnlyWhenTheManifestRequiresIt) {
  server.set_handler([](const Request&) { return Reply::empty(200); });
  auth::StaticBearerToken token("s3cr3t");
  BulkExportClient bulk(http(&token), server.url("/fhir"), options());
  for (bool required : {false, true}) {
    auto manifest = parse_bulk_manifest(manifest_json({{"Patient", server.url("/files/p1")}}, required));
    ASSERT_TRUE(bulk.download(*manifest, dir));
    const auto seen = server.requests().back();
    if (required)
      EXPECT_EQ(seen.header("Authorization"), "Bearer s3cr3t");
    else
      EXPECT_FALSE(seen.has_header("Authorization"));
  }
}

TEST_F(BulkExport, FollowsARedirectToAnotherOriginWithoutTheToken) {
  FaultServer storage;
  storage.set_handler([](const Request&) {
    Reply r = Reply::empty(200);
    r.body = "{\"resourceType\":\"Patient\"}\n";
    return r;
  });
  // One file goes to another port, one to the same port under another host name.
  server.set_handler([&storage, this](const Request& r) {
    if (r.target == "/files/1") return Reply::empty(302).with_header("Location", storage.url("/blob/1?sig=abc"));
    if (r.target == "/files/2") return Reply::empty(307).with_header("Location", server.url("/blob/2", "localhost"));
    Reply ok = Reply::empty(200);
    ok.body = "{\"resourceType\":\"Patient\"}\n";
    return ok;
  });
  auth::StaticBearerToken token("s3cr3t");
  auto manifest = parse_bulk_manifest(
      manifest_json({{"Patient", server.url("/files/1")}, {"Patient", server.url("/files/2")}}, true));
  BulkExportClient bulk(http(&token), server.url("/fhir"), options());
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_TRUE(downloaded) << downloaded.error().describe();
  EXPECT_EQ(read_file(dir / "Patient-001.ndjson"), "{\"resourceType\":\"Patient\"}\n");
  EXPECT_EQ(read_file(dir / "Patient-002.ndjson"), "{\"resourceType\":\"Patient\"}\n");
  ASSERT_EQ(storage.request_count(), 1u);
  EXPECT_EQ(storage.requests()[0].target, "/blob/1?sig=abc");
  EXPECT_FALSE(storage.requests()[0].has_header("Authorization"));
  for (const auto& r : server.requests()) {
    if (r.target.starts_with("/files/"))
      EXPECT_EQ(r.header("Authorization"), "Bearer s3cr3t") << r.target;
    else
      EXPECT_FALSE(r.has_header("Authorization")) << r.target << " via " << r.header("Host");
  }
}

TEST_F(BulkExport, FollowsARedirectOnTheSameOriginWithTheToken) {
  server.set_handler([](const Request& r) {
    if (r.target == "/files/1") return Reply::empty(301).with_header("Location", "/blob/1");
    if (r.target == "/blob/1") return Reply::empty(303).with_header("Location", "../blob/final");
    Reply ok = Reply::empty(200);
    ok.body = "{}\n";
    return ok;
  });
  auth::StaticBearerToken token("s3cr3t");
  auto manifest = parse_bulk_manifest(manifest_json({{"Patient", server.url("/files/1")}}, true));
  BulkExportClient bulk(http(&token), server.url("/fhir"), options());
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_TRUE(downloaded) << downloaded.error().describe();
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].target, "/blob/final");
  for (const auto& r : requests) EXPECT_EQ(r.header("Authorization"), "Bearer s3cr3t") << r.target;
}

TEST_F(BulkExport, StopsFollowingRedirectsAfterFive) {
  server.set_handler([](const Request& r) {
    return Reply::empty(302).with_header("Location", r.target + "x");
  });
  auto manifest = parse_bulk_manifest(manifest_json({{"Patient", server.url("/files/1")}}, false));
  BulkExportClient bulk(http(), server.url("/fhir"), options());
  auto downloaded = bulk.download(*manifest, dir);
  ASSERT_FALSE(downloaded);
  EXPECT_EQ(downloaded.error().detail, "Patient-001.ndjson: more than 5 redirects");
  EXPECT_EQ(server.request_count(), 6u);
}

// --- Deleting the job -----------------------------------------------------------------------

TEST_F(BulkExport, RemoveSendsADeleteToTheStatusUrl) {
  server.enqueue(Reply::empty(202));
  server.enqueue(Reply::json(404, operation_outcome("gone already")));
  server.enqueue(Reply::json(400, operation_outcome("cannot cancel")));
  auth::StaticBearerToken token("s3cr3t");
  BulkExportClient bulk(http(&token), server.url("/fhir"), options());
  EXPECT_TRUE(bulk.remove(server.url("/fhir/bulkstatus/3")));
  EXPECT_TRUE(bulk.remove(server.url("/fhir/bulkstatus/3"))) << "404: nothing left to delete";
  auto refused = bulk.remove(server.url("/fhir/bulkstatus/3"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().detail.find("cannot cancel"), std::string::npos);
  const auto seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "DELETE");
  EXPECT_EQ(seen.target, "/fhir/bulkstatus/3");
  EXPECT_EQ(seen.header("Authorization"), "Bearer s3cr3t");
}

// --- The streamed download under it -----------------------------------------------------------

class HttpClientDownload : public BulkExport {};

TEST_F(HttpClientDownload, StreamsABodyFarLargerThanTheResponseLimitToTheFile) {
  const std::string content = ndjson_content(3 << 20, 5);
  server.enqueue(Reply::raw_bytes("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(content.size()) + "\r\n\r\n" + content));
  auto options = fast_options();
  options.max_response_bytes = 1000;
  auto client = HttpClient::create(options);
  ASSERT_TRUE(client);
  fs::create_directories(dir);
  std::size_t pieces = 0, largest = 0;
  HttpRequest request;
  request.url = server.url("/big");
  auto got = (*client)->download(request, dir / "big", 0, [&](std::size_t n) {
    ++pieces;
    largest = std::max(largest, n);
  });
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(got->written);
  EXPECT_EQ(got->file_size, content.size());
  EXPECT_TRUE(got->response.body.empty());
  EXPECT_TRUE(read_file(dir / "big") == content);
  EXPECT_GT(pieces, 1u);
  EXPECT_LE(largest, 64u * 1024) << "written in bounded pieces";
}

TEST_F(HttpClientDownload, KeepsAnErrorBodyInMemoryAndLeavesTheFileAlone) {
  server.enqueue(Reply::json(404, operation_outcome("no such file")));
  fs::create_directories(dir);
  std::ofstream(dir / "f") << "earlier bytes";
  HttpRequest request;
  request.url = server.url("/f");
  auto got = http().download(request, dir / "f", 13);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_FALSE(got->written);
  EXPECT_EQ(got->response.status, 404u);
  EXPECT_NE(got->response.body.find("no such file"), std::string::npos);
  EXPECT_EQ(read_file(dir / "f"), "earlier bytes");
  EXPECT_EQ(server.requests().at(0).header("Range"), "bytes=13-");
}

TEST_F(HttpClientDownload, SendsNoAuthorizationWhenTheRequestSaysNot) {
  server.set_handler([](const Request&) { return Reply::empty(401); });
  auth::StaticBearerToken token("s3cr3t");
  HttpRequest request;
  request.url = server.url("/f");
  request.authorize = false;
  auto& client = http(&token);
  auto sent = client.send(request);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status, 401u);
  EXPECT_EQ(server.request_count(), 1u) << "no token to refresh";
  EXPECT_FALSE(server.requests().at(0).has_header("Authorization"));
}

TEST_F(HttpClientDownload, RetriesA503BeforeTheBodyButNotATransferCutOffMidBody) {
  const std::string content = ndjson_content(10'000, 6);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(content.size()) + "\r\n\r\n";
  server.enqueue(Reply::json(503, "{}"));
  server.enqueue(Reply::raw_bytes(head + content.substr(0, 4000)));
  server.enqueue(Reply::raw_bytes(head + content));
  fs::create_directories(dir);
  HttpRequest request;
  request.url = server.url("/f");
  auto got = http().download(request, dir / "f");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), HttpError::connection_reset);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(read_file(dir / "f"), content.substr(0, 4000)) << "what arrived is kept, to resume from";
}

}  // namespace
}  // namespace alemwatch::fhir
