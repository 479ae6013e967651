// Reads FHIR elements out of Boost.JSON values, checking their JSON types.
//
// A ResourceScope stands for one resource being read: every problem found goes to the sink with
// the resource's position, type and id, and an error marks the resource rejected. The read_*
// functions return nothing both when an element is absent and when it is malformed; in the
// second case they have already reported why, with the element's path.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alemwatch/fhir/data_problem.hpp"
#include "alemwatch/fhir/datatypes.hpp"
#include "alemwatch/fhir/instant.hpp"

namespace alemwatch::fhir {

class ResourceScope {
 public:
  ResourceScope(ProblemSink& sink, const SourcePosition& where, std::string resource_type, std::string resource_id);

  void error(std::string path, std::string reason);
  void warning(std::string path, std::string reason);
  bool rejected() const { return rejected_; }
  // The first error's "path: reason", for counting rejections by reason.
  const std::string& first_error() const { return first_error_; }

  const std::string& resource_type() const { return type_; }
  const std::string& resource_id() const { return id_; }

 private:
  ProblemSink& sink_;
  const SourcePosition& where_;
  std::string type_;
  std::string id_;
  bool rejected_ = false;
  std::string first_error_;
};

using JsonObject = boost::json::object;

// An element path such as "Observation.code.coding[0].system", spelled out only when a problem
// is reported, so that reading a valid resource builds no strings. A path points at its parent:
// make it for a call, never keep it.
class ElementPath {
 public:
  ElementPath(std::string_view root) : segment_(root) {}  // NOLINT: implicit, like a string
  ElementPath(const char* root) : segment_(root) {}
  ElementPath(const std::string& root) : segment_(root) {}
  ElementPath child(std::string_view key) const { return ElementPath(this, key, npos); }
  ElementPath item(std::size_t index) const { return ElementPath(this, {}, index); }
  std::string str() const;

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  ElementPath(const ElementPath* parent, std::string_view key, std::size_t index)
      : parent_(parent), segment_(key), index_(index) {}
  const ElementPath* parent_ = nullptr;
  std::string_view segment_;
  std::size_t index_ = npos;
};

// Each reads `object[key]`; `path` is the element's full path for messages.
std::optional<std::string> read_string(const JsonObject& o, std::string_view key, const ElementPath& path,
                                       ResourceScope& scope);
std::optional<double> read_decimal(const JsonObject& o, std::string_view key, const ElementPath& path,
                                   ResourceScope& scope);
const JsonObject* read_object(const JsonObject& o, std::string_view key, const ElementPath& path,
                              ResourceScope& scope);
// An array; absent gives an empty span-like pointer (nullptr).
const boost::json::array* read_array(const JsonObject& o, std::string_view key, const ElementPath& path,
                                     ResourceScope& scope);
// A dateTime/instant/date: wrong type, or a date that does not exist, is reported.
std::optional<Instant> read_datetime(const JsonObject& o, std::string_view key, const ElementPath& path,
                                     ResourceScope& scope);

std::optional<Coding> read_coding(const boost::json::value& v, const ElementPath& path, ResourceScope& scope);
std::optional<CodeableConcept> read_codeable_concept(const JsonObject& o, std::string_view key,
                                                     const ElementPath& path, ResourceScope& scope);
std::optional<CodeableConcept> read_codeable_concept(const boost::json::value& v, const ElementPath& path,
                                                     ResourceScope& scope);
std::vector<CodeableConcept> read_codeable_concepts(const JsonObject& o, std::string_view key,
                                                    const ElementPath& path, ResourceScope& scope);
std::optional<Quantity> read_quantity(const JsonObject& o, std::string_view key, const ElementPath& path,
                                      ResourceScope& scope);
std::optional<Reference> read_reference(const JsonObject& o, std::string_view key, const ElementPath& path,
                                        ResourceScope& scope);

}  // namespace alemwatch::fhir
