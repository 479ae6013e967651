#include "alemwatch/mappings/json_file.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

namespace alemwatch::mappings {

Loaded<boost::json::value> load_json_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return MappingError{file.string(), {}, "cannot open mapping file"};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code ec;
  auto value = boost::json::parse(buffer.str(), ec);
  if (ec) return MappingError{file.string(), {}, "not valid JSON: " + ec.message()};
  return value;
}

void DataFileReader::fail(const std::string& path, std::string reason) {
  if (!error_) error_ = MappingError{file_, path, std::move(reason)};
}

const boost::json::object* DataFileReader::object(const boost::json::value& v, const std::string& path) {
  if (v.is_object()) return &v.get_object();
  fail(path, "expected an object");
  return nullptr;
}

const boost::json::object* DataFileReader::object_at(const boost::json::object& o, std::string_view key,
                                                     const std::string& path) {
  const auto* v = o.if_contains(key);
  if (!v) {
    fail(path, "missing");
    return nullptr;
  }
  return object(*v, path);
}

const boost::json::array* DataFileReader::array_at(const boost::json::object& o, std::string_view key,
                                                   const std::string& path) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_array()) {
    fail(path, v ? "expected an array" : "missing");
    return nullptr;
  }
  return &v->get_array();
}

std::string DataFileReader::string_at(const boost::json::object& o, std::string_view key, const std::string& path) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) {
    fail(path, v ? "expected a string" : "missing");
    return {};
  }
  return std::string(v->get_string());
}

std::optional<std::string> DataFileReader::optional_string_at(const boost::json::object& o, std::string_view key,
                                                              const std::string& path) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    fail(path, "expected a string or null");
    return std::nullopt;
  }
  return std::string(v->get_string());
}

double DataFileReader::number(const boost::json::value& v, const std::string& path) {
  if (!v.is_number()) {
    fail(path, "expected a number");
    return 0;
  }
  const double d = v.to_number<double>();
  if (!std::isfinite(d)) fail(path, "number out of range");
  return d;
}

double DataFileReader::number_at(const boost::json::object& o, std::string_view key, const std::string& path) {
  const auto* v = o.if_contains(key);
  if (!v) {
    fail(path, "missing");
    return 0;
  }
  return number(*v, path);
}

std::optional<double> DataFileReader::optional_number_at(const boost::json::object& o, std::string_view key,
                                                         const std::string& path) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  return number(*v, path);
}

bool DataFileReader::bool_or(const boost::json::object& o, std::string_view key, bool fallback,
                             const std::string& path) {
  const auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (!v->is_bool()) {
    fail(path, "expected true or false");
    return fallback;
  }
  return v->get_bool();
}

std::vector<std::string> DataFileReader::strings_at(const boost::json::object& o, std::string_view key,
                                                    const std::string& path) {
  std::vector<std::string> out;
  const auto* a = array_at(o, key, path);
  if (!a) return out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    if (!(*a)[i].is_string()) {
      fail(path + "[" + std::to_string(i) + "]", "expected a string");
      continue;
    }
    out.emplace_back((*a)[i].get_string());
  }
  return out;
}

}  // namespace alemwatch::mappings
