// Strict reading of the mapping data files: a missing or mistyped key is a MappingError naming
// the file and the key, never a silent default.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "alemwatch/mappings/mapping_error.hpp"

namespace alemwatch::mappings {

template <class T>
using Loaded = boost::system::result<T, MappingError>;

Loaded<boost::json::value> load_json_file(const std::filesystem::path& file);

// Field access that records the first error; callers check `failed()` once at the end.
class DataFileReader {
 public:
  explicit DataFileReader(std::string file) : file_(std::move(file)) {}

  const boost::json::object* object(const boost::json::value& v, const std::string& path);
  const boost::json::object* object_at(const boost::json::object& o, std::string_view key, const std::string& path);
  const boost::json::array* array_at(const boost::json::object& o, std::string_view key, const std::string& path);
  std::string string_at(const boost::json::object& o, std::string_view key, const std::string& path);
  std::optional<std::string> optional_string_at(const boost::json::object& o, std::string_view key,
                                                const std::string& path);
  double number(const boost::json::value& v, const std::string& path);
  double number_at(const boost::json::object& o, std::string_view key, const std::string& path);
  std::optional<double> optional_number_at(const boost::json::object& o, std::string_view key,
                                           const std::string& path);
  bool bool_or(const boost::json::object& o, std::string_view key, bool fallback, const std::string& path);
  std::vector<std::string> strings_at(const boost::json::object& o, std::string_view key, const std::string& path);

  void fail(const std::string& path, std::string reason);
  bool failed() const { return error_.has_value(); }
  const MappingError& error() const { return *error_; }

 private:
  std::string file_;
  std::optional<MappingError> error_;
};

}  // namespace alemwatch::mappings
