#include "alemwatch/adapter/conformance_comparison.hpp"

#include <boost/json.hpp>

#include <map>
#include <set>

namespace alemwatch::adapter {
namespace {

using boost::json::object;
using Strings = std::set<std::string>;

std::string string_at(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const boost::json::array* array_at(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

// A server may store references absolute, or the sync may have written them absolute (pushing to
// another server): both name the same resource as the relative form the samples use.
std::string relative(std::string reference, const ComparisonOptions& options) {
  for (const auto& base : options.reference_bases) {
    const auto prefix = base + "/";
    if (!base.empty() && reference.starts_with(prefix)) return reference.substr(prefix.size());
  }
  return reference;
}

std::string reference_of(const boost::json::value& v, const ComparisonOptions& options) {
  return v.is_object() ? relative(string_at(v.get_object(), "reference"), options) : std::string();
}

Strings codes(const object& issue) {
  Strings out;
  const auto* code = issue.if_contains("code");
  const auto* codings = code && code->is_object() ? array_at(code->get_object(), "coding") : nullptr;
  if (!codings) return out;
  for (const auto& c : *codings)
    if (c.is_object()) out.insert(string_at(c.get_object(), "system") + "|" + string_at(c.get_object(), "code"));
  return out;
}

Strings evidence(const object& issue, const ComparisonOptions& options) {
  Strings out;
  const auto* items = array_at(issue, "evidence");
  if (!items) return out;
  for (const auto& e : *items) {
    const auto* details = e.is_object() ? array_at(e.get_object(), "detail") : nullptr;
    if (details)
      for (const auto& d : *details) out.insert(reference_of(d, options));
  }
  return out;
}

Strings implicated(const object& issue, const ComparisonOptions& options) {
  Strings out;
  if (const auto* items = array_at(issue, "implicated"))
    for (const auto& i : *items) out.insert(reference_of(i, options));
  return out;
}

std::string patient(const object& issue, const ComparisonOptions& options) {
  const auto* p = issue.if_contains("patient");
  return p ? reference_of(*p, options) : std::string();
}

std::string or_none(const std::string& s) { return s.empty() ? "(none)" : s; }

std::string joined(const Strings& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "(none)" : out;
}

// The signal, for people: the alemwatch coding's code, else the code's text.
std::string signal_of(const object& issue) {
  const auto* code = issue.if_contains("code");
  if (!code || !code->is_object()) return "no code";
  if (const auto* codings = array_at(code->get_object(), "coding"))
    for (const auto& c : *codings)
      if (c.is_object() && string_at(c.get_object(), "system").starts_with("urn:alemwatch"))
        return string_at(c.get_object(), "code");
  return or_none(string_at(code->get_object(), "text"));
}

class Comparison {
 public:
  Comparison(const std::string& identifier, std::vector<IssueDifference>& out) : identifier_(identifier), out_(out) {}

  void value(const std::string& kind, const std::string& expected, const std::string& server) {
    if (expected == server) return;
    out_.push_back({kind, identifier_, or_none(expected), or_none(server),
                    kind + ": " + identifier_ + ": expected " + or_none(expected) + ", server has " + or_none(server)});
  }

  // Sets are described by what differs, not in full: an evidence list may hold a dozen references.
  void set(const std::string& kind, const Strings& expected, const Strings& server) {
    if (expected == server) return;
    Strings lacks, adds;
    for (const auto& e : expected)
      if (!server.contains(e)) lacks.insert(e);
    for (const auto& s : server)
      if (!expected.contains(s)) adds.insert(s);
    std::string text = kind + ": " + identifier_ + ":";
    if (!lacks.empty()) text += " server lacks " + joined(lacks);
    if (!lacks.empty() && !adds.empty()) text += ";";
    if (!adds.empty()) text += " server has in addition " + joined(adds);
    out_.push_back({kind, identifier_, joined(expected), joined(server), std::move(text)});
  }

 private:
  const std::string& identifier_;
  std::vector<IssueDifference>& out_;
};

void compare_one(const std::string& identifier, const object& expected, const object& server,
                 const ComparisonOptions& options, std::vector<IssueDifference>& out) {
  Comparison c(identifier, out);
  c.value("wrong patient", patient(expected, options), patient(server, options));
  c.value("wrong status", string_at(expected, "status"), string_at(server, "status"));
  c.value("wrong severity", string_at(expected, "severity"), string_at(server, "severity"));
  c.set("wrong code", codes(expected), codes(server));
  c.set("wrong evidence", evidence(expected, options), evidence(server, options));
  c.set("wrong implicated", implicated(expected, options), implicated(server, options));
}

}  // namespace

std::optional<std::string> issue_identifier(const object& issue, const std::string& system) {
  if (const auto* ids = array_at(issue, "identifier"))
    for (const auto& i : *ids)
      if (i.is_object() && string_at(i.get_object(), "system") == system) {
        auto value = string_at(i.get_object(), "value");
        if (!value.empty()) return value;
      }
  return std::nullopt;
}

std::vector<IssueDifference> compare_issues(const std::vector<object>& expected, const std::vector<object>& on_server,
                                            const ComparisonOptions& options) {
  std::map<std::string, const object*> wanted;
  std::vector<IssueDifference> out;
  // An expected issue the kit cannot match is a fault of the samples, never a silent pass.
  for (const auto& e : expected) {
    auto id = issue_identifier(e, options.identifier_system);
    if (!id)
      out.push_back({"unusable expectation", {}, {}, {},
                     "unusable expectation: an expected issue has no identifier of system " + options.identifier_system});
    else if (!wanted.emplace(*id, &e).second)
      out.push_back({"unusable expectation", *id, {}, {}, "unusable expectation: " + *id + " is expected twice"});
  }
  std::map<std::string, std::vector<const object*>> held;
  for (const auto& s : on_server)
    if (auto id = issue_identifier(s, options.identifier_system)) held[*id].push_back(&s);

  std::set<std::string> identifiers;
  for (const auto& [id, e] : wanted) identifiers.insert(id);
  for (const auto& [id, s] : held) identifiers.insert(id);

  for (const auto& id : identifiers) {
    const auto w = wanted.find(id);
    const auto h = held.find(id);
    if (h == held.end()) {
      const auto label = signal_of(*w->second) + ", " + or_none(string_at(*w->second, "severity"));
      out.push_back({"missing", id, label, {}, "missing: " + id + " (" + label + ")"});
      continue;
    }
    const auto& first = *h->second.front();
    if (w == wanted.end()) {
      const auto label = signal_of(first) + ", " + or_none(string_at(first, "severity")) + ", " +
                         or_none(string_at(first, "status"));
      out.push_back({"unexpected", id, {}, label, "unexpected: " + id + " (" + label + ")"});
      continue;
    }
    if (h->second.size() > 1) {
      const auto n = std::to_string(h->second.size());
      out.push_back({"duplicate", id, "1", n,
                     "duplicate: " + id + ": the server holds " + n + " DetectedIssues with this identifier"});
    }
    compare_one(id, *w->second, first, options, out);
  }
  return out;
}

}  // namespace alemwatch::adapter
