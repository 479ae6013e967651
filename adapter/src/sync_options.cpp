#include "alemwatch/adapter/sync_options.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string_view>

namespace alemwatch::adapter {

boost::system::result<void, std::string> read_sync_config(const std::string& file, SyncOptions& o) {
  std::ifstream in(file);
  if (!in) return file + ": cannot open configuration file";
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  boost::system::error_code ec;
  boost::json::stream_parser parser;
  const auto consumed = parser.write_some(content.data(), content.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {  // say where: a hand-edited file is wrong at one place
    const auto before = std::string_view(content).substr(0, consumed);
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    return file + ": not valid JSON at line " + std::to_string(line) + ": " + ec.message();
  }
  auto json = parser.release();
  if (!json.is_object()) return file + ": expected a JSON object";

  using Setter = std::function<std::optional<std::string>(const boost::json::value&)>;
  const auto string_into = [](std::string& target) -> Setter {
    return [&target](const boost::json::value& v) -> std::optional<std::string> {
      if (!v.is_string()) return "expected a string";
      target = std::string(v.get_string());
      return std::nullopt;
    };
  };
  // The bounds of a key that is also a flag are the flag's (main.cpp).
  const auto int_into = [](int& target, int min, int max = 100000) -> Setter {
    return [&target, min, max](const boost::json::value& v) -> std::optional<std::string> {
      if (!v.is_int64() || v.get_int64() < min || v.get_int64() > max)
        return "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
      target = static_cast<int>(v.get_int64());
      return std::nullopt;
    };
  };
  const auto bool_into = [](bool& target) -> Setter {
    return [&target](const boost::json::value& v) -> std::optional<std::string> {
      if (!v.is_bool()) return "expected true or false";
      target = v.get_bool();
      return std::nullopt;
    };
  };
  int overlap = static_cast<int>(o.watermark_overlap.count());
  int connect = static_cast<int>(o.connect_timeout.count());
  int read = static_cast<int>(o.read_timeout.count());
  std::string at;
  const std::map<std::string, Setter> keys{
      {"base_url", string_into(o.base_url)},
      {"push_base_url", string_into(o.push_base_url)},
      {"state", string_into(o.state_file)},
      {"at", string_into(at)},
      {"bearer_token_file", string_into(o.bearer_token_file)},
      {"ca_file", string_into(o.ca_file)},
      {"mappings", string_into(o.mappings_dir)},
      {"summary_json", string_into(o.summary_json)},
      {"group", string_into(o.group)},
      {"author_device", string_into(o.author_device)},
      {"auth", [&o](const boost::json::value& v) -> std::optional<std::string> {
         if (!v.is_string() || (v.get_string() != "bearer" && v.get_string() != "smart" && v.get_string() != "client-secret"))
           return "expected \"bearer\", \"smart\" or \"client-secret\"";
         o.auth = std::string(v.get_string());
         return std::nullopt;
       }},
      {"client_id", string_into(o.client_id)},
      {"private_key", string_into(o.private_key_file)},
      {"kid", string_into(o.kid)},
      {"scope", string_into(o.scope)},
      {"token_url", string_into(o.token_url)},
      {"client_secret_file", string_into(o.client_secret_file)},
      {"client_certificate", string_into(o.client_certificate_file)},
      {"client_key", string_into(o.client_key_file)},
      {"log_format", [&o](const boost::json::value& v) -> std::optional<std::string> {
         if (!v.is_string() || (v.get_string() != "text" && v.get_string() != "json")) return "expected \"text\" or \"json\"";
         o.log_format = std::string(v.get_string());
         return std::nullopt;
       }},
      {"bulk", bool_into(o.bulk)},
      {"bulk_level", [&o](const boost::json::value& v) -> std::optional<std::string> {
         if (!v.is_string() || (v.get_string() != "patient" && v.get_string() != "system"))
           return "expected \"patient\" or \"system\"";
         o.bulk_level = std::string(v.get_string());
         return std::nullopt;
       }},
      {"bulk_type_filter", bool_into(o.bulk_type_filter)},
      {"log_phi", bool_into(o.log_phi)},
      {"quiet", bool_into(o.quiet)},
      {"require_category", bool_into(o.require_category)},
      {"dry_run", bool_into(o.dry_run)},
      {"page_size", int_into(o.page_size, 1, 1000)},
      {"concurrency", int_into(o.concurrency, 1, 64)},
      {"max_retries", int_into(o.max_retries, 0)},
      {"watermark_overlap_minutes", int_into(overlap, 0)},
      {"connect_timeout_seconds", int_into(connect, 1)},
      {"read_timeout_seconds", int_into(read, 1)},
      {"patients", [&o](const boost::json::value& v) -> std::optional<std::string> {
         if (!v.is_array()) return "expected an array of Patient ids";
         for (const auto& p : v.get_array()) {
           if (!p.is_string()) return "expected an array of Patient ids";
           o.patients.emplace_back(p.get_string());
         }
         return std::nullopt;
       }},
  };
  for (const auto& [key, value] : json.get_object()) {
    if (key.starts_with("_")) continue;  // "_comment" and the like
    auto it = keys.find(std::string(key));
    if (it == keys.end()) return file + ": unknown key '" + std::string(key) + "' (the keys are in docs/config.md)";
    if (auto error = it->second(value)) return file + ": " + std::string(key) + ": " + *error;
  }
  o.watermark_overlap = std::chrono::minutes(overlap);
  o.connect_timeout = std::chrono::seconds(connect);
  o.read_timeout = std::chrono::seconds(read);
  if (!at.empty()) o.at = at;
  return {};
}

boost::system::result<fhir::HttpClientOptions, std::string> http_client_options(const SyncOptions& o) {
  if (o.client_certificate_file.empty() != o.client_key_file.empty())
    return std::string("mutual TLS needs both --client-cert and --client-key");
  fhir::HttpClientOptions options;
  options.ca_file = o.ca_file;
  options.connect_timeout = o.connect_timeout;
  options.read_timeout = o.read_timeout;
  options.retry.max_retries = o.max_retries;
  options.user_agent = "alemwatch/" ALEMWATCH_VERSION;
  options.client_certificate_file = o.client_certificate_file;
  options.client_key_file = o.client_key_file;
  return options;
}

}  // namespace alemwatch::adapter
