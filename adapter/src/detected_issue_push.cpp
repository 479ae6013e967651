#include "alemwatch/adapter/detected_issue_push.hpp"

#include <boost/json.hpp>

#include <set>

#include "alemwatch/adapter/log.hpp"
#include "alemwatch/adapter/progress.hpp"
#include "alemwatch/fhir/content_hash.hpp"

namespace alemwatch::adapter {

namespace {
std::string status_of(const boost::json::object& r) {
  const auto* s = r.if_contains("status");
  return s && s->is_string() ? std::string(s->get_string()) : std::string();
}
std::string id_of(const boost::json::object& r) {
  const auto* s = r.if_contains("id");
  return s && s->is_string() ? std::string(s->get_string()) : std::string();
}
bool is_status(const fhir::FhirError& e, std::initializer_list<unsigned> statuses) {
  if (e.kind != fhir::FhirError::Kind::status) return false;
  for (unsigned s : statuses)
    if (e.status == s) return true;
  return false;
}
std::string now_utc() { return fhir::format_utc_datetime(fhir::Instant(std::chrono::floor<fhir::Milliseconds>(std::chrono::system_clock::now()))); }
}  // namespace

DetectedIssuePush::DetectedIssuePush(fhir::FhirClient& target, StateStore& state, std::string identifier_system,
                                     bool dry_run, std::string today)
    : target_(target), state_(state), identifier_system_(std::move(identifier_system)), dry_run_(dry_run),
      today_(std::move(today)) {}

std::string DetectedIssuePush::identifier_query(const std::string& identifier) const {
  return "identifier=" + fhir::FhirClient::encode(identifier_system_ + "|" + identifier);
}

void DetectedIssuePush::fail(const std::string& identifier, const fhir::FhirError& error) {
  ++counts_.failed;
  // A server refusing a DetectedIssue may quote the body we sent, whose detail names result
  // values: its words are kept out of the logs and summary unless --log-phi.
  fhir::FhirError shown = error;
  if (!process_log().settings().phi && error.kind == fhir::FhirError::Kind::status && !error.detail.empty())
    shown.detail = "[redacted: the server's text, shown with --log-phi]";
  counts_.notes.push_back("failed: " + identifier + ": " + shown.describe());
  process_log().error("push.failed", "failed: {identifier}: {error}",
                      {field("identifier", identifier), field("error", shown.describe())});
  if (error.unreachable() && !fatal_) fatal_ = error;
}

void DetectedIssuePush::leave_alone(const std::string& identifier, const std::string& why) {
  ++counts_.left_alone;
  counts_.notes.push_back("left alone: " + identifier + ": " + why);
  process_log().warning("push.left_alone", "left alone: {identifier}: {reason}",
                        {field("identifier", identifier), field("reason", why)});
}

void DetectedIssuePush::mark_pending(std::optional<WrittenIssue> record, const std::string& identifier,
                                     const std::string& hash) {
  WrittenIssue r = record.value_or(WrittenIssue{});
  r.server = target_.base();
  r.identifier = identifier;
  r.pending = true;
  r.pending_hash = hash;
  r.updated_at = now_utc();
  state_.record(r);
}

void DetectedIssuePush::confirm(const std::string& identifier, const fhir::FhirResponse& response,
                                const std::string& hash, const std::string& status) {
  WrittenIssue r;
  r.server = target_.base();
  r.identifier = identifier;
  r.resource_id = id_of(response.resource);
  if (r.resource_id.empty()) {
    // Location: <base>/DetectedIssue/<id>/_history/<vid>
    const auto target = fhir::parse_reference(response.location);
    r.resource_id = target.id;
  }
  r.version_id = response.version_id();
  r.content_hash = hash;
  r.status = status;
  r.pending = false;
  r.updated_at = now_utc();
  state_.record(r);
}

void DetectedIssuePush::push(const std::vector<fhir::DetectedIssue>& produced,
                             const std::function<Retirement(const WrittenIssue&)>& retire) {
  std::set<std::string> current;
  Progress progress(process_log(), "DetectedIssues", produced.size());
  for (const auto& issue : produced) {
    current.insert(issue.identifier_value);
    if (fatal_) break;
    write(issue);
    progress.advance();
  }
  progress.finish();
  if (fatal_) return;
  for (const auto& record : state_.all_written(target_.base())) {
    if (current.contains(record.identifier) || record.status == "entered-in-error") continue;
    if (fatal_) break;
    retire_one(record, retire(record));
  }
}

void DetectedIssuePush::write(const fhir::DetectedIssue& issue) {
  const auto resource = fhir::to_json(issue);
  const auto hash = fhir::content_hash(resource);
  const auto& identifier = issue.identifier_value;
  auto record = state_.written(target_.base(), identifier);
  if (record && !record->pending && record->content_hash == hash) {
    ++counts_.unchanged;
    return;
  }
  if (dry_run_) {
    (record && !record->pending ? counts_.updated : counts_.created) += 1;
    return;
  }
  if (record && !record->pending && !record->resource_id.empty())
    update(resource, *record, hash);
  else
    create(resource, identifier, hash, record);
}

// No confirmed record: the server may still hold one (a run killed after writing, before
// recording). Search first; adopt what is ours, leave alone what is not, create what is missing.
void DetectedIssuePush::create(const boost::json::object& resource, const std::string& identifier,
                               const std::string& hash, std::optional<WrittenIssue> record) {
  std::vector<boost::json::object> found;
  auto searched = target_.search("DetectedIssue", identifier_query(identifier), [&](const boost::json::object& r) {
    found.push_back(r);
    return true;
  });
  if (!searched) return fail(identifier, searched.error());
  if (found.size() > 1) return leave_alone(identifier, std::to_string(found.size()) + " DetectedIssues carry this identifier");
  mark_pending(record, identifier, hash);
  if (found.size() == 1) {
    const auto& existing = found.front();
    const auto existing_hash = fhir::content_hash(existing);
    fhir::FhirResponse adopted;
    adopted.resource = existing;
    if (existing_hash == hash) {
      confirm(identifier, adopted, hash, status_of(existing));
      ++counts_.unchanged;
      return;
    }
    const bool ours = record && (existing_hash == record->content_hash || existing_hash == record->pending_hash);
    if (!ours) return leave_alone(identifier, "a DetectedIssue with this identifier exists on the server that alemwatch did not write as it is");
    confirm(identifier, adopted, existing_hash, status_of(existing));
    auto confirmed = state_.written(target_.base(), identifier);
    return update(resource, *confirmed, hash);
  }
  fhir::FhirResult<fhir::FhirResponse> written = fhir::FhirError{};
  if (conditional_update_) {
    written = target_.conditional_update("DetectedIssue", identifier_query(identifier), resource);
    if (!written && is_status(written.error(), {400, 405, 501})) {
      conditional_update_ = false;  // not supported here: search, then create
    }
  }
  if (!conditional_update_) written = target_.create("DetectedIssue", resource);
  if (!written) return fail(identifier, written.error());
  confirm(identifier, *written, hash, status_of(resource));
  ++counts_.created;
}

void DetectedIssuePush::update(const boost::json::object& resource, const WrittenIssue& record, const std::string& hash) {
  mark_pending(record, record.identifier, hash);
  boost::json::object body = resource;
  body["id"] = record.resource_id;
  auto written = target_.update("DetectedIssue", record.resource_id, body, record.version_id);
  if (!written) {
    const auto& e = written.error();
    state_.record(record);  // the write did not happen: back to what was confirmed
    if (is_status(e, {409, 412}))
      return leave_alone(record.identifier, "changed on the server since alemwatch wrote version " + record.version_id);
    if (is_status(e, {404, 410})) return leave_alone(record.identifier, "deleted on the server");
    return fail(record.identifier, e);
  }
  confirm(record.identifier, *written, hash, status_of(resource));
  ++counts_.updated;
}

void DetectedIssuePush::retire_one(const WrittenIssue& record, const Retirement& how) {
  if (how.kind == Retirement::Kind::keep || record.resource_id.empty()) return;
  if (dry_run_) {
    (how.kind == Retirement::Kind::mitigate ? counts_.mitigated : counts_.withdrawn) += 1;
    return;
  }
  auto current = target_.read("DetectedIssue", record.resource_id);
  if (!current) {
    const auto& e = current.error();
    if (is_status(e, {404, 410})) return leave_alone(record.identifier, "deleted on the server");
    return fail(record.identifier, e);
  }
  if (fhir::content_hash(current->resource) != record.content_hash)
    return leave_alone(record.identifier, "changed on the server since alemwatch wrote it");
  boost::json::object body = current->resource;
  if (how.kind == Retirement::Kind::mitigate) {
    if (body.contains("mitigation")) return;
    body["mitigation"] = boost::json::array{
        {{"action", {{"coding", boost::json::array{{{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
                                                   {"code", "9"},
                                                   {"display", "Instituted Ongoing Monitoring Program"}}}}}},
         {"date", how.mitigation_date}}};
  } else {
    body["status"] = "entered-in-error";
    const auto* detail = body.if_contains("detail");
    std::string text = detail && detail->is_string() ? std::string(detail->get_string()) : std::string();
    body["detail"] = text + (text.empty() ? "" : " ") + "Withdrawn by alemwatch on " + today_ + ": " + how.reason;
  }
  const auto hash = fhir::content_hash(body);
  mark_pending(record, record.identifier, hash);
  auto written = target_.update("DetectedIssue", record.resource_id, body, record.version_id);
  if (!written) {
    const auto& e = written.error();
    if (is_status(e, {409, 412})) {
      state_.record(record);
      return leave_alone(record.identifier, "changed on the server since alemwatch wrote version " + record.version_id);
    }
    return fail(record.identifier, e);
  }
  confirm(record.identifier, *written, hash, status_of(body));
  (how.kind == Retirement::Kind::mitigate ? counts_.mitigated : counts_.withdrawn) += 1;
}

}  // namespace alemwatch::adapter
