#include "alemwatch/fhir/resource_reader.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <fstream>
#include <sstream>

namespace alemwatch::fhir {
namespace {

namespace fs = std::filesystem;

bool is_fhir_file_name(const fs::path& p) { return is_ndjson_file_name(p) || p.extension() == ".json"; }

struct ParseOutcome {
  boost::json::value value;
  std::string error;  // empty on success
};

// One parser per thread and nesting limit, reused: its buffers outlive a single text.
boost::json::stream_parser& reusable_parser(std::size_t max_depth) {
  thread_local std::size_t depth = 0;
  thread_local std::optional<boost::json::stream_parser> parser;
  if (!parser || depth != max_depth) {
    boost::json::parse_options opts;
    opts.max_depth = max_depth;
    parser.emplace(boost::json::storage_ptr(), opts);
    depth = max_depth;
  }
  return *parser;
}

// Parses one JSON text into `storage`, explaining a failure in words that name what is wrong
// and where.
ParseOutcome parse_json(std::string_view text, std::size_t max_depth, boost::json::storage_ptr storage = {}) {
  auto& parser = reusable_parser(max_depth);
  parser.reset(std::move(storage));
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec && used < text.size() && text.find_first_not_of(" \t\r\n", used) != std::string_view::npos)
    return {{}, "more than one JSON value (extra data at byte " + std::to_string(used) + ")"};
  if (!ec) parser.finish(ec);
  if (!ec) return {parser.release(), {}};
  if (auto bad = find_invalid_utf8(text))
    return {{}, "invalid UTF-8 at byte " + std::to_string(*bad)};
  if (ec == boost::json::error::too_deep)
    return {{}, "JSON nested deeper than " + std::to_string(max_depth) + " levels"};
  if (ec == boost::json::error::incomplete || used >= text.size())
    return {{}, "truncated JSON (ended after " + std::to_string(text.size()) + " bytes)"};
  return {{}, "invalid JSON at byte " + std::to_string(used) + ": " + ec.message()};
}

}  // namespace

bool is_ndjson_file_name(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".ndjson" || ext == ".jsonl";
}

ReadStats& ReadStats::operator+=(const ReadStats& o) {
  files_read += o.files_read;
  files_failed += o.files_failed;
  files_skipped += o.files_skipped;
  lines_failed += o.lines_failed;
  resources += o.resources;
  return *this;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < s.size()) {
    const unsigned char c = byte(i);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return i;
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::nullopt;
}

ResourceReader::ResourceReader(ProblemSink& sink, ReaderOptions options) : sink_(sink), options_(options) {}

void ResourceReader::fatal(const SourcePosition& where, std::string reason) {
  sink_.report({ProblemSeverity::fatal, where, {}, {}, {}, std::move(reason)});
}

void ResourceReader::read(const fs::path& path, const ResourceCallback& callback) {
  for (const auto& f : list_files(path)) read_file(f, callback);
}

std::vector<fs::path> ResourceReader::list_files(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    ++stats_.files_failed;
    fatal({path.string()}, "no such file or directory");
    return {};
  }
  if (!fs::is_directory(status)) return {path};
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    if (is_fhir_file_name(it->path()))
      files.push_back(it->path());
    else
      ++stats_.files_skipped;
  }
  if (ec) fatal({path.string()}, "cannot list directory: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

void ResourceReader::count_file_failed(const SourcePosition& where, std::string reason) {
  ++stats_.files_failed;
  fatal(where, std::move(reason));
}

void ResourceReader::read_file(const fs::path& file, const ResourceCallback& callback) {
  if (is_ndjson_file_name(file))
    read_ndjson(file, callback);
  else
    read_json(file, callback);
}

void ResourceReader::read_ndjson(const fs::path& file, const ResourceCallback& callback) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ++stats_.files_failed;
    fatal({file.string()}, "cannot open file");
    return;
  }
  ++stats_.files_read;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) read_ndjson_line(line, {file.string(), ++number, {}, {}}, callback);
}

void ResourceReader::read_ndjson_line(std::string_view line, const SourcePosition& where,
                                      const ResourceCallback& callback) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  // The resource lives only during the callback: allocate it from a scratch buffer that is
  // reused for every line, instead of one heap allocation per JSON value.
  thread_local std::vector<unsigned char> scratch(256 * 1024);
  boost::json::monotonic_resource memory(scratch.data(), scratch.size());
  auto parsed = parse_json(line, options_.max_depth, &memory);
  if (!parsed.error.empty()) {
    ++stats_.lines_failed;
    fatal(where, parsed.error);
    return;
  }
  if (!parsed.value.is_object()) {
    ++stats_.lines_failed;
    fatal(where, "expected a JSON object (a FHIR resource)");
    return;
  }
  dispatch(parsed.value.get_object(), where, nullptr, callback);
}

void ResourceReader::read_json(const fs::path& file, const ResourceCallback& callback) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ++stats_.files_failed;
    fatal({file.string()}, "cannot open file");
    return;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  read_json_text(std::move(buffer).str(), {file.string()}, callback);
}

void ResourceReader::read_json_text(std::string_view text, const SourcePosition& where,
                                    const ResourceCallback& callback) {
  auto parsed = parse_json(text, options_.max_depth);
  if (!parsed.error.empty()) {
    ++stats_.files_failed;
    fatal(where, parsed.error);
    return;
  }
  if (!parsed.value.is_object()) {
    ++stats_.files_failed;
    fatal(where, "expected a JSON object (a FHIR resource or Bundle)");
    return;
  }
  ++stats_.files_read;
  dispatch(parsed.value.get_object(), where, nullptr, callback);
}

void ResourceReader::dispatch(const boost::json::object& resource, const SourcePosition& where,
                              const FullUrlIndex* full_urls, const ResourceCallback& callback) {
  const auto* type = resource.if_contains("resourceType");
  if (!type || !type->is_string() || type->get_string().empty()) {
    sink_.report({ProblemSeverity::error, where, {}, {}, "resourceType",
                  type ? "expected a string naming the resource type" : "missing: not a FHIR resource"});
    ++stats_.resources;
    const std::string unknown;
    callback({resource, unknown, where, full_urls});
    return;
  }
  const std::string type_name(type->get_string());
  if (type_name == "Bundle") {
    dispatch_bundle(resource, where, callback);
    return;
  }
  ++stats_.resources;
  callback({resource, type_name, where, full_urls});
}

void ResourceReader::dispatch_bundle(const boost::json::object& bundle, const SourcePosition& where,
                                     const ResourceCallback& callback) {
  const auto* entries = bundle.if_contains("entry");
  if (!entries) return;
  if (!entries->is_array()) {
    sink_.report({ProblemSeverity::error, where, "Bundle", {}, "Bundle.entry", "expected an array"});
    return;
  }
  const auto& array = entries->get_array();
  FullUrlIndex full_urls;
  for (const auto& e : array) {
    if (!e.is_object()) continue;
    const auto* url = e.get_object().if_contains("fullUrl");
    const auto* res = e.get_object().if_contains("resource");
    if (!url || !url->is_string() || !res || !res->is_object()) continue;
    const auto* t = res->get_object().if_contains("resourceType");
    const auto* id = res->get_object().if_contains("id");
    if (t && t->is_string() && id && id->is_string())
      full_urls.emplace(std::string(url->get_string()),
                        std::string(t->get_string()) + "/" + std::string(id->get_string()));
  }
  for (std::size_t i = 0; i < array.size(); ++i) {
    SourcePosition at = where;
    if (at.entry)
      at.nested_entry = i;
    else
      at.entry = i;
    const std::string path = "Bundle.entry[" + std::to_string(i) + "]";
    if (!array[i].is_object()) {
      sink_.report({ProblemSeverity::error, at, "Bundle", {}, path, "expected an object"});
      continue;
    }
    const auto* res = array[i].get_object().if_contains("resource");
    if (!res) continue;  // a request-only entry (e.g. DELETE) carries no resource
    if (!res->is_object()) {
      sink_.report({ProblemSeverity::error, at, "Bundle", {}, path + ".resource", "expected an object"});
      continue;
    }
    const auto* type = res->get_object().if_contains("resourceType");
    if (type && type->is_string() && type->get_string() == "Bundle" && !where.entry) {
      dispatch_bundle(res->get_object(), at, callback);
      continue;
    }
    dispatch(res->get_object(), at, &full_urls, callback);
  }
}

}  // namespace alemwatch::fhir
