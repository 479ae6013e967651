// Reads FHIR resources from files: a Bundle of any type, a single resource, NDJSON, or a
// directory of them. Resources are handed to a callback one at a time and not kept, so the
// caller decides what to retain.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "alemwatch/fhir/data_problem.hpp"

namespace alemwatch::fhir {

// fullUrl -> "Type/id" for the entries of the Bundle a resource came from, so that references
// written as "urn:uuid:..." inside a transaction Bundle can be resolved.
using FullUrlIndex = std::unordered_map<std::string, std::string>;

struct ResourceInput {
  const boost::json::object& resource;
  const std::string& resource_type;
  const SourcePosition& where;
  const FullUrlIndex* full_urls;  // null outside a Bundle
};

using ResourceCallback = std::function<void(const ResourceInput&)>;

struct ReadStats {
  std::size_t files_read = 0;      // files opened and at least partly parsed
  std::size_t files_failed = 0;    // files that could not be opened or parsed at all
  std::size_t files_skipped = 0;   // files in a directory without a .json/.ndjson/.jsonl name
  std::size_t lines_failed = 0;    // NDJSON lines that were not a JSON object
  std::size_t resources = 0;       // resources handed to the callback

  ReadStats& operator+=(const ReadStats& other);
};

struct ReaderOptions {
  std::size_t max_depth = 64;  // JSON nesting; FHIR resources rarely pass 20
};

class ResourceReader {
 public:
  ResourceReader(ProblemSink& sink, ReaderOptions options = {});
  const ReaderOptions& options() const { return options_; }

  // Reads one path (file or directory, recursively in name order). Problems go to the sink.
  void read(const std::filesystem::path& path, const ResourceCallback& callback);
  // The files read() would read for `path`, in that order; a missing path or unreadable
  // directory is reported, and files without a FHIR name are counted as skipped.
  std::vector<std::filesystem::path> list_files(const std::filesystem::path& path);
  // Reads one file (a Bundle, a resource or NDJSON, by its name).
  void read_file(const std::filesystem::path& file, const ResourceCallback& callback);
  // Counts an NDJSON file as read (for callers that read its lines themselves).
  void count_file_read() { ++stats_.files_read; }
  void count_file_failed(const SourcePosition& where, std::string reason);
  // Reads a JSON text already in memory (a resource or a Bundle); `where` names its source.
  void read_json_text(std::string_view text, const SourcePosition& where, const ResourceCallback& callback);
  // Reads one NDJSON line already in memory; blank lines are skipped. The resource handed to
  // the callback lives only until it returns (copy it with a storage of your own to keep it).
  void read_ndjson_line(std::string_view line, const SourcePosition& where, const ResourceCallback& callback);
  const ReadStats& stats() const { return stats_; }

 private:
  void read_ndjson(const std::filesystem::path& file, const ResourceCallback& callback);
  void read_json(const std::filesystem::path& file, const ResourceCallback& callback);
  void dispatch(const boost::json::object& resource, const SourcePosition& where, const FullUrlIndex* full_urls,
                const ResourceCallback& callback);
  void dispatch_bundle(const boost::json::object& bundle, const SourcePosition& where,
                       const ResourceCallback& callback);
  void fatal(const SourcePosition& where, std::string reason);

  ProblemSink& sink_;
  ReaderOptions options_;
  ReadStats stats_;
};

// Whether a file name says NDJSON (.ndjson or .jsonl).
bool is_ndjson_file_name(const std::filesystem::path& file);

// The offset of the first byte that is not valid UTF-8, if any.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

}  // namespace alemwatch::fhir
