#include "alemwatch/adapter/bulk_sync.hpp"

#include <boost/json.hpp>

#include <map>

#include "alemwatch/adapter/bulk_pull.hpp"
#include "alemwatch/adapter/population_read.hpp"
#include "alemwatch/fhir/resource_reader.hpp"
#include "alemwatch/mappings/lab_result_mapper.hpp"

namespace alemwatch::adapter {
namespace {

namespace fs = std::filesystem;
using CachedResources = std::map<std::string, std::vector<StateStore::CachedResource>>;  // by patient

std::string string_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The Medication id a MedicationAdministration refers to, if any.
std::optional<std::string> medication_of(const boost::json::object& r) {
  const auto* ref = r.if_contains("medicationReference");
  if (!ref || !ref->is_object()) return std::nullopt;
  const auto target = fhir::parse_reference(string_at(ref->get_object(), "reference"));
  if (target.type != "Medication" || target.id.empty()) return std::nullopt;
  return target.id;
}

std::vector<fs::path> paths_of(const std::vector<fhir::DownloadedFile>& files) {
  std::vector<fs::path> out;
  for (const auto& f : files) out.push_back(f.path);
  return out;
}

fhir::BulkExportLevel level_of(const SyncOptions& o) {
  if (!o.group.empty()) return fhir::BulkExportLevel::group;
  return o.bulk_level == "system" ? fhir::BulkExportLevel::system : fhir::BulkExportLevel::patient;
}

// A full export: everything into the evaluation; the exposed patients' resources into the state.
void read_full(const BulkSyncContext& c, const BulkPull& pulled, BulkSyncRead& out) {
  CachedResources cache;
  PopulationReadOptions options;
  options.on_observation = [&](const std::string& patient, const std::string& id, std::string_view json) {
    cache[patient].push_back({"Observation", id, std::string(json)});
  };
  const auto stats = read_population(paths_of(pulled.resource_files), c.evaluation, c.summary, c.m, options);
  c.summary.reading += stats;
  const auto exposed = c.evaluation.possibly_exposed_patients();

  // Administrations and Medications are few: a second, plain read of their files.
  std::map<std::string, std::string> medications;  // id -> JSON
  std::vector<std::pair<std::string, boost::json::object>> administrations;  // patient, resource
  RunSummary ignored;  // the evaluation has reported these files' problems already
  fhir::ResourceReader reader(ignored);
  for (const auto& f : pulled.resource_files) {
    if (f.file.type != "Medication" && f.file.type != "MedicationAdministration") continue;
    reader.read(f.path, [&](const fhir::ResourceInput& in) {
      if (in.resource_type == "Medication") {
        medications[string_at(in.resource, "id")] = boost::json::serialize(in.resource);
      } else if (in.resource_type == "MedicationAdministration") {
        auto patient = mappings::subject_patient_id(in.resource);
        if (patient && (!exposed || exposed->contains(*patient)))
          administrations.emplace_back(*patient, boost::json::object(in.resource, boost::json::storage_ptr()));
      }
    });
  }
  std::map<std::string, std::set<std::string>> medications_of_patient;
  for (const auto& [patient, ma] : administrations) {
    cache[patient].push_back({"MedicationAdministration", string_at(ma, "id"), boost::json::serialize(ma)});
    if (auto med = medication_of(ma)) medications_of_patient[patient].insert(*med);
    out.exposed.insert(patient);
  }
  for (const auto& [patient, ids] : medications_of_patient)
    for (const auto& id : ids)
      if (auto it = medications.find(id); it != medications.end()) cache[patient].push_back({"Medication", id, it->second});
  // An incomplete export must not replace what the state holds (the sync pushes nothing then).
  if (c.options.dry_run || !pulled.export_errors.empty()) return;
  for (const auto& patient : out.exposed) {
    c.state.replace_patient_resources(c.base, patient, cache[patient]);
    c.state.clear_dirty_patients(c.base, {patient});
  }
}

// An export of changes: who they touch. Exposure is judged on the changed data alone; anyone
// the state already holds is touched by any change.
void read_changes(const BulkSyncContext& c, const BulkPull& pulled, BulkSyncRead& out) {
  RunSummary scratch_summary;
  Evaluation changes(c.m, scratch_summary);
  fhir::ResourceReader reader(scratch_summary);
  const auto cached = c.state.cached_patients(c.base);
  const std::set<std::string> known(cached.begin(), cached.end());
  for (const auto& f : pulled.resource_files)
    reader.read(f.path, [&](const fhir::ResourceInput& in) {
      changes.add(in);
      if (auto patient = mappings::subject_patient_id(in.resource); patient && known.contains(*patient)) out.touched.insert(*patient);
    });
  if (const auto exposed = changes.possibly_exposed_patients()) {
    out.touched.insert(exposed->begin(), exposed->end());
  } else {
    // Exposure cannot be told from the changes alone: touch everyone given anything.
    for (const auto& f : pulled.resource_files)
      if (f.file.type == "MedicationAdministration")
        reader.read(f.path, [&](const fhir::ResourceInput& in) {
          if (auto patient = mappings::subject_patient_id(in.resource)) out.touched.insert(*patient);
        });
  }
  for (const auto& p : c.state.dirty_patients(c.base)) out.touched.insert(p);
}

}  // namespace

std::string bulk_watermark_key(const SyncOptions& o) {
  std::string key = "bulk:";
  key += !o.group.empty() ? "group/" + o.group : o.bulk_level;
  if (!o.bulk_type_filter) key += ":unfiltered";
  return key;
}

fhir::FhirResult<BulkSyncRead> read_bulk_export(const BulkSyncContext& c) {
  BulkSyncRead out;
  // Another export scope (level, Group, filter) has its own watermark: changes since an export
  // of Group A say nothing of Group B.
  const auto watermark = c.state.watermark(c.base, bulk_watermark_key(c.options));
  out.full = !watermark || c.options.full;
  BulkPullSettings settings;
  settings.level = level_of(c.options);
  settings.group_id = c.options.group;
  if (!out.full) settings.since = *watermark;
  settings.type_filter = c.options.bulk_type_filter;
  settings.work_dir = c.options.state_file + ".bulk";
  settings.download_concurrency = static_cast<std::size_t>(std::max(1, std::min(c.options.concurrency, 8)));
  settings.on_progress = c.on_progress;
  // The files hold PHI: they go when this run does, however it ends.
  struct RemoveWhenDone {
    fs::path dir;
    ~RemoveWhenDone() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove_when_done{settings.work_dir};
  auto pulled = pull_bulk_export(c.http, c.base, c.m, settings);
  if (!pulled) return pulled.error();
  out.transaction_time = pulled->transaction_time;
  out.export_errors = pulled->export_errors;
  out.notes = pulled->notes;
  out.files = pulled->resource_files.size();
  out.bytes = pulled->bytes;
  out.resumes = pulled->resumes;
  if (out.full)
    read_full(c, *pulled, out);
  else
    read_changes(c, *pulled, out);
  return out;
}

}  // namespace alemwatch::adapter
