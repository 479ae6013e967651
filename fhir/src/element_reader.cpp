#include "alemwatch/fhir/element_reader.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace alemwatch::fhir {

ResourceScope::ResourceScope(ProblemSink& sink, const SourcePosition& where, std::string resource_type,
                             std::string resource_id)
    : sink_(sink), where_(where), type_(std::move(resource_type)), id_(std::move(resource_id)) {}

void ResourceScope::error(std::string path, std::string reason) {
  if (!rejected_) first_error_ = path + ": " + reason;
  rejected_ = true;
  sink_.report({ProblemSeverity::error, where_, type_, id_, std::move(path), std::move(reason)});
}

void ResourceScope::warning(std::string path, std::string reason) {
  sink_.report({ProblemSeverity::warning, where_, type_, id_, std::move(path), std::move(reason)});
}

std::string ElementPath::str() const {
  std::string out = parent_ ? parent_->str() : std::string();
  if (index_ != npos)
    out += "[" + std::to_string(index_) + "]";
  else if (parent_)
    out += "." + std::string(segment_);
  else
    out += segment_;
  return out;
}

namespace {

const char* json_kind(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "a value";
}

void wrong_type(ResourceScope& scope, const ElementPath& path, const char* expected, const boost::json::value& v) {
  scope.error(path.str(), std::string("expected ") + expected + ", found " + json_kind(v));
}

// The string at `o[key]`, viewed in place: callers copy it only when they keep it.
std::optional<std::string_view> string_view_at(const JsonObject& o, std::string_view key, const ElementPath& path,
                                               ResourceScope& scope) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    wrong_type(scope, path, "a string", *v);
    return std::nullopt;
  }
  return std::string_view(v->get_string());
}

// Sets `into` (empty) to the string at o[key], if there is one: in place, without the
// temporaries of read_string(...).value_or("").
void read_string_into(const JsonObject& o, std::string_view key, const ElementPath& path, ResourceScope& scope,
                      std::string& into) {
  if (auto text = string_view_at(o, key, path, scope)) into.assign(*text);
}

}  // namespace

std::optional<std::string> read_string(const JsonObject& o, std::string_view key, const ElementPath& path,
                                       ResourceScope& scope) {
  if (auto text = string_view_at(o, key, path, scope)) return std::string(*text);
  return std::nullopt;
}

std::optional<double> read_decimal(const JsonObject& o, std::string_view key, const ElementPath& path,
                                   ResourceScope& scope) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    wrong_type(scope, path, "a number", *v);
    return std::nullopt;
  }
  const double d = v->to_number<double>();
  if (!std::isfinite(d)) {
    scope.error(path.str(), "number is out of range");
    return std::nullopt;
  }
  return d;
}

const JsonObject* read_object(const JsonObject& o, std::string_view key, const ElementPath& path,
                              ResourceScope& scope) {
  const auto* v = o.if_contains(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    wrong_type(scope, path, "an object", *v);
    return nullptr;
  }
  return &v->get_object();
}

const boost::json::array* read_array(const JsonObject& o, std::string_view key, const ElementPath& path,
                                     ResourceScope& scope) {
  const auto* v = o.if_contains(key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    wrong_type(scope, path, "an array", *v);
    return nullptr;
  }
  return &v->get_array();
}

std::optional<Instant> read_datetime(const JsonObject& o, std::string_view key, const ElementPath& path,
                                     ResourceScope& scope) {
  auto text = string_view_at(o, key, path, scope);
  if (!text) return std::nullopt;
  auto t = parse_fhir_datetime(*text);
  if (!t) scope.error(path.str(), "'" + std::string(*text) + "' is not a valid date/time");
  return t;
}

std::optional<Coding> read_coding(const boost::json::value& v, const ElementPath& path, ResourceScope& scope) {
  if (!v.is_object()) {
    wrong_type(scope, path, "an object", v);
    return std::nullopt;
  }
  const auto& o = v.get_object();
  Coding c;
  read_string_into(o, "system", path.child("system"), scope, c.system);
  read_string_into(o, "code", path.child("code"), scope, c.code);
  read_string_into(o, "display", path.child("display"), scope, c.display);
  return c;
}

std::optional<CodeableConcept> read_codeable_concept(const boost::json::value& v, const ElementPath& path,
                                                     ResourceScope& scope) {
  if (!v.is_object()) {
    wrong_type(scope, path, "an object", v);
    return std::nullopt;
  }
  const auto& o = v.get_object();
  CodeableConcept cc;
  read_string_into(o, "text", path.child("text"), scope, cc.text);
  const ElementPath coding_path = path.child("coding");
  if (const auto* codings = read_array(o, "coding", coding_path, scope)) {
    cc.codings.reserve(codings->size());
    for (std::size_t i = 0; i < codings->size(); ++i)
      if (auto c = read_coding((*codings)[i], coding_path.item(i), scope)) cc.codings.push_back(std::move(*c));
  }
  return cc;
}

std::optional<CodeableConcept> read_codeable_concept(const JsonObject& o, std::string_view key,
                                                     const ElementPath& path, ResourceScope& scope) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  return read_codeable_concept(*v, path, scope);
}

std::vector<CodeableConcept> read_codeable_concepts(const JsonObject& o, std::string_view key,
                                                    const ElementPath& path, ResourceScope& scope) {
  std::vector<CodeableConcept> out;
  if (const auto* arr = read_array(o, key, path, scope)) {
    out.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i)
      if (auto cc = read_codeable_concept((*arr)[i], path.item(i), scope)) out.push_back(std::move(*cc));
  }
  return out;
}

std::optional<Quantity> read_quantity(const JsonObject& o, std::string_view key, const ElementPath& path,
                                      ResourceScope& scope) {
  const auto* q = read_object(o, key, path, scope);
  if (!q) return std::nullopt;
  Quantity out;
  out.value = read_decimal(*q, "value", path.child("value"), scope);
  read_string_into(*q, "comparator", path.child("comparator"), scope, out.comparator);
  read_string_into(*q, "unit", path.child("unit"), scope, out.unit);
  read_string_into(*q, "system", path.child("system"), scope, out.system);
  read_string_into(*q, "code", path.child("code"), scope, out.code);
  return out;
}

std::optional<Reference> read_reference(const JsonObject& o, std::string_view key, const ElementPath& path,
                                        ResourceScope& scope) {
  const auto* r = read_object(o, key, path, scope);
  if (!r) return std::nullopt;
  Reference out;
  read_string_into(*r, "reference", path.child("reference"), scope, out.reference);
  read_string_into(*r, "display", path.child("display"), scope, out.display);
  return out;
}

}  // namespace alemwatch::fhir
