// The sync configuration file (docs/config.md): the shipped example is read and sets what it
// names; the example, the documentation and the reader know the same keys; every way of getting a
// key wrong is an error naming the file and the key.
#include "alemwatch/adapter/sync_options.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;

const fs::path source_dir = ALEMWATCH_SOURCE_DIR;
const fs::path example_file = source_dir / "samples" / "alemwatch.example.json";

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The keys of docs/config.md: the first cell of each table row, "| `key` | ...".
std::set<std::string> documented_keys() {
  const std::string text = read_text(source_dir / "docs" / "config.md");
  static const std::regex row(R"(^\| `([a-z_]+)` \|)", std::regex::multiline);
  std::set<std::string> keys;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), row); it != std::sregex_iterator(); ++it)
    keys.insert((*it)[1]);
  return keys;
}

// The keys of the example file, comments ("_...") left out.
std::set<std::string> example_keys() {
  const auto example = boost::json::parse(read_text(example_file));
  std::set<std::string> keys;
  for (const auto& [key, value] : example.as_object())
    if (!key.starts_with("_")) keys.insert(std::string(key));
  return keys;
}

// The keys read_sync_config's table names in its source: `{"key", setter}` entries. Reading the
// source is the only way to learn of a key that was added without being documented; the probe
// test below checks the other direction through the reader itself.
std::set<std::string> keys_in_reader_source() {
  const std::string text = read_text(source_dir / "adapter" / "src" / "sync_options.cpp");
  static const std::regex entry(R"re(\{"([a-z_]+)", )re");
  std::set<std::string> keys;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it)
    keys.insert((*it)[1]);
  return keys;
}

// A fresh directory per test for the configuration files it writes.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("alemwatch-config-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  // Writes `text` to a file and reads it; returns the error, or "" when it was accepted.
  std::string read_error(const std::string& text, SyncOptions& options) {
    file = (dir / "alemwatch.json").string();
    std::ofstream(file) << text;
    auto read = read_sync_config(file, options);
    return read ? std::string() : read.error();
  }
  std::string read_error(const std::string& text) {
    SyncOptions options;
    return read_error(text, options);
  }

  fs::path dir;
  std::string file;
};

TEST_F(ConfigFile, TheExampleIsReadAndSetsWhatItNames) {
  SyncOptions o;
  auto read = read_sync_config(example_file.string(), o);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(o.base_url, "https://ehr.example.org/fhir/r4");
  EXPECT_EQ(o.push_base_url, "https://ehr.example.org/fhir/r4");
  EXPECT_TRUE(o.require_category);
  EXPECT_EQ(o.author_device, "Device/alemwatch");
  EXPECT_EQ(o.state_file, "/var/lib/alemwatch/alemwatch.db");
  EXPECT_EQ(o.summary_json, "/var/lib/alemwatch/last-run-summary.json");
  EXPECT_EQ(o.mappings_dir, "/usr/local/share/alemwatch/mappings");
  EXPECT_FALSE(o.dry_run);
  EXPECT_FALSE(o.at.has_value()) << "an empty \"at\" means the time of the run";
  EXPECT_TRUE(o.patients.empty());
  EXPECT_EQ(o.group, "ms-alemtuzumab-cohort");
  EXPECT_FALSE(o.bulk);
  EXPECT_EQ(o.bulk_level, "patient");
  EXPECT_TRUE(o.bulk_type_filter);
  EXPECT_EQ(o.auth, "smart");
  EXPECT_EQ(o.client_id, "7d2c9e1a-alemwatch");
  EXPECT_EQ(o.private_key_file, "/etc/alemwatch/keys/private.pem");
  EXPECT_EQ(o.kid, "alemwatch-2026-01");
  EXPECT_NE(o.scope.find("system/DetectedIssue.write"), std::string::npos) << o.scope;
  EXPECT_EQ(o.token_url, "https://ehr.example.org/oauth2/token");
  EXPECT_EQ(o.bearer_token_file, "/etc/alemwatch/token");
  EXPECT_EQ(o.client_secret_file, "/etc/alemwatch/client-secret");
  EXPECT_EQ(o.ca_file, "/etc/alemwatch/hospital-ca.pem");
  EXPECT_EQ(o.client_certificate_file, "/etc/alemwatch/tls/client.pem");
  EXPECT_EQ(o.client_key_file, "/etc/alemwatch/tls/client.key");
  EXPECT_EQ(o.log_format, "json");
  EXPECT_FALSE(o.log_phi);
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.concurrency, 6);
  EXPECT_EQ(o.page_size, 100);
  EXPECT_EQ(o.max_retries, 6);
  EXPECT_EQ(o.watermark_overlap, std::chrono::minutes(10));
  EXPECT_EQ(o.connect_timeout, std::chrono::seconds(15));
  EXPECT_EQ(o.read_timeout, std::chrono::seconds(120));
}

TEST_F(ConfigFile, TheExampleUsesEveryDocumentedKeyAndNoOther) {
  const auto documented = documented_keys();
  ASSERT_GE(documented.size(), 30u) << "docs/config.md's tables were not found";
  EXPECT_EQ(example_keys(), documented);
}

TEST_F(ConfigFile, EveryKeyTheReaderAcceptsIsDocumented) {
  const auto in_source = keys_in_reader_source();
  ASSERT_GE(in_source.size(), 30u) << "the key table of sync_options.cpp was not found: update this test's pattern";
  EXPECT_EQ(in_source, documented_keys());
}

// The reader knows every documented key: given a value of the wrong type (an object suits no key),
// each is an error about its value, not an unknown key.
TEST_F(ConfigFile, EveryDocumentedKeyIsAKeyTheReaderKnows) {
  for (const auto& key : documented_keys()) {
    const auto error = read_error(R"({")" + key + R"(": {"wrong": "type"}})");
    EXPECT_NE(error, "") << key << ": an object was accepted";
    EXPECT_EQ(error.find("unknown key"), std::string::npos) << key << ": " << error;
    EXPECT_NE(error.find(file + ": " + key + ": expected"), std::string::npos) << key << ": " << error;
  }
  EXPECT_NE(read_error(R"({"no_such_key": 1})").find("unknown key 'no_such_key'"), std::string::npos)
      << "the probe can tell an unknown key";
}

TEST_F(ConfigFile, AnUnknownKeyIsAnErrorNamingTheKeyAndTheFile) {
  SyncOptions o;
  const auto error = read_error(R"({"base_url": "https://ehr.example.org/fhir", "page_sise": 100})", o);
  EXPECT_NE(error.find(file), std::string::npos) << error;
  EXPECT_NE(error.find("unknown key 'page_sise'"), std::string::npos) << error;
  EXPECT_NE(error.find("docs/config.md"), std::string::npos) << error;
}

TEST_F(ConfigFile, AMalformedValueIsAnErrorNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"page_size": "200"})", "page_size: expected a whole number from 1 to 1000"},
      {R"({"page_size": 0})", "page_size: expected a whole number from 1 to 1000"},
      {R"({"page_size": 5000})", "page_size: expected a whole number from 1 to 1000"},
      {R"({"concurrency": 65})", "concurrency: expected a whole number from 1 to 64"},
      {R"({"max_retries": -1})", "max_retries: expected a whole number from 0"},
      {R"({"read_timeout_seconds": 1.5})", "read_timeout_seconds: expected a whole number"},
      {R"({"connect_timeout_seconds": 0})", "connect_timeout_seconds: expected a whole number from 1"},
      {R"({"log_format": "xml"})", R"(log_format: expected "text" or "json")"},
      {R"({"auth": "oauth"})", R"(auth: expected "bearer", "smart" or "client-secret")"},
      {R"({"bulk_level": "group"})", R"(bulk_level: expected "patient" or "system")"},
      {R"({"dry_run": "yes"})", "dry_run: expected true or false"},
      {R"({"quiet": 1})", "quiet: expected true or false"},
      {R"({"patients": "aw-01"})", "patients: expected an array of Patient ids"},
      {R"({"patients": ["aw-01", 2]})", "patients: expected an array of Patient ids"},
      {R"({"base_url": null})", "base_url: expected a string"},
      {R"({"bearer_token_file": ["token"]})", "bearer_token_file: expected a string"},
  };
  for (const auto& [text, expected] : cases) {
    const auto error = read_error(text);
    EXPECT_NE(error.find(file + ": " + expected), std::string::npos) << text << "\n  gave: " << error;
  }
}

TEST_F(ConfigFile, InvalidJsonIsAnErrorNamingTheFileAndTheLine) {
  const auto trailing_comma = read_error("{\n  \"base_url\": \"https://ehr.example.org/fhir\",\n}\n");
  EXPECT_NE(trailing_comma.find(file + ": not valid JSON at line 3"), std::string::npos) << trailing_comma;
  const auto truncated = read_error("{\n  \"base_url\": \"https://ehr");
  EXPECT_NE(truncated.find(file + ": not valid JSON at line 2"), std::string::npos) << truncated;
  EXPECT_NE(read_error("[\"base_url\"]").find(file + ": expected a JSON object"), std::string::npos);
  SyncOptions o;
  auto missing = read_sync_config((dir / "absent.json").string(), o);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find((dir / "absent.json").string() + ": cannot open"), std::string::npos) << missing.error();
}

TEST_F(ConfigFile, CommentKeysAreIgnoredWhateverTheirValue) {
  SyncOptions o;
  EXPECT_EQ(read_error(R"({"_comment": "x", "_comment_auth": {"any": [1, 2]}, "_": 3, "page_size": 50})", o), "");
  EXPECT_EQ(o.page_size, 50);
}

TEST_F(ConfigFile, OnlyTheKeysPresentChangeAnything) {
  SyncOptions o;
  o.base_url = "https://from-a-flag.example/fhir";
  ASSERT_EQ(read_error(R"({"concurrency": 8})", o), "");
  EXPECT_EQ(o.base_url, "https://from-a-flag.example/fhir");
  EXPECT_EQ(o.concurrency, 8);
  const SyncOptions defaults;
  EXPECT_EQ(o.page_size, defaults.page_size);
  EXPECT_EQ(o.state_file, defaults.state_file);
  EXPECT_EQ(o.read_timeout, defaults.read_timeout);
}

}  // namespace
}  // namespace alemwatch::adapter
